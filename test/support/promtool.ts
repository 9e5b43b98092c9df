/**
 * Runs Prometheus' promtool (Debian package `prometheus`) for the metrics and rules tests. A
 * missing promtool is an error that says how to install it, never a silent skip.
 */
import { spawn, spawnSync } from 'node:child_process';

const INSTALL_HINT =
  'promtool was not found on PATH. The Prometheus tests need it: install the Debian package ' +
  '`prometheus` (`apt-get install -y --no-install-recommends prometheus`; .ci/run does) or put a ' +
  'promtool from a Prometheus release on PATH.';

export interface PromtoolResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Throws the install hint when promtool cannot run. */
export function assertPromtool(): void {
  const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(INSTALL_HINT);
}

/** Runs `promtool <args>` with `stdin` piped in; resolves with its exit code and output. */
export function promtool(args: readonly string[], stdin = '', cwd?: string): Promise<PromtoolResult> {
  assertPromtool();
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', [...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
