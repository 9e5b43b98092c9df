/**
 * CLOCK_SKEW: a live instance's clock is off the recording clock (Redis, or the aggregator on
 * HTTP) by more than CLOCK_SKEW_MAX_MS. Liveness never rests on it (an instance is live by when
 * its heartbeat was recorded), so the instance is still counted; but its logs, its probes'
 * timestamps and everything else it dates are off by as much. Warning.
 */
import type { ClassifiedInstance } from '../facts';
import type { Finding } from '../report';
import { formatDuration, listWords, plural } from '../text';
import type { FindingContext } from './context';
import { finding, idsOf } from './context';

function describeOffset(instance: ClassifiedInstance): string {
  const offset = instance.record.clockOffsetMs;
  return `${instance.record.instanceId} (${formatDuration(Math.abs(offset))} ${offset < 0 ? 'behind' : 'ahead'})`;
}

export function clockSkewFinding(ctx: FindingContext): Finding | null {
  const { facts, clockSkewMaxMs } = ctx;
  const { skewed } = facts;
  if (skewed.length === 0) return null;
  const message =
    `The clock of ${plural(skewed.length, 'instance')} of ${facts.name} is off the recording clock by more ` +
    `than ${formatDuration(clockSkewMaxMs)} (CLOCK_SKEW_MAX_MS): ${listWords(skewed.map(describeOffset))}; ` +
    'still counted (liveness is judged by when heartbeats are recorded), but what it dates is off by as much';
  const recommendation =
    'Synchronise the clock of the host or container (NTP, e.g. chrony or systemd-timesyncd; a container ' +
    "shares its host's clock): `date -u` there and on the aggregator should agree within a second";
  return finding('CLOCK_SKEW', 'warning', message, recommendation, idsOf(skewed));
}
