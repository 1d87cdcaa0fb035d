/**
 * Dotted module names for project files. A file's name starts at the outermost folder of its chain
 * of packages (folders with `__init__.py`), so `src/pkg/sub/mod.py` is `pkg.sub.mod` when `src/pkg`
 * and `src/pkg/sub` are packages, and `tools/script.py` is `script` when `tools` is not.
 */
export function moduleNames(paths: string[]): Map<string, { module: string; isPackage: boolean }> {
  const packageDirectories = new Set<string>();
  for (const path of paths) {
    if (path === "__init__.py") continue;
    if (path.endsWith("/__init__.py")) packageDirectories.add(path.slice(0, -"/__init__.py".length));
  }
  const result = new Map<string, { module: string; isPackage: boolean }>();
  for (const path of paths) {
    const isPackage = path === "__init__.py" || path.endsWith("/__init__.py");
    const parts = path.slice(0, -3).split("/");
    if (isPackage) parts.pop();
    // Walk up while the parent folder is a package.
    let start = parts.length - 1;
    while (start > 0 && packageDirectories.has(parts.slice(0, start).join("/"))) start--;
    if (isPackage && parts.length > 0 && !packageDirectories.has(parts.join("/"))) start = parts.length - 1;
    const module = parts.slice(Math.max(start, 0)).join(".") || "__init__";
    result.set(path, { module, isPackage });
  }
  return result;
}
