/**
 * The dashboard's browser code as `npm run build` compiles it (browser/tsconfig.json, ES modules
 * for the DOM). Read once when the dashboard's routes are made, so that a missing build fails the
 * aggregator's start-up rather than the first page load.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The modules the pages load, served under `/dashboard/`: app.js (an app's page), fleet.js (the
 * fleet page) and every module they import.
 */
export const DASHBOARD_MODULES = [
  'app.js',
  'fleet.js',
  'api.js',
  'app-url.js',
  'text.js',
  'fleet-text.js',
  'dom.js',
  'chart.js',
] as const;
export type DashboardModule = (typeof DASHBOARD_MODULES)[number];

/** browser/tsconfig.json's outDir below the package root, and the folder of the modules in it. */
const BUILD_PATH = ['dist', 'browser', 'dashboard', 'browser'];

/**
 * Where the compiled modules are: below the package root (the nearest folder above this file
 * with a package.json), the same whether the server runs from dist/ or from source in a test.
 */
export function dashboardScriptDir(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(`no package.json above ${from}: cannot find the dashboard's browser code`);
    dir = parent;
  }
  return path.join(dir, ...BUILD_PATH);
}

/** The compiled modules' text by file name; throws, naming the fix, when one is missing. */
export function loadDashboardScripts(
  dir: string = dashboardScriptDir(),
): ReadonlyMap<DashboardModule, string> {
  const missing = DASHBOARD_MODULES.filter((file) => !existsSync(path.join(dir, file)));
  if (missing.length > 0) {
    throw new Error(
      `the dashboard's browser code is not built (${missing.join(', ')} missing in ${dir}): run npm run build`,
    );
  }
  return new Map(DASHBOARD_MODULES.map((file) => [file, readFileSync(path.join(dir, file), 'utf8')]));
}
