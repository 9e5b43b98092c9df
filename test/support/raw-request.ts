/**
 * The lane tests' tools: one HTTP request on its own connection (no agent: nothing stays open),
 * answered in full with the raw header lines as sent, and an app served both through the fast
 * lane and by express alone, to compare the two answers byte for byte.
 */
import { request, type OutgoingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { HttpDeps } from '../../aggregator/http/app';
import { createHttpApp, createHttpListener } from '../../aggregator/http/app';
import { closeServer, listen } from '../../aggregator/http/listen';

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

/** The same app served twice, through the fast lane (createHttpListener) and by express alone. */
export abstract class LanePair {
  /** The paths the lane answered, as its observer heard them. */
  readonly laneAnswered: string[] = [];
  lanePort = 0;
  expressPort = 0;
  private servers: Server[] = [];

  /** `method`: what requests are unless said otherwise. */
  constructor(private readonly method: string) {}

  /** The deps of one side; the lane's come with `onFastLane` in `overrides`. */
  protected abstract deps(side: 'lane' | 'express', overrides: Partial<HttpDeps>): HttpDeps;

  async start(): Promise<this> {
    const bind = async (listener: RequestListener) => {
      const bound = await listen(listener, '127.0.0.1', 0);
      this.servers.push(bound.server);
      return bound.port;
    };
    this.lanePort = await bind(
      createHttpListener(this.deps('lane', { onFastLane: (path) => this.laneAnswered.push(path) })),
    );
    this.expressPort = await bind(createHttpApp(this.deps('express', {})));
    return this;
  }

  /** Asks both; the answers and whether the lane took the request. */
  async both(
    path: string,
    init: Partial<RawAsk> = {},
  ): Promise<{ lane: RawAnswer; express: RawAnswer; byLane: boolean }> {
    const ask = { ...init, method: init.method ?? this.method };
    const before = this.laneAnswered.length;
    const lane = await rawRequest(this.lanePort, path, ask);
    const byLane = this.laneAnswered.length > before;
    const express = await rawRequest(this.expressPort, path, ask);
    return { lane, express, byLane };
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((server) => closeServer(server)));
  }
}
