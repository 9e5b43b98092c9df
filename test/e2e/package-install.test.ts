/**
 * The package as a package: the README's in-process example, in a project of its own that has
 * this repository installed as `replica-watch` (a symlink in its node_modules, as `npm install`
 * of a local path makes), compiles against the `exports` map and the type declarations, and the
 * `replica-watch` bin is the CLI.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../support/spawn';

const README = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
};

/** The ```ts block after the README's marker comment. */
function example(): string {
  const marker = README.indexOf('<!-- in-process-agent:');
  const block = /```ts\n([\s\S]*?)```/.exec(README.slice(marker));
  if (marker < 0 || !block?.[1]) throw new Error('README has no in-process agent example after its marker');
  return block[1];
}

function run(file: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({
        code: err === null ? 0 : typeof err.code === 'number' ? err.code : null,
        output: stdout + stderr,
      }),
    );
  });
}

let project: string;
beforeAll(() => {
  project = mkdtempSync(path.join(tmpdir(), 'rw-consumer-'));
  mkdirSync(path.join(project, 'node_modules/@types'), { recursive: true });
  symlinkSync(REPO_ROOT, path.join(project, 'node_modules/replica-watch'));
  symlinkSync(
    path.join(REPO_ROOT, 'node_modules/@types/node'),
    path.join(project, 'node_modules/@types/node'),
  );
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', type: 'module', private: true }),
  );
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

test("the README's in-process example compiles against replica-watch/agent's exports and types", async () => {
  writeFileSync(path.join(project, 'main.ts'), example());
  writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'node16',
        moduleResolution: 'node16',
        target: 'es2022',
        strict: true,
        noEmit: true,
        types: ['node'],
      },
      files: ['main.ts'],
    }),
  );
  const tsc = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
  const compiled = await run(process.execPath, [tsc, '-p', project], project);
  expect(compiled.output).toBe('');
  expect(compiled.code).toBe(0);

  // And a wrong use is a type error: the declarations are real, not `any`.
  writeFileSync(path.join(project, 'main.ts'), `${example()}\nagent.stop(42);\n`);
  const wrong = await run(process.execPath, [tsc, '-p', project], project);
  expect(wrong.code).not.toBe(0);
  expect(wrong.output).toMatch(/Expected 0 arguments/);
});

test('the replica-watch bin is the CLI', async () => {
  const bin = path.join(project, 'node_modules/replica-watch', pkg.bin['replica-watch'] ?? '');
  const { code, output } = await run(process.execPath, [bin, '--help'], project);
  expect(output).toMatch(/^usage: replica-watch <command>/);
  expect(output).toMatch(/status +one row per component/);
  expect(code).toBe(0);
});
