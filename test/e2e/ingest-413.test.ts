/**
 * `POST /api/v1/heartbeats` refuses an oversized body from its Content-Length, before any of it
 * is read: a raw socket declares one byte over the cap and then sends nothing at all (over a
 * batch's cap for JSON, which may be an array; over one heartbeat's for any other type), or
 * only the first byte of a JSON object, which shows it is one heartbeat. The real aggregator
 * process must answer 413 at once and close the connection. Without the checks it would sit
 * waiting for a body that never comes (Node's request timeout is 5 minutes), so this test's
 * deadline fails it.
 */
import { connect } from 'node:net';
import { MAX_BATCH_BYTES } from '../../aggregator/http/heartbeat-batch';
import { MAX_HEARTBEAT_BYTES } from '../../shared/heartbeat';
import { killAll, spawnBuilt, type SpawnedProcess } from '../support/spawn';

/** The answer needs no body, so it comes within a few ms; 3 s is room for a loaded machine. */
const ANSWER_MS = 3_000;

const processes: SpawnedProcess[] = [];
let port: number;

beforeAll(async () => {
  // The embedded mode (no Redis): the ingest endpoint is how heartbeats arrive.
  const aggregator = spawnBuilt('aggregator/main.js', {
    PORT: '0',
    HOST: '127.0.0.1',
    AGGREGATOR_APP: 'e2e-413',
    DESIRED_REPLICAS: '1',
  });
  processes.push(aggregator);
  port = Number((await aggregator.waitForLine((l) => l.message === 'aggregator listening')).port);
});

afterAll(async () => {
  await killAll(processes);
});

interface RawExchange {
  readonly answer: string;
  /** ms from the end of the request head to the first byte of the answer. */
  readonly answeredAfterMs: number;
  /** Whether the server closed the connection by itself (it had a body left unread). */
  readonly closedByServer: boolean;
}

/** Writes `head` (and `body`) on a fresh connection, sends nothing more, and reads until the server closes. */
function exchange(head: string, deadlineMs: number, body = ''): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let sentAt = 0;
    let firstByteAt: number | null = null;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `no answer and no close within ${deadlineMs} ms (the server is waiting for the body?); got: ${JSON.stringify(answer)}`,
        ),
      );
    }, deadlineMs);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('data', (chunk: Buffer) => {
      firstByteAt ??= Date.now();
      answer += chunk.toString();
    });
    socket.on('end', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ answer, answeredAfterMs: (firstByteAt ?? Date.now()) - sentAt, closedByServer: true });
    });
    socket.on('connect', () => {
      socket.write(head + body, () => (sentAt = Date.now()));
    });
  });
}

async function refusedAtOnce(contentType: string, declared: number, body = ''): Promise<string> {
  const result = await exchange(
    'POST /api/v1/heartbeats HTTP/1.1\r\n' +
      'Host: 127.0.0.1\r\n' +
      `Content-Type: ${contentType}\r\n` +
      `Content-Length: ${declared}\r\n` +
      '\r\n',
    ANSWER_MS,
    body,
  );
  expect(result.answer).toMatch(/^HTTP\/1\.1 413 /);
  expect(result.answer.toLowerCase()).toContain('connection: close');
  expect(result.answer).toContain('"reason":"too_large"');
  expect(result.closedByServer).toBe(true);
  expect(result.answeredAfterMs).toBeLessThan(ANSWER_MS);
  return result.answer;
}

test('a Content-Length over 8 KiB and no body: 413 at once, connection closed, counted', async () => {
  const answer = await refusedAtOnce('text/plain', MAX_HEARTBEAT_BYTES + 1);
  expect(answer).toContain(`"detail":"the cap is ${MAX_HEARTBEAT_BYTES} bytes"`);

  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  expect(metrics).toMatch(/replica_watch_heartbeats_rejected_total\{[^}]*reason="too_large"[^}]*\} 1\b/);
});

test("JSON declared over a batch's cap and no body: 413 at once, naming MAX_BATCH_BYTES", async () => {
  const answer = await refusedAtOnce('application/json', MAX_BATCH_BYTES + 1);
  expect(answer).toContain('MAX_BATCH_BYTES');
});

test('JSON declared over 8 KiB whose first byte shows one heartbeat: 413 at once', async () => {
  const answer = await refusedAtOnce('application/json', MAX_HEARTBEAT_BYTES + 1, '{');
  expect(answer).toContain(`"detail":"the cap is ${MAX_HEARTBEAT_BYTES} bytes"`);
});
