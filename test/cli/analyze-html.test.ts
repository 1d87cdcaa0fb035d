import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext } from "playwright-core";
import { chromiumPath, launchBrowser } from "../helpers/browser.js";
import { makeTree, runCli } from "../helpers/cli.js";

const files: Record<string, string> = { "pkg/__init__.py": "", "pkg/a.py": "import os\nfrom pkg import b\n\ndef f(x):\n    if x:\n        return 1\n    return 2\n" };
files["pkg/b.py"] = "from pkg import a\n\ndef g(y):\n    for i in y:\n        if i and y:\n            pass\n";
// A hotspot whose qualified name and path are long enough that a fixed-width label would cut them.
const LONG_CLASS = "ExtremelyDescriptiveConfigurationLoaderWithFallbacks";
const LONG_METHOD = "resolve_environment_overrides_for_profile";
files["pkg/deeply_nested_configuration_helpers.py"] = [
  `class ${LONG_CLASS}:`,
  `    def ${LONG_METHOD}(self, a, b, c):`,
  ...Array.from({ length: 8 }, (_, index) => `        if a == ${index} or b == ${index}:\n            c += ${index}`),
  "        return c",
  "",
].join("\n");
for (let index = 0; index < 12; index++) files[`pkg/m${index}.py`] = `from pkg import a\nfrom pkg import m${(index + 1) % 12}\n\ndef h${index}(v):\n    return v or ${index}\n`;

// CI installs chromium; on a developer machine without it the test says why it is skipped.
describe.skipIf(!chromiumPath() && !process.env.CI)("the HTML report in a real browser (needs Debian chromium)", () => {
  let browser: BrowserContext;
  let page: string;
  beforeAll(async () => {
    const root = makeTree(files);
    const out = join(makeTree({}), "report.html");
    const result = await runCli("analyze", root, "--format", "html", "--output", out);
    expect(result.code).toBe(0);
    page = out;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("is one self-contained file: no external scripts, styles, images or fonts", () => {
    const html = readFileSync(page, "utf8");
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).not.toMatch(/url\(/i);
  });

  it("renders the summary, the complexity chart, hotspots and the module graph without errors", async () => {
    const tab = await browser.newPage();
    const problems: string[] = [];
    tab.on("pageerror", (error) => problems.push(error.message));
    tab.on("console", (message) => message.type() === "error" && problems.push(message.text()));
    tab.on("request", (request) => !request.url().startsWith("file:") && problems.push(`network request to ${request.url()}`));
    await tab.goto(pathToFileURL(page).href);
    expect(await tab.textContent("#files-count")).toBe("16");
    expect(await tab.locator("#complexity-chart rect").count()).toBe(6);
    expect(await tab.locator("#hotspot-chart rect").count()).toBeGreaterThanOrEqual(10);
    expect(await tab.locator("#module-graph circle").count()).toBe(14);
    expect(await tab.locator("#module-graph circle.cycle").count()).toBeGreaterThanOrEqual(2);
    const box = await tab.locator("#module-graph").boundingBox();
    expect(box?.width).toBeGreaterThan(300);
    await tab.screenshot({ path: page.replace(/\.html$/, ".png"), fullPage: true });
    expect(problems).toEqual([]);
  });

  it("shows every module's name as visible text on the import graph and in the module list", async () => {
    const tab = await browser.newPage();
    await tab.goto(pathToFileURL(page).href);
    const labels = tab.locator("#module-graph text.label");
    expect(await labels.count()).toBe(14);
    for (const name of ["a", "b", "m0", "m11"]) await expect(tab.locator("#module-graph text.label", { hasText: new RegExp(`^${name}$`) }).isVisible()).resolves.toBe(true);
    // Each label lies inside the picture.
    const graph = (await tab.locator("#module-graph").boundingBox())!;
    for (const box of await labels.evaluateAll((nodes) => nodes.map((node) => node.getBoundingClientRect().toJSON()))) {
      expect(box.left).toBeGreaterThanOrEqual(graph.x - 1);
      expect(box.right).toBeLessThanOrEqual(graph.x + graph.width + 1);
    }
    const list = await tab.locator("#module-list").innerText();
    for (const name of ["pkg.a", "pkg.b", "pkg.m0", "pkg.m11"]) expect(list).toContain(name);
  });

  it("shows hotspot names and paths whole, without cutting them", async () => {
    const tab = await browser.newPage();
    await tab.goto(pathToFileURL(page).href);
    const row = tab.locator("#hotspot-chart tbody tr").first();
    const text = await row.innerText();
    expect(text).toContain(`${LONG_CLASS}.${LONG_METHOD}`);
    expect(text).toContain("pkg/deeply_nested_configuration_helpers.py:2");
    // Nothing overflows its cell (wrapped, not clipped).
    const clipped = await row.locator("td").evaluateAll((cells) => cells.filter((cell) => cell.scrollWidth > cell.clientWidth + 1).length);
    expect(clipped).toBe(0);
  });

  it("filters the findings table by rule", async () => {
    const tab = await browser.newPage();
    await tab.goto(pathToFileURL(page).href);
    const all = await tab.locator("#findings tbody tr").count();
    await tab.selectOption("#rule-filter", "import-cycle");
    const visible = await tab.locator("#findings tbody tr:visible").count();
    expect(visible).toBeGreaterThan(0);
    expect(visible).toBeLessThan(all);
    expect(await tab.textContent("#findings-count")).toBe(String(visible));
  });
});
