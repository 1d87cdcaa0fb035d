/**
 * Search/replace edit blocks: how a model changes a file without rewriting it.
 *
 *   path/to/file.py
 *   <<<<<<< SEARCH
 *   old lines
 *   =======
 *   new lines
 *   >>>>>>> REPLACE
 */
export interface EditBlock {
  path: string;
  search: string;
  replace: string;
}

/** Largest reply parsed: anything beyond is ignored (a runaway model must not cost memory or time). */
export const MAX_REPLY_CHARS = 200_000;

const SEARCH = /^\s*<{5,9} ?SEARCH\s*$/;
const DIVIDER = /^\s*={5,9}\s*$/;
const REPLACE = /^\s*>{5,9} ?REPLACE\s*$/;

/** The edit blocks in a reply; the path is the last non-empty, non-fence line before each SEARCH marker. */
export function parseEditBlocks(reply: string): EditBlock[] {
  const lines = reply.slice(0, MAX_REPLY_CHARS).split("\n");
  const blocks: EditBlock[] = [];
  let index = 0;
  while (index < lines.length) {
    if (!SEARCH.test(lines[index]!)) {
      index++;
      continue;
    }
    const path = pathBefore(lines, index);
    const search: string[] = [];
    const replace: string[] = [];
    let cursor = index + 1;
    while (cursor < lines.length && !DIVIDER.test(lines[cursor]!)) search.push(lines[cursor++]!);
    cursor++;
    while (cursor < lines.length && !REPLACE.test(lines[cursor]!)) replace.push(lines[cursor++]!);
    if (cursor >= lines.length) break; // an unterminated block is not an edit
    if (path !== undefined) blocks.push({ path, search: search.join("\n"), replace: replace.join("\n") });
    index = cursor + 1;
  }
  return blocks;
}

function pathBefore(lines: string[], index: number): string | undefined {
  for (let cursor = index - 1; cursor >= 0 && cursor >= index - 3; cursor--) {
    const line = lines[cursor]!.trim();
    if (line === "" || line.startsWith("```")) continue;
    return line.replace(/^[#*`\s]+|[*`:\s]+$/g, "").replace(/^(file|path)\s*[:=]\s*/i, "");
  }
  return undefined;
}

export type BlockResult = { ok: true; content: string } | { ok: false; problem: string };

/**
 * Applies one block to `content`. Matching tolerates whitespace drift in three steps: exact text,
 * then lines equal once trailing whitespace is dropped, then lines equal once all leading and
 * trailing whitespace is dropped (the replacement is re-indented by the difference). The match
 * must be unique; a miss or an ambiguity says so, for the retry prompt.
 */
export function applyBlock(content: string, block: EditBlock): BlockResult {
  if (block.search.trim() === "") return { ok: false, problem: `${block.path}: empty SEARCH on a file that exists (a whole-file rewrite is not allowed); copy the lines to change into SEARCH` };
  const exact = content.split(block.search);
  if (exact.length === 2) return { ok: true, content: exact.join(block.replace) };
  if (exact.length > 2) return { ok: false, problem: `${block.path}: SEARCH matches ${exact.length - 1} places; add surrounding lines so it matches one` };
  const fileLines = content.split("\n");
  const searchLines = trimBlankEdges(block.search.split("\n"));
  for (const normalize of [(line: string) => line.trimEnd(), (line: string) => line.trim()]) {
    const wanted = searchLines.map(normalize);
    const starts: number[] = [];
    for (let start = 0; start + wanted.length <= fileLines.length; start++) {
      if (wanted.every((line, offset) => normalize(fileLines[start + offset]!) === line)) starts.push(start);
    }
    if (starts.length > 1) return { ok: false, problem: `${block.path}: SEARCH matches ${starts.length} places; add surrounding lines so it matches one` };
    if (starts.length === 1) {
      const start = starts[0]!;
      const replaced = reindent(trimBlankEdges(block.replace.split("\n")), indentOf(searchLines), indentOf(fileLines.slice(start, start + searchLines.length)));
      return { ok: true, content: [...fileLines.slice(0, start), ...replaced, ...fileLines.slice(start + searchLines.length)].join("\n") };
    }
  }
  return { ok: false, problem: `${block.path}: SEARCH does not match the current file:\n${block.search.slice(0, 400)}` };
}

function trimBlankEdges(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start]!.trim() === "") start++;
  while (end > start && lines[end - 1]!.trim() === "") end--;
  return lines.slice(start, end);
}

function indentOf(lines: string[]): string {
  const first = lines.find((line) => line.trim() !== "");
  return first === undefined ? "" : /^\s*/.exec(first)![0];
}

/** Shifts `lines` from the model's indentation to the file's (only when the model's is a prefix of each line). */
function reindent(lines: string[], from: string, to: string): string[] {
  if (from === to) return lines;
  return lines.map((line) => (line.startsWith(from) ? to + line.slice(from.length) : line.trim() === "" ? line : to + line.trimStart()));
}
