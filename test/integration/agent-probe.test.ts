import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServingProbe } from '../../agent/probe';
import { createServingProbe } from '../../agent/probe';
import { systemClock } from '../../shared/clock';
import { freePort } from '../support/redis-server';

let server: Server;
let base: string;
const probes: ServingProbe[] = [];

function probe(path: string, timeoutMs = 1000, url = `${base}${path}`): ServingProbe {
  const created = createServingProbe({ url, timeoutMs, clock: systemClock });
  probes.push(created);
  return created;
}

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/ok') return res.end('{"status":"ok"}');
    if (req.url === '/down') {
      res.statusCode = 503;
      return res.end('draining');
    }
    if (req.url === '/slow') {
      const timer = setTimeout(() => res.end('late'), 3000);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await Promise.all(probes.map((p) => p.close()));
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('serving probe', () => {
  it('reports a 2xx answer as serving, with status and latency', async () => {
    const before = Date.now();
    const result = await probe('/ok').check();
    expect(result).toMatchObject({ ok: true, status: 200, error: null });
    expect(result.latency_ms).toBeGreaterThanOrEqual(0);
    expect(result.latency_ms).toBeLessThan(1000);
    expect(result.checked_at).toBeGreaterThanOrEqual(before);
  });

  it('reports a 503 as not serving, with its status', async () => {
    const result = await probe('/down').check();
    expect(result).toMatchObject({ ok: false, status: 503 });
    expect(result.error).toContain('503');
    expect(result.latency_ms).not.toBeNull();
  });

  it('gives up on a slow backend at the timeout', async () => {
    const started = Date.now();
    const result = await probe('/slow', 150).check();
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ ok: false, status: null, latency_ms: null });
    expect(result.error).toMatch(/timed out after 150 ms/);
    expect(elapsed).toBeLessThan(1500);
  });

  it('reports a refused connection as not serving, without throwing', async () => {
    const port = await freePort();
    const result = await probe('', 1000, `http://127.0.0.1:${port}/health`).check();
    expect(result).toMatchObject({ ok: false, status: null, latency_ms: null });
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it('can be checked repeatedly over its kept-alive connection', async () => {
    const p = probe('/ok');
    const results = [await p.check(), await p.check(), await p.check()];
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
  });
});
