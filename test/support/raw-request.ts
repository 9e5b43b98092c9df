/**
 * One HTTP request on its own connection (no agent: nothing stays open), answered in full with
 * the raw header lines as sent: what the lane tests compare between the fast lane and express.
 */
import { request, type OutgoingHttpHeaders } from 'node:http';

export interface RawAnswer {
  readonly status: number;
  /** The raw header lines as sent, in order; Date's value masked. */
  readonly headers: readonly string[];
  readonly body: string;
}

export interface RawAsk {
  readonly method: string;
  readonly headers?: OutgoingHttpHeaders | undefined;
  readonly body?: string | Buffer | undefined;
}

export function rawRequest(port: number, path: string, ask: RawAsk): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: ask.method, headers: ask.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const headers: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            const name = res.rawHeaders[i] as string;
            headers.push(`${name}: ${name.toLowerCase() === 'date' ? '<date>' : res.rawHeaders[i + 1]}`);
          }
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end(ask.body);
  });
}
