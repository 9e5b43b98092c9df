/**
 * A real Prometheus Alertmanager (the Debian package prometheus-alertmanager) on a free
 * loopback port, without clustering, with a receiver that sends nothing anywhere: tests read its
 * state back through GET /api/v2/alerts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './redis-server';

export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';

const INSTALL_HINT =
  `${ALERTMANAGER_BIN} was not found. The alerting end-to-end test needs a real Alertmanager: ` +
  'install it (Debian/Ubuntu: `apt-get install -y prometheus-alertmanager`; .ci/run does).';

const CONFIG = `route:
  receiver: nowhere
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: nowhere
`;

/** An alert as Alertmanager's v2 API lists it. */
export interface GettableAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly status: { readonly state: string };
}

export interface TestAlertmanager {
  readonly url: string;
  /** The active alerts (GET /api/v2/alerts: resolved ones are left out). */
  alerts(): Promise<GettableAlert[]>;
  /** Idempotent. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts Alertmanager and waits until /-/ready answers; fails with the apt-get hint when it is missing. */
export async function startAlertmanager(): Promise<TestAlertmanager> {
  const probe = spawnSync(ALERTMANAGER_BIN, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(INSTALL_HINT);
  const dir = mkdtempSync(path.join(tmpdir(), 'rw-alertmanager-'));
  const configFile = path.join(dir, 'alertmanager.yml');
  writeFileSync(configFile, CONFIG);
  const port = await freePort();
  const child = spawn(
    ALERTMANAGER_BIN,
    [
      `--config.file=${configFile}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited(child);
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    })());

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`alertmanager exited with code ${child.exitCode}:\n${output}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`alertmanager was not ready within 15 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    alerts: async () => {
      const res = await fetch(`${url}/api/v2/alerts`);
      if (!res.ok) throw new Error(`GET /api/v2/alerts: ${res.status}`);
      return (await res.json()) as GettableAlert[];
    },
    stop,
  };
}
