/**
 * The authorised requests the simulated API has served to one party (an app, or the account's
 * own routes), counted by route, and the fault that decides which of them misbehave.
 */
import type { FaultSpec } from './scenarios';

export class RequestLedger {
  private currentFault: FaultSpec | null;
  private readonly counts = new Map<string, number>();
  private total = 0;

  constructor(fault: FaultSpec | null = null) {
    this.currentFault = fault;
  }

  /**
   * Counts an authorised request and says which fault, if any, it gets: the first
   * `afterRequests` are answered normally, then every `every`-th.
   */
  admit(route: string): FaultSpec | null {
    this.total++;
    this.counts.set(route, (this.counts.get(route) ?? 0) + 1);
    const fault = this.currentFault;
    if (!fault || this.total <= fault.afterRequests) return null;
    return (this.total - fault.afterRequests - 1) % Math.max(1, fault.every) === 0 ? fault : null;
  }

  /** Changes how the requests misbehave from the next one on; null for not at all. */
  setFault(fault: FaultSpec | null): void {
    this.currentFault = fault;
  }

  /** Requests so far, to one route (e.g. `GET /v2/apps/{id}`) or all. */
  requestCount(route?: string): number {
    return route === undefined ? this.total : (this.counts.get(route) ?? 0);
  }
}
