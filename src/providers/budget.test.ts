import { afterEach, describe, expect, it } from "vitest";
import { Budget, BudgetExhaustedError, Router, type ScriptedServer, parseModelsTable, startScriptedServer } from "./index.js";

describe("Budget", () => {
  it("reserves until the next worst case could exceed the limit, and stops exactly at it", () => {
    const budget = new Budget({ usd: 1 });
    const taken = [];
    for (let call = 0; call < 10; call++) {
      const reservation = budget.reserve({ usd: 0.1 });
      if (reservation === null) break;
      taken.push(reservation);
    }
    expect(taken).toHaveLength(10); // ten dimes make exactly one dollar: integer nano-dollars, no float drift
    expect(budget.reserve({ usd: 0.000000001 })).toBeNull();
    for (const reservation of taken) budget.commit(reservation, { usd: 0.1, tokens: 10 });
    expect(budget.spent).toEqual({ usd: 1, tokens: 100, calls: 10 });
    expect(budget.remaining().usd).toBe(0);
    expect(budget.canAfford({ usd: 0 })).toBe(true);
  });

  it("frees released reservations and charges committed ones at their actual cost", () => {
    const budget = new Budget({ usd: 1, tokens: 1000 });
    const big = budget.reserve({ usd: 0.9, tokens: 100 })!;
    expect(budget.canAfford({ usd: 0.2 })).toBe(false);
    budget.release(big);
    expect(budget.canAfford({ usd: 0.2 })).toBe(true);
    const call = budget.reserve({ usd: 0.5, tokens: 900 }, { agent: "docstrings", task: "t1" })!;
    expect(budget.reserve({ usd: 0, tokens: 101 })).toBeNull(); // the token limit binds too
    budget.commit(call, { usd: 0.01, tokens: 120 });
    expect(budget.remaining()).toEqual({ usd: 0.99, tokens: 880 });
    budget.release(call); // releasing twice changes nothing
    expect(budget.remaining()).toEqual({ usd: 0.99, tokens: 880 });
  });

  it("accounts spend per agent, per task and for the whole run", () => {
    const budget = new Budget();
    budget.charge({ usd: 0.25, tokens: 100 }, { agent: "refactor", task: "a" });
    budget.charge({ usd: 0.5, tokens: 50 }, { agent: "refactor", task: "b" });
    budget.charge({ usd: 0.125, tokens: 10 }, { agent: "reviewer", task: "a" });
    expect(budget.spentBy("refactor")).toEqual({ usd: 0.75, tokens: 150, calls: 2 });
    expect(budget.spentOn("a")).toEqual({ usd: 0.375, tokens: 110, calls: 2 });
    expect(budget.spentBy("nobody")).toEqual({ usd: 0, tokens: 0, calls: 0 });
    expect(budget.report().total).toEqual({ usd: 0.875, tokens: 160, calls: 3 });
    expect(Object.keys(budget.report().agents)).toEqual(["refactor", "reviewer"]);
  });
});

describe("Budget through the router", () => {
  let server: ScriptedServer | undefined;
  afterEach(async () => server?.close());

  it("stops a sequence of calls exactly at the USD limit, before the call that could exceed it", async () => {
    // Each call's worst case: prompt "go" = 1 token in + 100 out; at $1/M in and $10 000/M out = $1.000001.
    // Each call actually uses 1 in + 100 out, so it costs exactly its worst case.
    server = await startScriptedServer({ version: 1, mode: "matched", interactions: [{ response: { text: "done", usage: { prompt_tokens: 1, completion_tokens: 100 } } }] });
    const models = parseModelsTable({ paid: { provider: "openai-compatible", model: "m", "base-url": server.url, "input-price": 1, "output-price": 10_000 } }).models;
    const budget = new Budget({ usd: 3.000003 });
    const router = new Router({ models, budget });
    let completed = 0;
    let stopped: unknown;
    for (let call = 0; call < 10 && stopped === undefined; call++) {
      try {
        await router.complete({ messages: [{ role: "user", content: "go" }], maxOutputTokens: 100, agent: "docstrings", task: `t${call}`, noCache: true });
        completed++;
      } catch (error) {
        stopped = error;
      }
    }
    expect(completed).toBe(3);
    expect(router.maxCostOf({ messages: [{ role: "user", content: "go" }], maxOutputTokens: 100 })).toEqual({ usd: 1.000001, tokens: 101 });
    expect(budget.canAfford(router.maxCostOf({ messages: [{ role: "user", content: "go" }], maxOutputTokens: 100 })!)).toBe(false);
    expect(stopped).toBeInstanceOf(BudgetExhaustedError);
    expect(budget.spent.usd).toBe(3.000003);
    expect(budget.spentBy("docstrings").calls).toBe(3);
    expect(server.requests.filter((request) => request.path === "/chat/completions")).toHaveLength(3);
  });

  it("stops at the token limit the same way", async () => {
    server = await startScriptedServer({ version: 1, mode: "matched", interactions: [{ response: { text: "x", usage: { prompt_tokens: 1, completion_tokens: 49 } } }] });
    const models = parseModelsTable({ free: { provider: "openai-compatible", model: "m", "base-url": server.url } }).models;
    const budget = new Budget({ tokens: 120 });
    const router = new Router({ models, budget });
    await router.complete({ messages: [{ role: "user", content: "go" }], maxOutputTokens: 49, noCache: true });
    await router.complete({ messages: [{ role: "user", content: "go" }], maxOutputTokens: 49, noCache: true });
    await expect(router.complete({ messages: [{ role: "user", content: "go" }], maxOutputTokens: 49, noCache: true })).rejects.toBeInstanceOf(BudgetExhaustedError);
    expect(budget.spent.tokens).toBe(100);
  });
});
