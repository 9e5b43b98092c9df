#!/usr/bin/env node
// @ts-check
/* global process, console, __dirname -- Node globals: eslint.config.js declares only module and require for .js files */
/**
 * `npm run package:agent`: builds dist/agent-bin/replica-watch-agent, the agent as one
 * self-contained executable (a Node single executable application), and puts run-with-agent.sh
 * beside it. Needs no `npm run build` first: esbuild reads the TypeScript sources.
 *
 *   1. esbuild bundles agent/main.ts and every module it loads into one CommonJS file (a single
 *      executable can require built-in modules only);
 *   2. `node --experimental-sea-config` turns that file into a blob;
 *   3. a copy of the running node binary (stripped of its symbols when `strip` is on PATH) gets
 *      the blob injected with postject;
 *   4. the result is started once with a bad environment: exit 2 and the agent's own message
 *      prove the blob runs (a node binary without one would start a REPL instead).
 *
 * The executable is built for the platform of the node that runs this script; the target is
 * x86_64 glibc Linux (build it on Debian/Ubuntu or in Dockerfile.agent, not on Alpine).
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const OUT_DIR = path.join(ROOT, 'dist/agent-bin');
/** Intermediate files (bundle, blob, SEA config), kept for inspection and size reports. */
const WORK_DIR = path.join(ROOT, 'dist/agent-sea');
const EXECUTABLE = path.join(OUT_DIR, 'replica-watch-agent');
const SUPERVISOR_SOURCE = path.join(ROOT, 'deploy/digitalocean/run-with-agent.sh');
/** Node's fixed fuse string: postject flips it so node looks for the blob at start. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Packages the agent must not carry (eslint keeps them out of agent/; this checks the bundle). */
const FORBIDDEN_PACKAGES = ['zod', 'express', 'helmet', 'express-rate-limit'];

/** @param {string} message */
function fail(message) {
  process.stderr.write(`package:agent: ${message}\n`);
  process.exit(1);
}

/** @param {number} bytes */
function mib(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function checkNode() {
  const [major = 0] = process.versions.node.split('.').map(Number);
  if (major < 20) fail(`Node ${process.versions.node}: single executable applications need Node >= 20`);
  if (process.platform !== 'linux') {
    fail(`${process.platform}: only Linux executables are built here (macOS would also need codesign)`);
  }
  // A node linked against a shared libnode (some distribution packages) has no fuse to flip.
  const variables = /** @type {Record<string, unknown>} */ (process.config.variables);
  if (variables.node_shared === true) {
    fail(`${process.execPath} uses a shared libnode, which cannot carry a blob: use a nodejs.org build`);
  }
}

async function bundle() {
  const esbuild = require('esbuild');
  const outfile = path.join(WORK_DIR, 'agent.cjs');
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(ROOT, 'agent/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Smaller to parse at every start; names kept so logged errors still read.
    minify: true,
    keepNames: true,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
  });
  const carried = Object.keys(result.metafile.inputs)
    .map((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1])
    .filter((name) => name !== undefined);
  const forbidden = FORBIDDEN_PACKAGES.filter((name) => carried.includes(name));
  if (Object.keys(result.metafile.inputs).some((input) => input.startsWith('aggregator/'))) {
    forbidden.push('aggregator/');
  }
  if (forbidden.length > 0) fail(`the agent bundle carries ${forbidden.join(', ')}: see eslint.config.js`);
  return { file: outfile, bytes: fs.statSync(outfile).size, packages: [...new Set(carried)].sort() };
}

/** @param {string} main */
function makeBlob(main) {
  const blob = path.join(WORK_DIR, 'sea-prep.blob');
  const config = path.join(WORK_DIR, 'sea-config.json');
  fs.writeFileSync(
    config,
    `${JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }, null, 2)}\n`,
  );
  const made = spawnSync(process.execPath, ['--experimental-sea-config', config], { encoding: 'utf8' });
  if (made.status !== 0) fail(`node --experimental-sea-config failed:\n${made.stderr}${made.stdout}`);
  return blob;
}

/** A copy of this node, without its symbol tables and debug info when `strip` is there. */
function copyNode() {
  fs.rmSync(EXECUTABLE, { force: true });
  const stripped = spawnSync('strip', ['--strip-all', '-o', EXECUTABLE, process.execPath], {
    encoding: 'utf8',
  });
  if (stripped.error || stripped.status !== 0) {
    process.stdout.write(`package:agent: strip unavailable or failed, the executable keeps its symbols\n`);
    fs.copyFileSync(process.execPath, EXECUTABLE);
  }
  fs.chmodSync(EXECUTABLE, 0o755);
  return !(stripped.error || stripped.status !== 0);
}

/** @param {string} blob */
async function inject(blob) {
  const { inject: postject } = require('postject');
  // postject prints a line per step, and LIEF warns about every unnamed ELF note section
  // ("Can't find string offset for section name '.note'"), which is harmless: the smoke test
  // that follows is what says whether the injection worked. A failure still throws.
  const { log, warn, error } = console;
  console.log = console.warn = console.error = () => undefined;
  try {
    await postject(EXECUTABLE, 'NODE_SEA_BLOB', fs.readFileSync(blob), { sentinelFuse: SEA_FUSE });
  } finally {
    Object.assign(console, { log, warn, error });
  }
}

/** The executable must be the agent: a bad AGENT_PORT makes the agent exit 2 naming it. */
function smokeTest() {
  const run = spawnSync(EXECUTABLE, [], {
    env: { AGENT_PORT: 'not-a-port' },
    encoding: 'utf8',
    timeout: 10_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (run.status !== 2 || !/replica-watch agent: [\s\S]*AGENT_PORT/.test(run.stderr)) {
    fail(
      `the executable did not behave as the agent (status ${String(run.status)}):\n${run.stderr}${run.stdout}`,
    );
  }
}

function copySupervisor() {
  const target = path.join(OUT_DIR, 'run-with-agent.sh');
  fs.copyFileSync(SUPERVISOR_SOURCE, target);
  fs.chmodSync(target, 0o755);
}

async function main() {
  checkNode();
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.mkdirSync(WORK_DIR, { recursive: true });
  const bundled = await bundle();
  const blob = makeBlob(bundled.file);
  const stripped = copyNode();
  await inject(blob);
  smokeTest();
  copySupervisor();
  const report = {
    executable: path.relative(ROOT, EXECUTABLE),
    executable_bytes: fs.statSync(EXECUTABLE).size,
    bundle_bytes: bundled.bytes,
    blob_bytes: fs.statSync(blob).size,
    node: process.version,
    stripped,
    packages: bundled.packages,
  };
  process.stdout.write(
    `package:agent: ${report.executable} ${mib(report.executable_bytes)} (bundle ${mib(report.bundle_bytes)}, node ${report.node}${stripped ? ', stripped' : ''})\n`,
  );
  fs.writeFileSync(path.join(WORK_DIR, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
}

main().catch((err) => fail(err instanceof Error ? (err.stack ?? err.message) : String(err)));
