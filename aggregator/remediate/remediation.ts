/** Starts the remediator for the aggregator: the audit trail for the mode, and the executor fed by every report. */
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { RedisCommands } from '../../shared/redis-client';
import type { ReportFeed } from '../history/history-recorder';
import type { PlatformActions } from '../platform/actions';
import type { AuditTrail } from './audit-trail';
import { RemediationExecutor } from './executor';
import { MemoryAuditTrail } from './memory-audit-trail';
import { RedisAuditTrail } from './redis-audit-trail';
import type { FiringSource, LeaderLease, RemediationPolicy } from './types';

export interface RemediationOptions {
  readonly app: string;
  readonly policy: RemediationPolicy;
  /** Redis mode: the trail is the stream rw:{app}:audit; null: memory. */
  readonly client: RedisCommands | null;
  readonly reports: ReportFeed;
  readonly actions: PlatformActions | null;
  readonly firing: FiringSource | null;
  readonly leadership: LeaderLease | null;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface Remediation {
  readonly audit: AuditTrail;
  readonly executor: RemediationExecutor;
  /** Idempotent: stops considering reports and waits for the one in hand. */
  close(): Promise<void>;
}

export function startRemediation(options: RemediationOptions): Remediation {
  const audit: AuditTrail =
    options.client === null
      ? new MemoryAuditTrail()
      : new RedisAuditTrail({ client: options.client, app: options.app, log: options.log });
  const executor = new RemediationExecutor({
    policy: options.policy,
    actions: options.actions,
    firing: options.firing,
    leadership: options.leadership,
    audit,
    clock: options.clock,
    log: options.log,
  });
  const unsubscribe = options.reports.subscribe((published) => executor.consider(published.report));
  let closing: Promise<void> | undefined;
  return {
    audit,
    executor,
    close: () =>
      (closing ??= (async () => {
        unsubscribe();
        await executor.close();
        await audit.close();
      })()),
  };
}
