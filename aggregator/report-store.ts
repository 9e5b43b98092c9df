/**
 * The latest report, serialized once per reconcile and served as ready bytes: requests never
 * wait on Redis, the platform or a JSON.stringify of a large fleet.
 */
import { createHash } from 'node:crypto';
import type { Report } from './reconcile/report';

export interface SerializedReport {
  readonly body: Buffer;
  /** Strong ETag over the body, so pollers get 304 while nothing changed. */
  readonly etag: string;
}

export interface PublishedReport {
  readonly report: Report;
  /** The full report, instances included. */
  full(): SerializedReport;
  /** The report with `instances: []` left out (`?instances=false`). */
  withoutInstances(): SerializedReport;
}

function serialize(value: unknown): SerializedReport {
  const body = Buffer.from(JSON.stringify(value));
  return { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
}

/** Memoizes a thunk: each form is serialized at most once per report, and only if asked for. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

export class ReportStore {
  private latest: PublishedReport | null = null;
  private readonly listeners = new Set<(published: PublishedReport) => void>();

  publish(report: Report): PublishedReport {
    const { instances: _omitted, ...rest } = report;
    const published: PublishedReport = {
      report,
      full: once(() => serialize(report)),
      withoutInstances: once(() => serialize(rest)),
    };
    this.latest = published;
    for (const listener of this.listeners) listener(published);
    return published;
  }

  current(): PublishedReport | null {
    return this.latest;
  }

  /** Calls `listener` on every publish; returns the unsubscribe function. */
  subscribe(listener: (published: PublishedReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
