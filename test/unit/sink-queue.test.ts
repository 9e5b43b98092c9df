/** The delivery stage in front of a sink: bounded, retrying, timed out, counted, never blocking. */
import type { Notification, NotificationKind, Sink, SinkName } from '../../aggregator/notify';
import { SinkQueue } from '../../aggregator/notify';
import { silentLogger } from '../../shared/logger';
import { RetryableError } from '../../shared/retry';
import { waitFor } from '../support/wait';

function notification(code: string, kind: NotificationKind = 'firing'): Notification {
  return {
    kind,
    alert: {
      labels: {
        alertname: 'ReplicaWatchSurplusInstances',
        app: 'a',
        component: 'backend',
        code: 'SURPLUS_INSTANCES',
        severity: 'warning',
      },
      annotations: {
        summary: code,
        description: '',
        instances: '',
        deployment_ids: '',
        counts: '',
        recommendation: '',
        report_url: 'http://localhost/api/v1/monitoring/replicas',
      },
      startsAt: new Date(0).toISOString(),
      endsAt: new Date(1).toISOString(),
      generatorURL: 'http://localhost/api/v1/monitoring/replicas',
    },
  };
}

/** A sink whose every call is decided by `behave`; records what it was sent. */
class FakeSink implements Sink {
  readonly calls: string[][] = [];
  constructor(
    readonly name: SinkName,
    private readonly behave: (call: number, signal?: AbortSignal) => Promise<void> = () => Promise.resolve(),
  ) {}
  send(notifications: readonly Notification[], signal?: AbortSignal): Promise<void> {
    this.calls.push(notifications.map((n) => n.alert.annotations.summary));
    return this.behave(this.calls.length, signal);
  }
}

function counter() {
  const counts: Record<string, number> = {};
  return {
    counts,
    onOutcome: (sink: string, outcome: string, n: number) => {
      counts[`${sink}:${outcome}`] = (counts[`${sink}:${outcome}`] ?? 0) + n;
    },
  };
}

const fastRetry = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 };
const log = silentLogger();

describe('SinkQueue', () => {
  test('delivers batches in order and counts them sent', async () => {
    const sink = new FakeSink('webhook');
    const { counts, onOutcome } = counter();
    const queue = new SinkQueue({ sink, log, onOutcome, retry: fastRetry });
    queue.enqueue([notification('a'), notification('b')]);
    queue.enqueue([notification('c')]);
    await waitFor(async () => sink.calls.length, { until: (n) => n === 2, timeoutMs: 5_000, everyMs: 5 });
    await queue.close(1_000);
    expect(sink.calls).toEqual([['a', 'b'], ['c']]);
    expect(counts).toEqual({ 'webhook:sent': 3 });
  });

  test('retries retryable failures with backoff; a permanent one is counted failed at once', async () => {
    const flaky = new FakeSink('slack', (call) =>
      call < 3 ? Promise.reject(new RetryableError('HTTP 503')) : Promise.resolve(),
    );
    const refused = new FakeSink('webhook', () => Promise.reject(new Error('HTTP 400')));
    const { counts, onOutcome } = counter();
    const a = new SinkQueue({ sink: flaky, log, onOutcome, retry: fastRetry });
    const b = new SinkQueue({ sink: refused, log, onOutcome, retry: fastRetry });
    a.enqueue([notification('x')]);
    b.enqueue([notification('y')]);
    await waitFor(async () => counts, {
      until: (c) => c['slack:sent'] === 1 && c['webhook:failed'] === 1,
      timeoutMs: 5_000,
      everyMs: 5,
    });
    await Promise.all([a.close(), b.close()]);
    expect(flaky.calls).toHaveLength(3);
    expect(refused.calls).toHaveLength(1);
  });

  test('retries are bounded: a sink that keeps failing is counted failed after the attempts', async () => {
    const down = new FakeSink('alertmanager', () => Promise.reject(new RetryableError('ECONNREFUSED')));
    const { counts, onOutcome } = counter();
    const queue = new SinkQueue({ sink: down, log, onOutcome, retry: fastRetry });
    queue.enqueue([notification('x')]);
    await waitFor(async () => counts['alertmanager:failed'], {
      until: (n) => n === 1,
      timeoutMs: 5_000,
      everyMs: 5,
    });
    await queue.close();
    expect(down.calls).toHaveLength(fastRetry.attempts);
  });

  test('every attempt is cut off after the timeout, even when the sink ignores its signal', async () => {
    const hung = new FakeSink('webhook', (call) =>
      call === 1 ? new Promise<void>(() => undefined) : Promise.resolve(),
    );
    const { counts, onOutcome } = counter();
    const queue = new SinkQueue({ sink: hung, log, onOutcome, retry: fastRetry, timeoutMs: 50 });
    queue.enqueue([notification('x')]);
    await waitFor(async () => counts['webhook:sent'], {
      until: (n) => n === 1,
      timeoutMs: 5_000,
      everyMs: 5,
    });
    await queue.close();
    expect(hung.calls).toHaveLength(2);
  });

  test('bounded: when full the oldest batch is dropped and counted; enqueue never waits', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = new FakeSink('webhook', () => gate);
    const { counts, onOutcome } = counter();
    const queue = new SinkQueue({
      sink: slow,
      log,
      onOutcome,
      retry: fastRetry,
      capacity: 2,
      timeoutMs: 10_000,
    });
    const started = Date.now();
    queue.enqueue([notification('in-flight')]);
    for (const name of ['1', '2', '3', '4']) queue.enqueue([notification(name), notification(name)]);
    // Not waiting on the gated sink (that would take its 10 s timeout); a wide window, for GC
    // pauses on a loaded machine.
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(queue.queued).toBe(2);
    expect(counts['webhook:dropped']).toBe(4);
    release();
    await waitFor(async () => slow.calls.length, { until: (n) => n === 3, timeoutMs: 5_000, everyMs: 5 });
    await queue.close();
    expect(slow.calls).toEqual([['in-flight'], ['3', '3'], ['4', '4']]);
    expect(counts['webhook:sent']).toBe(5);
  });

  test('refreshes go to Alertmanager only', async () => {
    const webhook = new FakeSink('webhook');
    const alertmanager = new FakeSink('alertmanager');
    const queues = [webhook, alertmanager].map((sink) => new SinkQueue({ sink, log, retry: fastRetry }));
    for (const queue of queues) queue.enqueue([notification('r', 'refresh')]);
    for (const queue of queues) queue.enqueue([notification('f', 'firing'), notification('r', 'refresh')]);
    await Promise.all(queues.map((q) => q.close(2_000)));
    expect(webhook.calls).toEqual([['f']]);
    expect(alertmanager.calls).toEqual([['r'], ['f', 'r']]);
  });

  test('close flushes within its bound, then drops and counts what is left; idempotent', async () => {
    const stuck = new FakeSink(
      'slack',
      (_call, signal) =>
        new Promise<void>((_resolve, reject) =>
          signal?.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
    );
    const { counts, onOutcome } = counter();
    const queue = new SinkQueue({ sink: stuck, log, onOutcome, retry: fastRetry, timeoutMs: 60_000 });
    queue.enqueue([notification('a')]);
    queue.enqueue([notification('b'), notification('c')]);
    const started = Date.now();
    const closing = queue.close(100);
    expect(queue.close(100)).toBe(closing);
    await closing;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(counts).toEqual({ 'slack:dropped': 3 });
    queue.enqueue([notification('late')]);
    expect(counts['slack:dropped']).toBe(4);
    expect(stuck.calls).toEqual([['a']]);
  });
});
