/**
 * The built CLI as a process (`node dist/aggregator/cli/main.js`, the `replica-watch` bin): the
 * exit codes scripts rely on, and the cause on stderr. A blind aggregator (verdict degraded) must
 * never exit 0 ("blind is never green"), and must exit apart from "could not read the report".
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Report } from '../../aggregator/reconcile/report';
import { componentReport, sampleReport } from '../support/published-reports';
import { REPO_ROOT } from '../support/spawn';
import { startWebhookReceiver } from '../support/webhook-receiver';

const CLI = path.join(REPO_ROOT, 'dist', 'aggregator', 'cli', 'main.js');

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runBuilt(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Serves one report (or status) for every request. */
async function serve(status: number, body: unknown): Promise<{ url: string; close(): Promise<void> }> {
  const fake = await startWebhookReceiver({
    answer: () => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { url: fake.baseUrl, close: () => fake.close() };
}

function report(verdict: 'ok' | 'degraded'): Report {
  const blind = verdict === 'degraded';
  return sampleReport(
    {
      app: 'wrong-app-id',
      platform: 'digitalocean',
      app_id: 'wrong-app-id',
      pending_deployment: blind ? null : { id: 'dep-queued', phase: 'PENDING_DEPLOY', created_at: null },
      components: [
        componentReport({
          desired: blind ? null : 2,
          platform_ready: null,
          platform_instances: null,
          verdict,
        }),
      ],
      degraded: blind,
    },
    {
      configured_replicas: 0,
      verdict,
      do_api_status: blind ? 'unavailable' : 'ok',
      platform_data_age_ms: blind ? null : 1000,
      do_api_error: blind
        ? {
            kind: 'unauthorized',
            message: 'GET /v2/apps/wrong-app-id: HTTP 401 unauthorized: Unable to authenticate you',
            http_status: 401,
            request_id: 'b1c2d3e4-1111-4222-8333-944455556666',
            since: '2026-01-02T03:00:00.000Z',
            fix_variable: 'DO_API_TOKEN',
          }
        : null,
    },
  );
}

describe('replica-watch (the built bin) exit codes', () => {
  test('a degraded verdict exits 4 and says why, with the variable and the request id', async () => {
    const fake = await serve(200, report('degraded'));
    try {
      const status = await runBuilt(['status', '--url', fake.url]);
      expect(status.code).toBe(4);
      expect(status.stdout).toContain('verdict degraded');
      expect(status.stdout).toContain(
        'the DigitalOcean API refused DO_API_TOKEN (wrong, expired or revoked) (HTTP 401)',
      );
      expect(status.stdout).toContain('check DO_API_TOKEN');
      expect(status.stdout).toContain(
        'b1c2d3e4-1111-4222-8333-944455556666 (quote it to DigitalOcean support)',
      );
      const json = await runBuilt(['diagnose', '--json', '--url', fake.url]);
      expect(json.code).toBe(4);
      expect(JSON.parse(json.stdout)).toMatchObject({ summary: { verdict: 'degraded' } });
      expect(json.stderr).toContain('verdict degraded: the aggregator is blind:');
    } finally {
      await fake.close();
    }
  });

  test('an ok verdict exits 0 and shows the queued deployment', async () => {
    const fake = await serve(200, report('ok'));
    try {
      const status = await runBuilt(['status', '--url', fake.url]);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('deployment pending (queued): dep-queued (PENDING_DEPLOY)');
    } finally {
      await fake.close();
    }
  });

  test('a refused token exits 3 and says to set AGGREGATOR_API_TOKEN', async () => {
    const fake = await serve(401, { error: 'unauthorized' });
    try {
      const status = await runBuilt(['status', '--url', fake.url], {
        AGGREGATOR_API_TOKEN: 'wrong-token-123',
      });
      expect(status.code).toBe(3);
      expect(status.stderr).toContain('the aggregator refused the token (HTTP 401)');
      expect(status.stderr).toContain('Set AGGREGATOR_API_TOKEN');
      expect(status.stderr).not.toContain('Is the aggregator running there?');
    } finally {
      await fake.close();
    }
  });
});
