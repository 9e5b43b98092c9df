import { PassThrough } from 'node:stream';
import { createLogger, maskUrlCredentials, redact, REDACTED } from '../../shared/logger';

function capture(secrets: string[]) {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  const log = createLogger({ level: 'debug', service: 'test', secrets, pretty: false, stream });
  return { log, lines };
}

describe('logger', () => {
  test('writes one JSON object per line with service, level and message', async () => {
    const { log, lines } = capture([]);
    log.info('hello', { port: 8080 });
    await new Promise((r) => setImmediate(r));
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      service: 'test',
      level: 'info',
      message: 'hello',
      port: 8080,
    });
  });

  test('redacts secret values wherever they appear, and secret-named fields', async () => {
    const secret = 'dop_v1_supersecretvalue';
    const { log, lines } = capture([secret]);
    log.warn(`call failed with ${secret}`, {
      nested: { text: `Bearer ${secret}` },
      token: 'anything',
      authorization: 'Bearer x',
      err: new Error(`bad ${secret}`),
      url: 'redis://user:pa55word@host:6379',
    });
    await new Promise((r) => setImmediate(r));
    const text = lines.join('\n');
    expect(text).not.toContain(secret);
    expect(text).not.toContain('pa55word');
    const entry = JSON.parse(lines[0] ?? '{}');
    expect(entry.token).toBe(REDACTED);
    expect(entry.authorization).toBe(REDACTED);
    expect(entry.nested.text).toBe(`Bearer ${REDACTED}`);
    expect(entry.err.message).toBe(`bad ${REDACTED}`);
  });

  test('redact leaves harmless values alone', () => {
    expect(redact({ a: 1, b: 'x', c: [true] }, ['secretvalue'])).toEqual({ a: 1, b: 'x', c: [true] });
  });

  test('maskUrlCredentials hides only the password', () => {
    expect(maskUrlCredentials('rediss://default:abc@db:25061')).toBe(`rediss://default:${REDACTED}@db:25061`);
    expect(maskUrlCredentials('redis://db:6379')).toBe('redis://db:6379');
  });
});
