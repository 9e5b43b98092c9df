/**
 * No Docker engine runs here, so the images are checked as far as text allows. The aggregator's:
 * multi-stage on Node 20, production dependencies only, non-root, a HEALTHCHECK on /livez, a CMD
 * whose target the build produces (npm test builds first). The agent's: the packaged executable
 * and run-with-agent.sh in /opt/replica-watch/ of a glibc bookworm-slim image without Node,
 * non-root by number, a HEALTHCHECK on /livez, and every backend Dockerfile's and doc's
 * `COPY --from=` taking what that image has. Neither build context loses a file it copies to
 * .dockerignore. (The agent's HEALTHCHECK command is run for real in
 * test/integration/agent-image-healthcheck.test.ts.)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/spawn';

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

function read(file: string): Instruction[] {
  return parseDockerfile(readFileSync(path.join(REPO_ROOT, file), 'utf8'));
}

/** The stages, each from its FROM on. */
function stages(instructions: readonly Instruction[]): Instruction[][] {
  const result: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') result.push([]);
    result[result.length - 1]?.push(instruction);
  }
  return result;
}

/** A COPY's flags, its sources and its destination. */
function copyParts(args: string): { flags: string[]; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  return { flags, sources: paths.slice(0, -1), dest: paths[paths.length - 1] ?? '' };
}

/** Whether .dockerignore leaves `file` out of the build context (last matching line wins). */
function ignored(file: string, patterns: readonly string[]): boolean {
  let out = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/\/$/, '');
    if (file === pattern || file.startsWith(`${pattern}/`)) out = !negated;
  }
  return out;
}

const dockerignore = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

describe.each(['Dockerfile.agent', 'Dockerfile.aggregator'])('%s build context', (file) => {
  test('every file it copies from the context exists and is not in .dockerignore', () => {
    const sources = read(file)
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) => copyParts(i.args).sources);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect({ source, exists: existsSync(path.join(REPO_ROOT, source)) }).toEqual({ source, exists: true });
      expect({ source, ignored: ignored(source, dockerignore) }).toEqual({ source, ignored: false });
    }
  });
});

describe('Dockerfile.aggregator', () => {
  const instructions = read('Dockerfile.aggregator');
  const lastStage = stages(instructions).at(-1) ?? [];

  test('is multi-stage on a small Node 20 base', () => {
    const froms = instructions.filter((i) => i.keyword === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from.args).toMatch(/^node:20-(alpine|slim|bookworm-slim)/);
  });

  test('ships production dependencies only', () => {
    expect(
      instructions.some(
        (i) => i.keyword === 'RUN' && /npm prune --omit=dev|npm ci .*--omit=dev/.test(i.args),
      ),
    ).toBe(true);
  });

  test('runs as a non-root user in the final stage', () => {
    const users = lastStage.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users[users.length - 1]);
  });

  test('has a HEALTHCHECK on /livez using PORT', () => {
    const healthcheck = lastStage.find((i) => i.keyword === 'HEALTHCHECK');
    expect(healthcheck?.args).toMatch(/\/livez/);
    expect(healthcheck?.args).toContain('process.env.PORT');
  });

  test('CMD runs dist/aggregator/main.js, which the build produces', () => {
    const cmd = lastStage.find((i) => i.keyword === 'CMD');
    expect(JSON.parse(cmd?.args ?? '[]')).toEqual(['node', 'dist/aggregator/main.js']);
    expect(existsSync(path.join(REPO_ROOT, 'dist/aggregator/main.js'))).toBe(true);
  });
});

describe('Dockerfile.agent', () => {
  const instructions = read('Dockerfile.agent');
  const [build = [], final = []] = stages(instructions);
  const finalCopies = final.filter((i) => i.keyword === 'COPY').map((i) => copyParts(i.args));
  /** What the image holds under /opt/replica-watch/. */
  const shipped = finalCopies.flatMap((c) =>
    c.sources.map((s) => path.posix.join(c.dest, path.posix.basename(s))),
  );

  test('two stages: the executable is built on glibc Node 20, the image is bookworm-slim without Node', () => {
    expect(stages(instructions)).toHaveLength(2);
    expect(build[0]?.args).toMatch(/^node:20-bookworm-slim AS build$/);
    expect(final[0]?.args).toBe('debian:bookworm-slim');
    expect(build.some((i) => i.keyword === 'RUN' && i.args === 'npm run package:agent')).toBe(true);
    const scripts = (
      JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts['package:agent']).toBeDefined();
  });

  test('the final stage takes only the executable and run-with-agent.sh, into /opt/replica-watch/', () => {
    expect(finalCopies).toEqual([
      {
        flags: ['--from=build'],
        sources: ['/src/dist/agent-bin/replica-watch-agent', '/src/dist/agent-bin/run-with-agent.sh'],
        dest: '/opt/replica-watch/',
      },
    ]);
    expect(shipped).toEqual([
      '/opt/replica-watch/replica-watch-agent',
      '/opt/replica-watch/run-with-agent.sh',
    ]);
    // The script it ships is the repository's, executable.
    const script = path.join(REPO_ROOT, 'deploy/digitalocean/run-with-agent.sh');
    expect(statSync(script).mode & 0o111).toBe(0o111);
    expect(readFileSync(script, 'utf8').startsWith('#!/bin/sh\n')).toBe(true);
  });

  test('runs as a numeric non-root user (Kubernetes runAsNonRoot can check it)', () => {
    const users = final.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    const last = users[users.length - 1] ?? '';
    expect(last).toMatch(/^\d+(:\d+)?$/);
    expect(Number(last.split(':')[0])).toBeGreaterThan(0);
  });

  test('has a HEALTHCHECK on /livez using AGENT_PORT, needing no node', () => {
    const healthcheck = final.find((i) => i.keyword === 'HEALTHCHECK');
    expect(healthcheck?.args).toMatch(/\/livez/);
    expect(healthcheck?.args).toContain('${AGENT_PORT:-9102}');
    expect(healthcheck?.args).not.toMatch(/\bnode\b/);
  });

  test('CMD runs the executable the image carries', () => {
    const cmd = final.find((i) => i.keyword === 'CMD');
    const argv = JSON.parse(cmd?.args ?? '[]') as string[];
    expect(argv).toEqual(['/opt/replica-watch/replica-watch-agent']);
    expect(shipped).toContain(argv[0]);
  });

  /** Dockerfiles and docs that copy from the agent image. */
  function backendCopies(): { where: string; line: string }[] {
    const files: string[] = ['README.md'];
    const walk = (dir: string) => {
      for (const entry of readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
        const rel = path.posix.join(dir, entry.name);
        if (entry.isDirectory()) walk(rel);
        else if (/^Dockerfile|\.md$/.test(entry.name)) files.push(rel);
      }
    };
    walk('deploy');
    walk('docs');
    return files.flatMap((where) =>
      readFileSync(path.join(REPO_ROOT, where), 'utf8')
        .split('\n')
        .filter((line) => /^\s*COPY\s+--from=\S*replica-watch-agent/.test(line))
        .map((line) => ({ where, line: line.trim() })),
    );
  }

  test('every backend COPY --from= of the agent image takes what it has', () => {
    const copies = backendCopies();
    expect(copies.length).toBeGreaterThan(0);
    for (const { where, line } of copies) {
      const { sources } = copyParts(line.replace(/^COPY\s+/, ''));
      for (const source of sources) {
        const known = source === '/opt/replica-watch/' || shipped.includes(source);
        expect({ where, source, known }).toEqual({ where, source, known: true });
      }
    }
  });
});
