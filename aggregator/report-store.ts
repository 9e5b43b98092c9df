/**
 * The latest report, serialized once per reconcile and served as ready bytes: requests never
 * wait on Redis, the platform or a JSON.stringify of a large fleet. Each form is serialized on
 * its first request only, so a reconcile nobody reads costs no serialization at all.
 */
import { createHash } from 'node:crypto';
import type { InstanceReport, Report } from './reconcile/report';

export interface SerializedReport {
  readonly body: Buffer;
  /** Strong ETag over the body, so pollers get 304 while nothing changed. */
  readonly etag: string;
}

/** The report's fields without `instances` (the `?instances=false` form). */
export type ReportWithoutInstances = Omit<Report, 'instances'>;

export interface PublishedReport {
  readonly report: Report;
  /**
   * How many instances the report lists, from the component counts: reading `report.instances`
   * builds the whole list, which a caller that only needs its size should not pay for.
   */
  readonly instanceCount: number;
  /** The report's fields but `instances`, without building the instance list. */
  readonly withoutInstancesValue: ReportWithoutInstances;
  /** The full report, instances included. */
  full(): SerializedReport;
  /** The report with `instances` left out (`?instances=false`). */
  withoutInstances(): SerializedReport;
  /** The body of GET /api/v1/health/instances: generated_at, degraded and every instance. */
  instances(): SerializedReport;
}

/** Serializes a value as a JSON body with its strong ETag. */
export function serializeBody(value: unknown): SerializedReport {
  const body = Buffer.from(JSON.stringify(value));
  return { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
}

/** Memoizes a thunk: each form is serialized at most once per report, and only if asked for. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

/**
 * Copies every field but `instances` without reading it: the reconciler builds the instance list
 * on first read (reconcile.ts), and a destructuring `{ instances, ...rest }` would read it.
 */
function withoutInstances(report: Report): ReportWithoutInstances {
  const rest: Record<string, unknown> = {};
  for (const key of Object.keys(report)) {
    if (key !== 'instances') rest[key] = report[key as keyof Report];
  }
  return rest as unknown as ReportWithoutInstances;
}

/** Instances listed by a report: every state (live and suspect, gone, left) of every component. */
function countInstances(report: Report): number {
  return report.components.reduce((total, c) => total + c.live + c.stale + c.left, 0);
}

/** The instance list body: also what each page of it is cut from. */
export function instancesBody(
  report: Pick<Report, 'generated_at' | 'degraded'>,
  instances: readonly InstanceReport[],
): { generated_at: string; degraded: boolean; instances: readonly InstanceReport[] } {
  return { generated_at: report.generated_at, degraded: report.degraded, instances };
}

export class ReportStore {
  private latest: PublishedReport | null = null;
  private readonly listeners = new Set<(published: PublishedReport) => void>();

  publish(report: Report): PublishedReport {
    const rest = withoutInstances(report);
    const published: PublishedReport = {
      report,
      instanceCount: countInstances(report),
      withoutInstancesValue: rest,
      full: once(() => serializeBody(report)),
      withoutInstances: once(() => serializeBody(rest)),
      instances: once(() => serializeBody(instancesBody(report, report.instances))),
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
