import { type Dirent, lstatSync, readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import ignore, { type Ignore } from "ignore";

/** A Python file found under the root, or a path that could not be visited. */
export type DiscoveredPath =
  | { state: "file"; path: string; absolutePath: string; size: number; mtimeMs: number }
  | { state: "error"; path: string; message: string };

export interface DiscoverOptions {
  /** Extra gitignore-style patterns to skip. */
  exclude: string[];
  /** Also visit what .gitignore ignores. */
  includeIgnored: boolean;
}

/** Folders never worth analyzing: tool caches, VCS metadata, build output, dependency trees. */
const SKIPPED_DIRECTORIES = new Set([
  ".git", ".hg", ".svn", ".pyagent", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
  ".tox", ".nox", ".eggs", "node_modules", ".venv", "venv", ".direnv", "site-packages",
]);

/** A virtualenv (or conda env) is recognised by its marker entry, whatever the folder is called. */
function isVirtualenv(entries: Dirent[]): boolean {
  return entries.some((entry) => entry.name === "pyvenv.cfg" || entry.name === "conda-meta");
}

interface Frame {
  directory: string;
  /** Matchers from .gitignore files of this folder and its ancestors, each with the folder it is relative to. */
  ignores: Array<{ base: string; matcher: Ignore }>;
}

/**
 * Walks `root` and returns every `.py` file in a stable (sorted) order, skipping ignored and
 * virtualenv folders. Unreadable folders and symlink loops are returned as errors, never thrown.
 * Symlinks are followed once: a folder reached again through a link is a loop.
 */
export function discoverPythonFiles(root: string, options: DiscoverOptions): DiscoveredPath[] {
  const results: DiscoveredPath[] = [];
  const extra = ignore().add(options.exclude);
  const visited = new Set<string>([realpathSync(root)]);
  const stack: Frame[] = [{ directory: root, ignores: [] }];

  while (stack.length > 0) {
    const frame = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(frame.directory, { withFileTypes: true });
    } catch (error) {
      results.push({ state: "error", path: toRelative(root, frame.directory), message: describeFsError(error) });
      continue;
    }
    if (frame.directory !== root && isVirtualenv(entries)) continue;
    if (!options.includeIgnored && entries.some((entry) => entry.name === ".gitignore")) frame.ignores = loadGitignore(frame.directory, frame.ignores);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirectories: Frame[] = [];
    for (const entry of entries) {
      const absolutePath = join(frame.directory, entry.name);
      const path = toRelative(root, absolutePath);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const target = statSync(absolutePath);
          isDirectory = target.isDirectory();
          isFile = target.isFile();
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "ELOOP") results.push({ state: "error", path, message: "symlink loop" });
          else if (entry.name.endsWith(".py")) results.push({ state: "error", path, message: `broken symlink (${describeFsError(error)})` });
          continue;
        }
      }
      if (isDirectory) {
        if (SKIPPED_DIRECTORIES.has(entry.name) || entry.name.endsWith(".egg-info")) continue;
        if (isIgnored(frame.ignores, extra, absolutePath, root, true)) continue;
        let real: string;
        try {
          real = realpathSync(absolutePath);
        } catch (error) {
          results.push({ state: "error", path, message: describeFsError(error) });
          continue;
        }
        if (visited.has(real)) {
          if (entry.isSymbolicLink()) results.push({ state: "error", path, message: "symlink loop: this folder was already visited through another path" });
          continue;
        }
        visited.add(real);
        subdirectories.push({ directory: absolutePath, ignores: frame.ignores });
      } else if (isFile && entry.name.endsWith(".py")) {
        if (isIgnored(frame.ignores, extra, absolutePath, root, false)) continue;
        try {
          const stats = statSync(absolutePath);
          results.push({ state: "file", path, absolutePath, size: stats.size, mtimeMs: stats.mtimeMs });
        } catch (error) {
          results.push({ state: "error", path, message: describeFsError(error) });
        }
      }
    }
    for (let index = subdirectories.length - 1; index >= 0; index--) stack.push(subdirectories[index]!);
  }
  return results.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function loadGitignore(directory: string, inherited: Frame["ignores"]): Frame["ignores"] {
  const file = join(directory, ".gitignore");
  try {
    if (!lstatSync(file).isFile()) return inherited;
    return [...inherited, { base: directory, matcher: ignore().add(readFileSync(file, "utf8")) }];
  } catch {
    return inherited; // an unreadable .gitignore ignores nothing; the files themselves still report their errors
  }
}

function isIgnored(ignores: Frame["ignores"], extra: Ignore, absolutePath: string, root: string, isDirectory: boolean): boolean {
  const suffix = isDirectory ? "/" : "";
  const fromRoot = toRelative(root, absolutePath);
  if (fromRoot && extra.ignores(fromRoot + suffix)) return true;
  for (const { base, matcher } of ignores) {
    const path = toRelative(base, absolutePath);
    if (path && matcher.ignores(path + suffix)) return true;
  }
  return false;
}

function toRelative(root: string, path: string): string {
  const result = relative(root, path);
  return sep === "/" ? result : result.split(sep).join("/");
}

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ELOOP":
      return "symlink loop";
    case "ENOENT":
      return "no such file";
    default:
      return (error as Error).message;
  }
}
