/** A real logger (JSON lines, debug level) whose output the test reads back. */
import { PassThrough } from 'node:stream';
import type { Logger } from '../../shared/logger';
import { createLogger } from '../../shared/logger';

export interface CapturedLogs {
  readonly log: Logger;
  /** Every line parsed, in order. */
  readonly lines: Record<string, unknown>[];
  /** Everything written, as written. */
  text(): string;
  /** The `message` of every line. */
  messages(): string[];
}

export function captureLogs(options: { service?: string; secrets?: readonly string[] } = {}): CapturedLogs {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const line of chunk
      .toString()
      .split('\n')
      .filter((l) => l.trim() !== '')) {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  const log = createLogger({
    level: 'debug',
    service: options.service ?? 'test',
    pretty: false,
    stream,
    ...(options.secrets ? { secrets: [...options.secrets] } : {}),
  });
  return { log, lines, text: () => text, messages: () => lines.map((l) => String(l.message)) };
}
