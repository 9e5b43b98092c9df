/**
 * The latest report, serialized once per reconcile and served as ready bytes: requests never
 * wait on Redis, the platform or a JSON.stringify of a large fleet. Each form is serialized on
 * its first request only, so a reconcile nobody reads costs no serialization at all.
 */
import { createHash } from 'node:crypto';
import type { ReconcileResult } from './reconcile';
import type { InstanceReport, Report, ReportWithoutInstances } from './reconcile/report';

export interface SerializedReport {
  readonly body: Buffer;
  /** Strong ETag over the body, so pollers get 304 while nothing changed. */
  readonly etag: string;
}

export interface PublishedReport {
  /** Every field but `instances` (also the `?instances=false` form). */
  readonly report: ReportWithoutInstances;
  /** The instance list, built on the first call (ReconcileResult.instances). */
  readonly instanceList: () => readonly InstanceReport[];
  /**
   * How many instances the report lists, from the component counts: a caller that only needs
   * the size does not build the list.
   */
  readonly instanceCount: number;
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

/** Instances listed by a report: every state (live and suspect, gone, left) of every component. */
function countInstances(report: ReportWithoutInstances): number {
  return report.components.reduce((total, c) => total + c.live + c.stale + c.left, 0);
}

/** The instance list body: also what each page of it is cut from. */
export function instancesBody(
  report: Pick<Report, 'generated_at' | 'degraded'>,
  instances: readonly InstanceReport[],
): { generated_at: string; degraded: boolean; instances: readonly InstanceReport[] } {
  return { generated_at: report.generated_at, degraded: report.degraded, instances };
}

/** A report in its published form, each serialization made on first use. */
export function publishedOf(reconciled: Pick<ReconcileResult, 'report' | 'instances'>): PublishedReport {
  const { report, instances } = reconciled;
  const full = (): Report => ({ ...report, instances: instances() });
  return {
    report,
    instanceList: instances,
    instanceCount: countInstances(report),
    full: once(() => serializeBody(full())),
    withoutInstances: once(() => serializeBody(report)),
    instances: once(() => serializeBody(instancesBody(report, instances()))),
  };
}

export class ReportStore {
  private latest: PublishedReport | null = null;
  private readonly listeners = new Set<(published: PublishedReport) => void>();

  /** Publishes a reconcile's report (its instance list still unbuilt) to current() and every subscriber. */
  publish(reconciled: Pick<ReconcileResult, 'report' | 'instances'>): PublishedReport {
    const published = publishedOf(reconciled);
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
