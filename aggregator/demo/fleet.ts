/**
 * The demo's fleet: real agent processes, one per instance, each probing a tiny local backend
 * that serves (or, for the broken one, answers 503), and publishing to the aggregator over HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import path from 'node:path';
import { closeServer, listen } from '../http/listen';

export interface DemoInstance {
  readonly instanceId: string;
  readonly component: string;
  readonly deploymentId: string;
  /** false: its backend answers the health probe with 503. */
  readonly serving: boolean;
}

export interface DemoFleetOptions {
  readonly app: string;
  readonly aggregatorUrl: string;
  readonly intervalMs: number;
  readonly ttlMs: number;
}

export interface DemoFleet {
  /** SIGTERM to every agent (each says goodbye), then waits for them. Idempotent. */
  stop(): Promise<void>;
}

const AGENT_MAIN = path.resolve(__dirname, '../../agent/main.js');

/** A stand-in backend: /health answers 200, /broken answers 503. */
async function startBackend(): Promise<{ server: Server; url: string }> {
  const { server, port } = await listen(
    (req, res) => {
      res.statusCode = req.url === '/health' ? 200 : 503;
      res.end(res.statusCode === 200 ? 'ok' : 'unavailable');
    },
    '127.0.0.1',
    0,
  );
  return { server, url: `http://127.0.0.1:${port}` };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startDemoFleet(
  instances: readonly DemoInstance[],
  options: DemoFleetOptions,
): Promise<DemoFleet> {
  const backend = await startBackend();
  const children = instances.map((instance) =>
    spawn(process.execPath, [AGENT_MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        AGENT_ENABLED: 'true',
        AGENT_APP: options.app,
        AGENT_COMPONENT: instance.component,
        AGENT_INSTANCE_ID: instance.instanceId,
        DEPLOYMENT_ID: instance.deploymentId,
        AGENT_PROBE_URL: `${backend.url}/${instance.serving ? 'health' : 'broken'}`,
        AGENT_INTERVAL_MS: String(options.intervalMs),
        AGENT_TTL_MS: String(options.ttlMs),
        AGENT_PORT: '0',
        AGENT_HOST: '127.0.0.1',
        AGGREGATOR_URL: options.aggregatorUrl,
        LOG_LEVEL: 'error',
      },
      // Agents' own errors still reach the terminal; their routine lines are not wanted here.
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  let stopping: Promise<void> | undefined;
  return {
    stop: () =>
      (stopping ??= (async () => {
        for (const child of children) child.kill('SIGTERM');
        await Promise.all(children.map(exited));
        await closeServer(backend.server);
      })()),
  };
}
