/**
 * The aggregator's journals: what it writes down about itself over time, wired in one place for
 * startAggregator (a "record", elsewhere, is what the registry knows of one instance):
 * the history of every reconciliation's counts and the remediator with its audit trail. In Redis
 * mode both live in capped streams on their own connection and only the leader writes; in
 * embedded mode both are bounded rings in memory.
 */
import type { RedisConnection } from '../shared/redis-client';
import { closeQuietly } from '../shared/redis-client';
import type { AppConfig } from './config';
import type { HistoryStore } from './history';
import { createHistoryStore, openJournalClient, recordHistory } from './history';
import type { AuditTrail, Remediation, RemediationOptions } from './remediate';
import { startRemediation } from './remediate';

/**
 * What the journals need: the remediator's own dependencies (reports, actions: null when the
 * source cannot act; firing: null and the remediator never acts; leadership: null leads alone).
 */
export type JournalsDeps = Pick<
  RemediationOptions,
  'reports' | 'actions' | 'firing' | 'leadership' | 'clock' | 'log'
>;

export interface AggregatorJournals {
  readonly history: HistoryStore;
  readonly audit: AuditTrail;
  readonly remediation: Remediation;
  /** Idempotent: stops recording, lets a remediation step in hand finish, closes the connection. */
  close(): Promise<void>;
}

/** Starts recording every report published on `deps.reports` from now on. */
export async function startJournals(
  config: Pick<
    AppConfig,
    'redis' | 'app' | 'remediationMode' | 'remediationCooldownMs' | 'remediationMinFiringMs'
  >,
  deps: JournalsDeps,
): Promise<AggregatorJournals> {
  const client: RedisConnection | null = config.redis
    ? await openJournalClient(config.redis, deps.log.child({ part: 'journals' }))
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
