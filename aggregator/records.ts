/**
 * What the aggregator records about itself over time, wired in one place for startAggregator:
 * the history of every reconciliation's counts and the remediator with its audit trail. In Redis
 * mode both live in capped streams on their own connection and only the leader writes; in
 * embedded mode both are bounded rings in memory.
 */
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import type { RedisClient } from '../shared/redis-client';
import { closeQuietly } from './collector/connect';
import type { AggregatorConfig } from './config';
import type { HistoryStore, ReportFeed } from './history';
import { createHistoryStore, openRecordsClient, recordHistory } from './history';
import type { PlatformActions } from './platform/actions';
import type { AuditTrail, FiringSource, LeaderLease, Remediation } from './remediate';
import { startRemediation } from './remediate';

export interface RecordsDeps {
  readonly reports: ReportFeed;
  /** null: the platform source cannot act (static). */
  readonly actions: PlatformActions | null;
  /** What is firing (the notifier); null: nothing, so the remediator never acts. */
  readonly firing: FiringSource | null;
  /** The leader lease; null: this aggregator leads alone. */
  readonly leadership: LeaderLease | null;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface AggregatorRecords {
  readonly history: HistoryStore;
  readonly audit: AuditTrail;
  readonly remediation: Remediation;
  /** Idempotent: stops recording, lets a remediation step in hand finish, closes the connection. */
  close(): Promise<void>;
}

/** Starts recording every report published on `deps.reports` from now on. */
export async function startRecords(
  config: Pick<
    AggregatorConfig,
    'redisUrl' | 'app' | 'remediationMode' | 'remediationCooldownMs' | 'remediationMinFiringMs'
  >,
  deps: RecordsDeps,
): Promise<AggregatorRecords> {
  const client: RedisClient | null = config.redisUrl
    ? await openRecordsClient(config.redisUrl, deps.log.child({ part: 'records' }))
    : null;
  const history = createHistoryStore(client, config.app, deps.log.child({ part: 'history' }));
  // In memory each aggregator keeps its own history, so each writes it; in Redis only the leader.
  const stopHistory = recordHistory(deps.reports, history, client === null ? null : deps.leadership);
  const remediation = startRemediation({
    app: config.app,
    policy: {
      mode: config.remediationMode,
      cooldownMs: config.remediationCooldownMs,
      minFiringMs: config.remediationMinFiringMs,
    },
    client,
    reports: deps.reports,
    actions: deps.actions,
    firing: deps.firing,
    leadership: deps.leadership,
    clock: deps.clock,
    log: deps.log.child({ part: 'remediation' }),
  });
  let closing: Promise<void> | undefined;
  return {
    history,
    audit: remediation.audit,
    remediation,
    close: () =>
      (closing ??= (async () => {
        stopHistory();
        await remediation.close();
        await history.close();
        if (client !== null) await closeQuietly(client);
      })()),
  };
}
