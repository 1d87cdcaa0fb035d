import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { shopFixture } from "../../python/codemods/split-module/test-fixture.js";
import { deterministicAgents } from "./index.js";
import { analysisOf } from "./test-support.js";

const agent = deterministicAgents["split-module"];
const root = mkdtempSync(join(tmpdir(), "pyagent-split-agent-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("split-module agent", () => {
  const files = shopFixture();
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  const lines = files["shop/inventory.py"]!.split("\n").length;
  const analysis = {
    ...analysisOf(
      {
        "shop/inventory.py": { module: "shop.inventory", lines },
        "shop/report.py": { module: "shop.report", imports: [{ module: "shop.inventory", level: 0, names: ["_normalize_sku", "Item"], bound: ["_normalize_sku", "Item"], line: 1, conditional: false }] },
      },
      [{ rule: "oversized-module", path: "shop/inventory.py", line: 1, message: `module has ${lines} lines (limit 500); split it into cohesive submodules`, confidence: 100, symbol: "shop.inventory" }],
    ),
    root,
  };

  it("plans the split with every path it creates and the names other modules import", () => {
    const [task, ...rest] = agent.plan(analysis);
    expect(rest).toEqual([]);
    expect(task!.title).toBe("shop.inventory: split into 2 modules (warehouse, _validate)");
    expect(task!.requires).toEqual({ kind: "module-split", module: "shop.inventory" });
    expect(task!.files).toEqual(["shop/inventory.py", "shop/inventory/warehouse.py", "shop/inventory/_validate.py", "shop/inventory/__init__.py", "shop/inventory/__main__.py"]);
    expect(task!.keepNames).toEqual(["Item", "_normalize_sku"]);
    expect(agent.plan(analysis)[0]!.id).toBe(task!.id);
  });

  it("applies to the current contents, deleting the module; a second apply finds nothing to do", async () => {
    const task = agent.plan(analysis)[0]!;
    const read = (path: string) => {
      try {
        return readFileSync(join(root, path), "utf8");
      } catch {
        return undefined;
      }
    };
    const edits = await agent.apply(task, read);
    expect(edits.map((edit) => edit.path)).toEqual(task.files);
    expect(edits[0]).toEqual({ path: "shop/inventory.py", content: null });
    expect(edits.find((edit) => edit.path === "shop/inventory/__init__.py")!.content).toContain("_normalize_sku,");
    expect(await agent.apply(task, (path) => (path === "shop/inventory/__init__.py" ? "" : read(path)))).toEqual([]);
    const after = new Map(edits.map((edit) => [edit.path, edit.content]));
    expect(await agent.apply(task, (path) => after.get(path) ?? undefined)).toEqual([]);
  });

  it("is opt-in, and never plans a test module or a module just over the limit", () => {
    expect(agent.optIn).toBe(true);
    const source = files["shop/inventory.py"]!;
    mkdirSync(join(root, "tests"), { recursive: true });
    writeFileSync(join(root, "tests/test_inventory.py"), source);
    const oversized = (path: string, lineCount: number) => ({
      rule: "oversized-module" as const,
      path,
      line: 1,
      message: `module has ${lineCount} lines (limit 500); split it into cohesive submodules`,
      confidence: 100,
      symbol: path.replace(/\.py$/, "").replace(/\//g, "."),
    });
    const testModule = { ...analysisOf({ "tests/test_inventory.py": { module: "tests.test_inventory", lines } }, [oversized("tests/test_inventory.py", lines)]), root };
    expect(agent.plan(testModule)).toEqual([]);
    const justOver = { ...analysisOf({ "shop/inventory.py": { module: "shop.inventory", lines: 590 } }, [oversized("shop/inventory.py", 590)]), root };
    expect(agent.plan(justOver)).toEqual([]);
  });
});
