/**
 * The DigitalOcean client against real local HTTP servers (nock cannot see undici): paging,
 * rate limits, retries within the budget, timeouts, junk bodies, permanent errors named by the
 * concrete call with DigitalOcean's request_id, network failures in words, and the token never
 * leaking into an error or a log line.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import type { CallOutcome, DigitalOceanClientOptions } from '../../aggregator/platform/digitalocean/client';
import { DEPLOYMENT_HISTORY_LIMIT, DigitalOceanClient } from '../../aggregator/platform/digitalocean/client';
import {
  PlatformHttpError,
  PlatformRetryableError,
  PlatformSchemaError,
} from '../../aggregator/platform/digitalocean/errors';
import { MAX_APP_PAGES, MAX_LISTED_APPS } from '../../aggregator/platform/digitalocean/app-list';
import type { Clock } from '../../shared/clock';
import { createLogger } from '../../shared/logger';
import { RetryableError } from '../../shared/retry';
import { captureLogs } from '../support/logs';
import { loadAppsOpenApi, responseExamples } from '../support/openapi';
import { waitFor } from '../support/wait';

const TOKEN = 'dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab';
const APP = '4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf';
const NOW = Date.parse('2026-03-01T12:00:00Z');

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, index: number, body: string) => void;

interface TestServer {
  readonly url: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];
const clients: DigitalOceanClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: Handler): Promise<TestServer> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body,
      });
      handler(req, res, seen.length - 1, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const testServer: TestServer = {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  servers.push(testServer);
  return testServer;
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** Answers after `ms`, unless the client hangs up first (then the timer goes too). */
function later(res: ServerResponse, ms: number, answer: () => void): void {
  const timer = setTimeout(answer, ms);
  res.once('close', () => clearTimeout(timer));
}

/** A clock whose sleeps return at once and are recorded: retry waits become assertions. */
function recordingClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return { sleeps, now: () => NOW, sleep: (ms) => (sleeps.push(ms), Promise.resolve()) };
}

function client(url: string, options: Partial<DigitalOceanClientOptions> = {}): DigitalOceanClient {
  const created = new DigitalOceanClient({
    baseUrl: url,
    token: TOKEN,
    clock: recordingClock(),
    retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 60_000 },
    ...options,
  });
  clients.push(created);
  return created;
}

const APP_BODY = {
  app: {
    id: APP,
    spec: { name: 'shop', services: [{ name: 'backend', instance_count: 2 }] },
    active_deployment: { id: 'd2', phase: 'ACTIVE' },
  },
};

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('DigitalOceanClient', () => {
  it('reads the app with the Bearer token', async () => {
    const server = await serve((_req, res) => json(res, 200, APP_BODY));
    const app = await client(server.url).getApp(APP);
    expect(app.spec.services?.[0]).toEqual({ name: 'backend', instance_count: 2 });
    expect(server.seen).toEqual([
      { method: 'GET', url: `/v2/apps/${APP}`, authorization: `Bearer ${TOKEN}`, body: '' },
    ]);
  });

  it('keeps the path prefix of the base URL', async () => {
    const server = await serve((_req, res) => json(res, 200, { instances: [] }));
    await client(`${server.url}/proxy/do/`).listInstances(APP);
    expect(server.seen.map((s) => s.url)).toEqual([`/proxy/do/v2/apps/${APP}/instances`]);
  });

  it('pages through every deployment by links.pages.next, asking its own host for each page', async () => {
    const all = Array.from({ length: 5 }, (_, i) => ({
      id: `d${5 - i}`,
      phase: i === 0 ? 'ACTIVE' : 'SUPERSEDED',
    }));
    const server = await serve((req, res) => {
      const url = new URL(req.url ?? '', 'http://x');
      const page = Number(url.searchParams.get('page'));
      const perPage = Number(url.searchParams.get('per_page'));
      const last = Math.ceil(all.length / perPage);
      // The next link names another host: following it would hand the token to that host.
      const pages =
        page < last ? { next: `https://elsewhere.example/v2/apps/${APP}/deployments?page=${page + 1}` } : {};
      json(res, 200, {
        deployments: all.slice((page - 1) * perPage, page * perPage),
        links: { pages },
        // Wrong on purpose: the links, not the total, say when the history ends.
        meta: { total: 2 },
      });
    });
    const deployments = await client(server.url, { deploymentsPerPage: 2 }).listDeployments(APP);
    expect(deployments.map((d) => d.id)).toEqual(['d5', 'd4', 'd3', 'd2', 'd1']);
    expect(server.seen.map((s) => s.url)).toEqual([
      `/v2/apps/${APP}/deployments?page=1&per_page=2`,
      `/v2/apps/${APP}/deployments?page=2&per_page=2`,
      `/v2/apps/${APP}/deployments?page=3&per_page=2`,
    ]);
  });

  it('asks for the page the next link names, and stops at a link that does not move forward', async () => {
    const server = await serve((req, res) => {
      const page = Number(new URL(req.url ?? '', 'http://x').searchParams.get('page'));
      const next = { 1: '/v2/apps/x/deployments?page=4&per_page=2', 4: '?page=2' }[page];
      json(res, 200, { deployments: [{ id: `d${page}` }], links: { pages: next ? { next } : {} } });
    });
    const deployments = await client(server.url, { deploymentsPerPage: 2 }).listDeployments(APP);
    expect(deployments.map((d) => d.id)).toEqual(['d1', 'd4']);
    expect(server.seen.map((s) => new URL(s.url, 'http://x').searchParams.get('page'))).toEqual(['1', '4']);
  });

  it('reads the most recent 50 deployments in one request by default', async () => {
    const server = await serve((req, res) => {
      const perPage = Number(new URL(req.url ?? '', 'http://x').searchParams.get('per_page'));
      json(res, 200, {
        deployments: Array.from({ length: perPage }, (_, i) => ({ id: `d${i}` })),
        links: { pages: { next: `/v2/apps/${APP}/deployments?page=2` } },
        meta: { total: 900 },
      });
    });
    const deployments = await client(server.url).listDeployments(APP);
    expect(deployments).toHaveLength(DEPLOYMENT_HISTORY_LIMIT);
    expect(server.seen.map((s) => s.url)).toEqual([`/v2/apps/${APP}/deployments?page=1&per_page=50`]);
  });

  it('stops at the history limit, on a page that adds nothing, and keeps deployments without an id', async () => {
    const endless = await serve((req, res) => {
      const page = Number(new URL(req.url ?? '', 'http://x').searchParams.get('page'));
      json(res, 200, {
        deployments: [{ id: `d${page}` }, { phase: 'ERROR' }],
        links: { pages: { next: `?page=${page + 1}` } },
      });
    });
    const limited = await client(endless.url, { deploymentHistoryLimit: 5 }).listDeployments(APP);
    expect(limited.map((d) => d.id ?? null)).toEqual(['d1', null, 'd2', null, 'd3']);
    expect(endless.seen).toHaveLength(3);

    const repeating = await serve((_req, res) =>
      json(res, 200, { deployments: [{ id: 'same' }], links: { pages: { next: '?page=9' } } }),
    );
    expect((await client(repeating.url).listDeployments(APP)).map((d) => d.id)).toEqual(['same']);
    expect(repeating.seen).toHaveLength(2);

    const empty = await serve((_req, res) =>
      json(res, 200, { deployments: [], links: { pages: { next: '?page=2' } } }),
    );
    expect(await client(empty.url).listDeployments(APP)).toEqual([]);
    expect(empty.seen).toHaveLength(1);
  });

  it('waits until ratelimit-reset after a 429, then succeeds', async () => {
    const reset = String(NOW / 1000 + 7);
    const server = await serve((_req, res, index) =>
      index === 0
        ? json(
            res,
            429,
            { id: 'too_many_requests', message: 'API rate limit exceeded.' },
            { 'ratelimit-reset': reset },
          )
        : json(res, 200, { instances: [] }),
    );
    const clock = recordingClock();
    expect(await client(server.url, { clock }).listInstances(APP)).toEqual([]);
    expect(server.seen).toHaveLength(2);
    expect(clock.sleeps).toEqual([7_000]);
  });

  it('prefers Retry-After (seconds) to ratelimit-reset', async () => {
    const server = await serve((_req, res, index) =>
      index === 0
        ? json(res, 429, {}, { 'retry-after': '3', 'ratelimit-reset': String(NOW / 1000 + 600) })
        : json(res, 200, { instances: [] }),
    );
    const clock = recordingClock();
    await client(server.url, { clock }).listInstances(APP);
    expect(clock.sleeps).toEqual([3_000]);
  });

  it('caps a rate-limit wait at maxDelayMs, and gives up after the budget with the wait it was told', async () => {
    const server = await serve((_req, res) => json(res, 429, {}, { 'retry-after': '3600' }));
    const clock = recordingClock();
    const err = await failure(
      client(server.url, { clock, retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 5_000 } }).getHealth(
        APP,
      ),
    );
    expect(clock.sleeps).toEqual([5_000]);
    expect(server.seen).toHaveLength(2);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err).toMatchObject({ retryAfterMs: 3_600_000, status: 429, requestId: null });
    expect(err.message).toBe(`GET /v2/apps/${APP}/health: rate limited, HTTP 429`);
  });

  it('retries a 500 and succeeds when the server recovers', async () => {
    const server = await serve((_req, res, index) =>
      index < 2 ? json(res, 500, { id: 'server_error', message: 'boom' }) : json(res, 200, APP_BODY),
    );
    const app = await client(server.url).getApp(APP);
    expect(app.id).toBe(APP);
    expect(server.seen).toHaveLength(3);
  });

  it('gives up on 500s after exactly the attempts of the budget, keeping the last status and request id', async () => {
    const server = await serve((_req, res, index) =>
      json(res, 503, { id: 'service_unavailable', message: 'try later.', request_id: `r-${index}` }),
    );
    const calls: [string, CallOutcome][] = [];
    const err = await failure(
      client(server.url, {
        retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 },
        onCall: (endpoint, outcome) => calls.push([endpoint, outcome]),
      }).getApp(APP),
    );
    expect(server.seen).toHaveLength(4);
    expect(err).toBeInstanceOf(PlatformRetryableError);
    expect(err).toMatchObject({ status: 503, requestId: 'r-3', endpoint: 'GET /v2/apps/{id}', code: null });
    expect(err.message).toBe(`GET /v2/apps/${APP}: HTTP 503 service_unavailable: try later (request_id r-3)`);
    expect(calls).toEqual(Array.from({ length: 4 }, () => ['GET /v2/apps/{id}', 503]));
  });

  it('retries a call that times out', async () => {
    const server = await serve((_req, res, index) => {
      if (index === 0) later(res, 3_000, () => json(res, 200, { instances: [] }));
      else
        json(res, 200, {
          instances: [{ component_name: 'backend', instance_name: 'backend-76b84c7fb8-6p8kq' }],
        });
    });
    const calls: CallOutcome[] = [];
    const instances = await client(server.url, {
      timeoutMs: 400,
      onCall: (_endpoint, outcome) => calls.push(outcome),
    }).listInstances(APP);
    expect(instances.map((i) => i.instance_name)).toEqual(['backend-76b84c7fb8-6p8kq']);
    expect(calls).toEqual(['timeout', 200]);
  });

  it('fails with a timeout error when every attempt times out', async () => {
    const server = await serve((_req, res) => later(res, 3_000, () => json(res, 200, { instances: [] })));
    const started = Date.now();
    const err = await failure(
      client(server.url, {
        timeoutMs: 200,
        retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
      }).listInstances(APP),
    );
    expect(err).toBeInstanceOf(RetryableError);
    expect(err).toMatchObject({ status: null, requestId: null });
    expect(err.message).toBe(`GET /v2/apps/${APP}/instances: no answer within 200 ms`);
    expect(server.seen).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('retries a refused connection as a network error, a POST too (nothing was sent)', async () => {
    const server = await serve((_req, res) => json(res, 200, {}));
    const url = server.url;
    await server.close();
    const calls: CallOutcome[] = [];
    const api = client(url, { onCall: (_e, outcome) => calls.push(outcome) });
    const err = await failure(api.getApp(APP));
    expect(err).toBeInstanceOf(RetryableError);
    expect(err).toMatchObject({ status: null, code: 'ECONNREFUSED' });
    expect(err.message).toBe(
      `GET /v2/apps/${APP}: connection refused by ${new URL(url).host} (ECONNREFUSED)`,
    );
    const post = await failure(api.restart(APP, ['backend']));
    expect(post).toBeInstanceOf(RetryableError);
    expect(calls).toEqual(Array.from({ length: 6 }, () => 'network_error'));
  });

  it('rejects a body that is not JSON once, without retrying and without crashing', async () => {
    const server = await serve((_req, res) => json(res, 200, '<html>502 Bad Gateway</html>'));
    const err = await failure(client(server.url).getApp(APP));
    expect(err).toBeInstanceOf(PlatformSchemaError);
    expect(err).toMatchObject({ status: 200, call: `GET /v2/apps/${APP}` });
    expect(err.message).toBe(
      `GET /v2/apps/${APP}: response does not fit the schema at (body): not JSON: <html>502 Bad Gateway</html>`,
    );
    expect(server.seen).toHaveLength(1);
  });

  it('names the endpoint and the field path of a body that does not fit the schema', async () => {
    const server = await serve((_req, res) =>
      json(res, 200, {
        app: {
          ...APP_BODY.app,
          spec: { name: 'shop', services: [{ name: 'backend', instance_count: 'two' }] },
        },
      }),
    );
    const err = await failure(client(server.url).getApp(APP));
    expect(err).toBeInstanceOf(PlatformSchemaError);
    expect(err).toMatchObject({
      endpoint: 'GET /v2/apps/{id}',
      fieldPath: 'app.spec.services[0].instance_count',
    });
    expect(err.message).toMatch(
      new RegExp(
        `^GET /v2/apps/${APP}: response does not fit the schema at app\\.spec\\.services\\[0\\]\\.instance_count: `,
      ),
    );
    expect(server.seen).toHaveLength(1);
  });

  it('ignores unknown fields and reads an int64 sent as a string', async () => {
    const server = await serve((_req, res) =>
      json(res, 200, {
        app_health: { components: [{ name: 'backend', replicas_ready: '6', brand_new_field: { x: 1 } }] },
        extra: true,
      }),
    );
    expect(await client(server.url).getHealth(APP)).toEqual([{ name: 'backend', replicas_ready: 6 }]);
  });

  it('refuses a body past maxResponseBytes', async () => {
    const server = await serve((_req, res) => json(res, 200, { instances: [], padding: 'x'.repeat(10_000) }));
    const err = await failure(client(server.url, { maxResponseBytes: 1_000 }).listInstances(APP));
    expect(err).toBeInstanceOf(PlatformSchemaError);
    expect(err.message).toMatch(/larger than 1000 bytes/);
  });

  it('does not retry a 404, and says what the API said, naming the call and the request id', async () => {
    const server = await serve((_req, res) =>
      json(res, 404, {
        id: 'not_found',
        message: 'The resource you were accessing could not be found.',
        request_id: '4b1c2d3e-aaaa-4bbb-8ccc-000000000001',
      }),
    );
    const err = await failure(client(server.url).getDeployment(APP, 'nope'));
    expect(err).toBeInstanceOf(PlatformHttpError);
    expect(err).toMatchObject({
      status: 404,
      endpoint: 'GET /v2/apps/{app_id}/deployments/{deployment_id}',
      call: `GET /v2/apps/${APP}/deployments/nope`,
      requestId: '4b1c2d3e-aaaa-4bbb-8ccc-000000000001',
      code: null,
    });
    expect(err.message).toBe(
      `GET /v2/apps/${APP}/deployments/nope: HTTP 404 not_found: The resource you were accessing could not be found ` +
        '(request_id 4b1c2d3e-aaaa-4bbb-8ccc-000000000001)',
    );
    expect(server.seen).toHaveLength(1);
  });

  it.each<[number, unknown, string, string | null]>([
    [
      401,
      { id: 'unauthorized', message: 'Unable to authenticate you.', request_id: 'r-401' },
      'HTTP 401 unauthorized: Unable to authenticate you (request_id r-401)',
      'r-401',
    ],
    [
      403,
      { id: 'forbidden', message: 'You are not authorized to perform this operation' },
      'HTTP 403 forbidden: You are not authorized to perform this operation',
      null,
    ],
    [404, '<html>not here</html>', 'HTTP 404', null],
    [400, { id: 'bad request!', message: '', request_id: 'not a request id' }, 'HTTP 400', null],
  ])(
    'reads the error body of a %i: only an id, a message and a request id of the right form',
    async (status, body, detail, requestId) => {
      const server = await serve((_req, res) => json(res, status, body));
      const err = await failure(client(server.url).getApp(APP));
      expect(err).toBeInstanceOf(PlatformHttpError);
      expect(err.message).toBe(`GET /v2/apps/${APP}: ${detail}`);
      expect((err as PlatformHttpError).requestId).toBe(requestId);
    },
  );

  it('says a connection closed before an answer in words, with the code in parentheses', async () => {
    const server = await serve((req) => req.socket.destroy());
    const err = await failure(
      client(server.url, { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } }).getHealth(APP),
    );
    expect(err).toBeInstanceOf(PlatformRetryableError);
    expect(err).toMatchObject({ status: null, code: 'UND_ERR_SOCKET' });
    expect(err.message).toBe(
      `GET /v2/apps/${APP}/health: the connection closed before an answer (UND_ERR_SOCKET)`,
    );
    expect(server.seen).toHaveLength(2);
  });

  it('does not resend a POST whose connection closed before an answer: it may have been applied', async () => {
    const server = await serve((req) => req.socket.destroy());
    const err = await failure(client(server.url).restart(APP, ['backend']));
    expect(err).toBeInstanceOf(PlatformHttpError);
    expect(err).toMatchObject({ status: null, code: 'UND_ERR_SOCKET' });
    expect(err.message).toBe(
      `POST /v2/apps/${APP}/restart: the connection closed before an answer (UND_ERR_SOCKET); ` +
        'not retried: it may have been applied',
    );
    expect(server.seen).toHaveLength(1);
  });

  it('names a host that does not resolve', async () => {
    const err = await failure(
      client('http://replica-watch-no-such-host.invalid', {
        // `.invalid` never resolves (RFC 6761); room for a slow resolver to say so.
        timeoutMs: 20_000,
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      }).getApp(APP),
    );
    expect(err).toBeInstanceOf(PlatformRetryableError);
    expect(err.message).toMatch(
      new RegExp(
        `^GET /v2/apps/${APP}: the host name replica-watch-no-such-host\\.invalid could not be resolved \\((ENOTFOUND|EAI_AGAIN)\\)$`,
      ),
    );
  });

  it('sends a restart with its components, and a deployment with force_build', async () => {
    const server = await serve((_req, res) =>
      json(res, 200, { deployment: { id: 'd9', phase: 'PENDING_DEPLOY' } }),
    );
    const api = client(server.url);
    expect((await api.restart(APP, ['backend'])).id).toBe('d9');
    await api.restart(APP, []);
    await api.createDeployment(APP, { forceBuild: true });
    expect(server.seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', `/v2/apps/${APP}/restart`, '{"components":["backend"]}'],
      ['POST', `/v2/apps/${APP}/restart`, '{}'],
      ['POST', `/v2/apps/${APP}/deployments`, '{"force_build":true}'],
    ]);
  });

  it('does not resend a POST that failed with a 5xx (it may have been applied), but does after a 429', async () => {
    const failing = await serve((_req, res) => json(res, 502, { request_id: 'r-502' }));
    const err = await failure(client(failing.url).restart(APP, ['backend']));
    expect(err).toBeInstanceOf(PlatformHttpError);
    expect(err).toMatchObject({ status: 502, requestId: 'r-502' });
    expect(err.message).toBe(
      `POST /v2/apps/${APP}/restart: HTTP 502 (request_id r-502); not retried: it may have been applied`,
    );
    expect(failing.seen).toHaveLength(1);

    const limited = await serve((_req, res, index) =>
      index === 0 ? json(res, 429, {}, { 'retry-after': '1' }) : json(res, 200, { deployment: { id: 'd9' } }),
    );
    expect((await client(limited.url).restart(APP, [])).id).toBe('d9');
    expect(limited.seen).toHaveLength(2);
  });

  it('stops retrying when the caller aborts', async () => {
    const server = await serve((_req, res) => json(res, 500, {}));
    const controller = new AbortController();
    const clock: Clock = {
      now: () => NOW,
      sleep: () => {
        controller.abort();
        return Promise.resolve();
      },
    };
    const err = await failure(client(server.url, { clock }).getApp(APP, { signal: controller.signal }));
    expect(err).toBeInstanceOf(RetryableError);
    expect(server.seen).toHaveLength(1);
  });

  it('refuses calls after close()', async () => {
    const api = client('http://127.0.0.1:9');
    await api.close();
    await api.close();
    await expect(api.getApp(APP)).rejects.toThrow('GET /v2/apps/{id}: client is closed');
  });
});

describe('the token', () => {
  it('never appears in an error, a thrown object or a log line, even when the server echoes it', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    // No `secrets` for the logger: the client itself must not hand the token over.
    const log = createLogger({ level: 'debug', service: 'test', stream, pretty: false });
    const echo = (req: IncomingMessage) => `you sent ${req.headers.authorization ?? ''}`;
    const server = await serve((req, res) => {
      const url = req.url ?? '';
      if (url.endsWith('/instances')) return json(res, 400, { id: 'bad_request', message: echo(req) });
      if (url.endsWith('/health')) return json(res, 500, { id: 'server_error', message: echo(req) });
      if (url.includes('/deployments/')) return json(res, 200, echo(req));
      if (url.endsWith('/restart')) return json(res, 200, { deployment: { id: 5, phase: echo(req) } });
      if (url.includes('/deployments')) return json(res, 429, { message: echo(req) }, { 'retry-after': '0' });
      later(res, 3_000, () => json(res, 200, APP_BODY));
    });
    const refused = await serve((_req, res) => json(res, 200, {}));
    const refusedUrl = refused.url;
    await refused.close();

    const api = client(server.url, {
      log,
      // Generous: on a loaded machine a tighter timeout also hits the calls meant to answer.
      timeoutMs: 1_500,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    });
    const down = client(refusedUrl, { log, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } });
    const errors = await Promise.all([
      failure(api.listInstances(APP)),
      failure(api.getHealth(APP)),
      failure(api.getDeployment(APP, 'd1')),
      failure(api.restart(APP, ['backend'])),
      failure(api.listDeployments(APP)),
      failure(api.getApp(APP)),
      failure(down.getApp(APP)),
    ]);

    expect(errors.map((e) => e.constructor.name)).toEqual([
      'PlatformHttpError',
      'PlatformRetryableError',
      'PlatformSchemaError',
      'PlatformSchemaError',
      'PlatformRetryableError',
      'PlatformRetryableError',
      'PlatformRetryableError',
    ]);
    expect(errors[0]?.message).toBe(
      `GET /v2/apps/${APP}/instances: HTTP 400 bad_request: you sent Bearer [REDACTED]`,
    );
    expect(lines.length).toBeGreaterThan(0);
    for (const err of errors) {
      const dump = [
        err.message,
        err.stack,
        JSON.stringify(err),
        inspect(err, { depth: 10, showHidden: true }),
      ].join('\n');
      expect(dump).not.toContain(TOKEN);
    }
    expect(lines.join('')).not.toContain(TOKEN);
  });
});

describe('the fleet calls: listApps and listInstanceSizes', () => {
  const UNAUTHORIZED = { id: 'unauthorized', message: 'Unable to authenticate you.', request_id: 'r-401' };

  /** The page a request asks for (1 when it names none). */
  const pageOf = (req: IncomingMessage) =>
    Number(new URL(req.url ?? '/', 'http://test.invalid').searchParams.get('page') ?? '1');

  it('lists every app over three pages, asking its own host for each, 200 a page', async () => {
    const pages: Record<number, unknown> = {
      1: {
        apps: [
          { id: 'a1', spec: { name: 'shop', services: [{ name: 'web', instance_count: 2 }] } },
          { spec: { name: 'no-id' } },
          { id: 'a2', spec: { name: 'billing' } },
        ],
        // Another host, as the real API names itself: only the page number is taken.
        links: { pages: { next: 'https://api.digitalocean.com/v2/apps?page=2&per_page=200' } },
        meta: { total: 5 },
      },
      2: {
        // An app created while paging shifts the pages: a2 comes again.
        apps: [{ id: 'a2', spec: { name: 'billing' } }, { id: 'a3' }],
        links: { pages: { prev: '…?page=1', next: 'https://elsewhere.example/v2/apps?page=3&per_page=200' } },
        meta: { total: 5 },
      },
      3: {
        apps: [{ id: 'a4', spec: { name: 'jobs' } }],
        links: { pages: { prev: '…?page=2' } },
        meta: { total: 5 },
      },
    };
    const server = await serve((req, res) => json(res, 200, pages[pageOf(req)] ?? { apps: [] }));
    const logs = captureLogs();
    const api = client(server.url, { log: logs.log });

    await expect(api.listApps()).resolves.toEqual([
      { id: 'a1', name: 'shop' },
      { id: 'a2', name: 'billing' },
      { id: 'a3', name: null },
      { id: 'a4', name: 'jobs' },
    ]);
    expect(server.seen.map((r) => [r.method, r.url, r.authorization])).toEqual(
      [1, 2, 3].map((page) => ['GET', `/v2/apps?page=${page}&per_page=200`, `Bearer ${TOKEN}`]),
    );
    // The skipped entry is said once, not on every listing that still has it.
    await api.listApps();
    await waitFor(() => logs.messages().includes('apps listed without an id were skipped'));
    expect(logs.lines.filter((l) => l.level === 'warn')).toEqual([
      expect.objectContaining({ message: 'apps listed without an id were skipped', skipped: 1, pages: 3 }),
    ]);
  });

  it('reads the official example of GET /v2/apps', async () => {
    const [example] = responseExamples(loadAppsOpenApi(), 'get', '/v2/apps', 200);
    const server = await serve((_req, res) => json(res, 200, example?.value));
    await expect(client(server.url).listApps()).resolves.toEqual([
      { id: '4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf', name: 'sample-php' },
    ]);
  });

  it('ends at a page that adds nothing, even when it links another', async () => {
    const server = await serve((req, res) =>
      json(res, 200, {
        apps: [{ id: 'a1', spec: { name: 'shop' } }],
        links: { pages: { next: `/v2/apps?page=${pageOf(req) + 1}` } },
      }),
    );
    await expect(client(server.url).listApps()).resolves.toEqual([{ id: 'a1', name: 'shop' }]);
    expect(server.seen).toHaveLength(2);
  });

  it('reads an empty account as no apps only when meta.total says 0, and a body without a list as junk', async () => {
    const server = await serve((_req, res) => json(res, 200, { links: {}, meta: { total: 3 } }));
    const empty = await serve((_req, res) => json(res, 200, { links: {}, meta: { total: 0 } }));
    await expect(client(empty.url).listApps()).resolves.toEqual([]);
    const err = await failure(client(server.url).listApps());
    expect(err).toBeInstanceOf(PlatformSchemaError);
    expect(err.message).toBe(
      'GET /v2/apps?page=1&per_page=200: response does not fit the schema at apps: ' +
        'no list of apps (and meta.total does not say 0)',
    );
    expect(server.seen).toHaveLength(1);
  });

  it(`stops past MAX_LISTED_APPS (${MAX_LISTED_APPS} apps, ${MAX_APP_PAGES} pages), naming the limit`, async () => {
    // Every page full of new apps and linking the next: an account past the limit, or a loop.
    const server = await serve((req, res) => {
      const page = pageOf(req);
      json(res, 200, {
        apps: Array.from({ length: 200 }, (_, i) => ({ id: `app-${page}-${i}` })),
        links: { pages: { next: `https://api.digitalocean.com/v2/apps?page=${page + 1}&per_page=200` } },
      });
    });
    const err = await failure(client(server.url).listApps());
    expect(err).toBeInstanceOf(PlatformSchemaError);
    expect(err.message).toContain(`GET /v2/apps?page=${MAX_APP_PAGES}&per_page=200: `);
    expect(err.message).toContain('MAX_LISTED_APPS = 10,000');
    expect(server.seen).toHaveLength(MAX_APP_PAGES);
  });

  it('fails a 401 on either list as a PlatformHttpError with status 401, not retried', async () => {
    const server = await serve((_req, res) => json(res, 401, UNAUTHORIZED));
    const api = client(server.url);
    const errors = await Promise.all([failure(api.listApps()), failure(api.listInstanceSizes())]);
    expect(
      errors.map((e) => ({
        type: e.constructor.name,
        status: (e as PlatformHttpError).status,
        requestId: (e as PlatformHttpError).requestId,
        message: e.message,
      })),
    ).toEqual([
      {
        type: 'PlatformHttpError',
        status: 401,
        requestId: 'r-401',
        message:
          'GET /v2/apps?page=1&per_page=200: HTTP 401 unauthorized: Unable to authenticate you (request_id r-401)',
      },
      {
        type: 'PlatformHttpError',
        status: 401,
        requestId: 'r-401',
        message:
          'GET /v2/apps/tiers/instance_sizes: HTTP 401 unauthorized: Unable to authenticate you (request_id r-401)',
      },
    ]);
    expect(server.seen).toHaveLength(2);
  });

  it('keep the token out of their errors, even when the server echoes it', async () => {
    const server = await serve((req, res) =>
      json(res, 400, { id: 'bad_request', message: `you sent ${req.headers.authorization ?? ''}` }),
    );
    const api = client(server.url);
    const errors = await Promise.all([failure(api.listApps()), failure(api.listInstanceSizes())]);
    expect(errors.map((e) => e.message)).toEqual([
      'GET /v2/apps?page=1&per_page=200: HTTP 400 bad_request: you sent Bearer [REDACTED]',
      'GET /v2/apps/tiers/instance_sizes: HTTP 400 bad_request: you sent Bearer [REDACTED]',
    ]);
    for (const err of errors) expect(inspect(err, { depth: 10, showHidden: true })).not.toContain(TOKEN);
  });

  it('retries a 500 on the app list like any other GET', async () => {
    const server = await serve((_req, res, index) =>
      index === 0 ? json(res, 500, { id: 'server_error' }) : json(res, 200, { apps: [{ id: 'a1' }] }),
    );
    await expect(client(server.url).listApps()).resolves.toEqual([{ id: 'a1', name: null }]);
    expect(server.seen).toHaveLength(2);
  });

  it('reads the official instance size list into exact cents', async () => {
    const [example] = responseExamples(loadAppsOpenApi(), 'get', '/v2/apps/tiers/instance_sizes', 200);
    const listed = (example?.value as { instance_sizes: { slug: string; usd_per_month: string }[] })
      .instance_sizes;
    const server = await serve((_req, res) => json(res, 200, example?.value));
    const sizes = await client(server.url).listInstanceSizes();
    expect(server.seen.map((r) => r.url)).toEqual(['/v2/apps/tiers/instance_sizes']);
    expect(listed.length).toBeGreaterThan(10);
    // The example's prices are whole dollars ("12.00"): here a float read is exact, so it can check.
    expect(sizes).toEqual(
      listed.map((size) => ({ slug: size.slug, monthlyCents: Math.round(Number(size.usd_per_month) * 100) })),
    );
    expect(sizes.slice(0, 3)).toEqual([
      { slug: 'apps-s-1vcpu-0.5gb', monthlyCents: 500 },
      { slug: 'apps-s-1vcpu-1gb-fixed', monthlyCents: 1000 },
      { slug: 'apps-s-1vcpu-1gb', monthlyCents: 1200 },
    ]);
  });

  it('leaves out sizes without a slug and keeps an unreadable price as unknown', async () => {
    const server = await serve((_req, res) =>
      json(res, 200, {
        instance_sizes: [
          { slug: 'apps-s-1vcpu-1gb', usd_per_month: '29.995' },
          { name: 'no slug', usd_per_month: '5.00' },
          { slug: 'apps-d-1vcpu-1gb', usd_per_month: '-3' },
          { slug: 'apps-d-2vcpu-4gb' },
        ],
      }),
    );
    await expect(client(server.url).listInstanceSizes()).resolves.toEqual([
      { slug: 'apps-s-1vcpu-1gb', monthlyCents: 3000 },
      { slug: 'apps-d-1vcpu-1gb', monthlyCents: null },
      { slug: 'apps-d-2vcpu-4gb', monthlyCents: null },
    ]);
  });
});
