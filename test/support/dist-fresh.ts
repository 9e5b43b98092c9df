/**
 * jest globalSetup of the e2e tier: refuses to test a dist/ older than its sources. The e2e
 * tests run the built entry points, so after an edit without `npm run build` they would test
 * the old code and pass or fail for the wrong reason. `npm test` builds first; a bare
 * `npx jest test/e2e/...` after an edit fails here instead.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
/** What the build compiles (aggregator/ holds the dashboard's browser code too). */
const SOURCES = ['agent', 'aggregator', 'shared'];

/** The newest mtime of any file below `dir` (0 when there is none), and which file it is. */
export function newestFile(dir: string): { file: string | null; mtimeMs: number } {
  let newest: { file: string | null; mtimeMs: number } = { file: null, mtimeMs: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const found = entry.isDirectory()
      ? newestFile(full)
      : entry.isFile()
        ? { file: full, mtimeMs: statSync(full).mtimeMs }
        : newest;
    if (found.mtimeMs > newest.mtimeMs) newest = found;
  }
  return newest;
}

/**
 * When `npm run build` last completed: its last step compiles the dashboard's browser code into
 * dist/browser and, not being incremental, rewrites every file there on each run, even when
 * nothing changed. (The newest file anywhere under dist/ would not do: `tsc --noEmit -p .`
 * writes dist/.tsbuildinfo-dev, and packaging writes beside the build.)
 */
function lastBuildMs(): number {
  try {
    return newestFile(path.join(ROOT, 'dist', 'browser')).mtimeMs;
  } catch {
    return 0; // never built
  }
}

export default function assertDistFresh(): void {
  const builtMs = lastBuildMs();
  const sources = SOURCES.map((dir) => newestFile(path.join(ROOT, dir))).reduce((a, b) =>
    b.mtimeMs > a.mtimeMs ? b : a,
  );
  if (sources.mtimeMs > builtMs) {
    const changed = path.relative(ROOT, sources.file ?? '');
    throw new Error(
      `dist/ is older than the sources: run npm run build (${changed} changed after the last build)`,
    );
  }
}
