/** NOT_SERVING: live instances whose serving probe fails (ready on the platform is not serving). */
import { restartCommand, runLogsCommand } from '../commands';
import type { ClassifiedInstance } from '../facts';
import type { Finding } from '../report';
import { listWords } from '../text';
import type { FindingContext } from './context';
import { finding, idsOf } from './context';

function probeResult(instance: ClassifiedInstance): string {
  const serving = instance.record.heartbeat.serving;
  if (serving?.status != null) return `HTTP ${serving.status}`;
  if (serving?.error) return serving.error.slice(0, 80);
  return 'failed';
}

/** Warning; critical when no live instance serves at all. A missing probe (null) counts as serving. */
export function notServingFinding(ctx: FindingContext): Finding | null {
  const { facts, appId } = ctx;
  const failing = facts.failing;
  if (failing.length === 0) return null;
  const none = facts.serving === 0;
  const message =
    `${failing.length} of ${facts.live.length} live instances of ${facts.name} ${failing.length === 1 ? 'fails' : 'fail'} their serving probe` +
    `${none ? ' (none serves)' : ''}: ${listWords(failing.map((i) => `${i.record.instanceId} (${probeResult(i)})`))}`;
  const recommendation =
    `Read why they fail: ${runLogsCommand(appId, facts.name)}; ` +
    `replace them with a rolling restart: ${restartCommand(appId, facts.name)}`;
  const generations = [
    ...new Set(failing.flatMap((i) => (i.generation === null ? [] : [i.generation]))),
  ].sort();
  return finding(
    'NOT_SERVING',
    none ? 'critical' : 'warning',
    message,
    recommendation,
    idsOf(failing),
    generations,
  );
}
