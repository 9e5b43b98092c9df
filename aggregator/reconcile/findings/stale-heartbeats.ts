/** STALE_HEARTBEATS: instances whose heartbeats stopped with no goodbye (crashed or killed). */
import { runLogsCommand } from '../commands';
import { ageAt } from '../instance-state';
import type { Finding } from '../report';
import { formatDuration, listWords, plural } from '../text';
import type { FindingContext } from './context';
import { finding, idsOf } from './context';

/**
 * Always info: an instance that went away while the count stays right is not a discrepancy, and
 * when the count is off MISSING_INSTANCES says so.
 */
export function staleHeartbeatsFinding(ctx: FindingContext): Finding | null {
  const { facts, appId } = ctx;
  if (facts.gone === 0) return null;
  const gone = facts.instances.filter((i) => i.state === 'gone');
  const described = gone.map(
    (i) => `${i.record.instanceId} (last seen ${formatDuration(ageAt(i.record, ctx.refNowMs))} ago)`,
  );
  const message =
    `${plural(gone.length, 'instance')} of ${facts.name} stopped sending heartbeats without a goodbye ` +
    `(crashed or killed): ${listWords(described)}`;
  const recommendation =
    `No action needed while the count is right; if instances keep dying, read the crash logs: ` +
    `${runLogsCommand(appId, facts.name)}`;
  const generations = [...new Set(gone.flatMap((i) => (i.generation === null ? [] : [i.generation])))].sort();
  return finding('STALE_HEARTBEATS', 'info', message, recommendation, idsOf(gone), generations);
}
