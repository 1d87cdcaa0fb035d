import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ImportFact } from "../../python/index.js";
import { deterministicAgents } from "./index.js";
import { resolveModule } from "./references.js";
import { analysisOf } from "./test-support.js";

const agent = deterministicAgents["lazy-imports"]!;
const root = mkdtempSync(join(tmpdir(), "pyagent-lazy-agent-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fact(module: string, names: string[], bound: string[], line: number, extra: Partial<ImportFact> = {}): ImportFact {
  return { module, level: 0, names, bound, line, conditional: false, ...extra };
}

describe("lazy-imports agent", () => {
  const cli = "import os\nimport json\nimport csv\nimport decimal\n\nVALUE = decimal.Decimal(1)\n\ndef main():\n    return json.dumps([csv.QUOTE_ALL, os.sep])\n";
  mkdirSync(join(root, "app"), { recursive: true });
  writeFileSync(join(root, "app/cli.py"), cli);
  writeFileSync(join(root, "app/report.py"), "from .cli import csv\n");
  const analysis = { ...analysisOf(
    {
      "app/cli.py": { module: "app.cli", imports: [fact("os", [], ["os"], 1), fact("json", [], ["json"], 2), fact("csv", [], ["csv"], 3), fact("decimal", [], ["decimal"], 4)] },
      "app/report.py": { module: "app.report", imports: [fact(".cli", ["csv"], ["csv"], 1, { level: 1 })] },
    },
    [],
  ), root };

  it("plans one task per movable name with an import-time proof, skipping startup modules, module-level uses and names imported elsewhere", () => {
    const tasks = agent.plan(analysis);
    expect(tasks.map((task) => [task.title, task.symbol, task.requires])).toEqual([
      ["app.cli: import json lazily in the functions that use it", "json", { kind: "import-time-lower", module: "app.cli", minimumMs: 5, loaded: "json" }],
    ]);
    expect(agent.plan(analysis)[0]!.id).toBe(tasks[0]!.id);
  });

  it("moves the import into the function and finds nothing to do the second time", async () => {
    const task = agent.plan(analysis)[0]!;
    const edits = await agent.apply(task, () => cli);
    expect(edits).toEqual([
      { path: "app/cli.py", content: "import os\nimport csv\nimport decimal\n\nVALUE = decimal.Decimal(1)\n\ndef main():\n    import json\n    return json.dumps([csv.QUOTE_ALL, os.sep])\n" },
    ]);
    expect(await agent.apply(task, () => edits[0]!.content!)).toEqual([]);
  });

  it("leaves an import that more than four functions need at module level", () => {
    const spread = `import json\n${[1, 2, 3, 4, 5].map((index) => `\ndef f${index}():\n    return json.dumps(${index})\n`).join("")}`;
    writeFileSync(join(root, "app/spread.py"), spread);
    const spreadAnalysis = { ...analysisOf({ "app/spread.py": { module: "app.spread", imports: [fact("json", [], ["json"], 1)] } }, []), root };
    expect(agent.plan(spreadAnalysis)).toEqual([]);
  });

  it("is opt-in: it runs only when named in --agents", () => {
    expect(agent.optIn).toBe(true);
  });

  it("never moves an import into a function called in a loop, a dunder method or a generator", () => {
    const hot = [
      "import json",
      "import csv",
      "import decimal",
      "import email",
      "",
      "def encode(value):",
      "    return json.dumps(value)",
      "",
      "def encode_all(values):",
      "    return [encode(value) for value in values]",
      "",
      "class Rows:",
      "    def __iter__(self):",
      "        return iter(csv.reader([]))",
      "",
      "def numbers():",
      "    yield decimal.Decimal(1)",
      "",
      "def parse(text):",
      "    return email.message_from_string(text)",
      "",
    ].join("\n");
    writeFileSync(join(root, "app/hot.py"), hot);
    const hotAnalysis = { ...analysisOf({ "app/hot.py": { module: "app.hot", imports: ["json", "csv", "decimal", "email"].map((name, index) => fact(name, [], [name], index + 1)) } }, []), root };
    expect(agent.plan(hotAnalysis).map((task) => task.symbol)).toEqual(["email"]);
  });

  it("never moves an import into a function another module calls in a loop; a test's loop does not count", () => {
    const project = { ...analysisOf({ "app/fmt.py": { module: "app.fmt", imports: [fact("decimal", [], ["decimal"], 1)] }, "app/batch.py": { module: "app.batch" }, "tests/test_fmt.py": { module: "tests.test_fmt" } }, []), root };
    writeFileSync(join(root, "app/fmt.py"), "import decimal\n\ndef money(value):\n    return decimal.Decimal(value)\n");
    mkdirSync(join(root, "tests"), { recursive: true });
    writeFileSync(join(root, "tests/test_fmt.py"), "from app.fmt import money\n\ndef test_money():\n    for value in ('1', '2'):\n        assert money(value)\n");
    writeFileSync(join(root, "app/batch.py"), "from app.fmt import money\n\ndef report(values):\n    return ', '.join(str(money(value)) for value in values)\n");
    expect(agent.plan(project)).toEqual([]);
    writeFileSync(join(root, "app/batch.py"), "from app.fmt import money\n\ndef report(value):\n    return str(money(value))\n");
    expect(agent.plan(project).map((task) => task.symbol)).toEqual(["decimal"]);
  });

  it("skips a module another module of the package imports while it loads, and test files", () => {
    writeFileSync(join(root, "app/mail.py"), "import email\n\ndef parse(text):\n    return email.message_from_string(text)\n");
    mkdirSync(join(root, "tests"), { recursive: true });
    writeFileSync(join(root, "tests/test_mail.py"), "import email\n\ndef test_parse():\n    assert email.message_from_string('a: b')\n");
    const files = {
      "app/mail.py": { module: "app.mail", imports: [fact("email", [], ["email"], 1)] },
      "tests/test_mail.py": { module: "tests.test_mail", imports: [fact("email", [], ["email"], 1)] },
    };
    expect(agent.plan({ ...analysisOf(files, []), root }).map((task) => task.files[0])).toEqual(["app/mail.py"]);
    const guarded = fact("email", [], ["email"], 1, { conditional: true, loadTime: true });
    const withLoader = { ...files, "app/loader.py": { module: "app.loader", imports: [guarded] } };
    writeFileSync(join(root, "app/loader.py"), "try:\n    import email\nexcept ImportError:\n    email = None\n");
    expect(agent.plan({ ...analysisOf(withLoader, []), root })).toEqual([]);
  });

  it("resolves relative imports from modules and packages", () => {
    expect(resolveModule("app.report", false, ".cli", 1)).toBe("app.cli");
    expect(resolveModule("app", true, ".cli", 1)).toBe("app.cli");
    expect(resolveModule("app.sub.x", false, "..", 2)).toBe("app");
    expect(resolveModule("x", false, "...", 3)).toBeUndefined();
  });
});
