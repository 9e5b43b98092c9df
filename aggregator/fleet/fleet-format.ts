/**
 * The fleet as text for a terminal: `replica-watch status` on an aggregator of many apps, and the
 * demo's `--apps`. Pure: the fleet body in, a string out.
 */
import { table } from '../report-format';
import type { FleetApp, FleetView } from './fleet-view';

/** `$48.00/mo`; unknown is said, never shown as $0. */
export function formatWaste(usd: number | null): string {
  return usd === null ? 'unknown' : `$${usd.toFixed(2)}/mo`;
}

function cell(value: number | null, unknown = '?'): string {
  return value === null ? unknown : String(value);
}

/** The apps that cannot be trusted: blind, or not reconciled yet. */
export function blindApps(view: FleetView): FleetApp[] {
  return view.apps.filter((a) => a.verdict === 'degraded' || a.degraded);
}

/**
 * One row per app, worst first, then the totals, the shards (when sharded) and, when it fails,
 * the discovery.
 */
export function formatFleet(view: FleetView): string {
  const rows = [
    ['APP', 'VERDICT', 'CONFIGURED', 'ACTIVE', 'DASHBOARD READY', 'LISTED', 'SURPLUS', 'WASTE', 'FINDINGS'],
    ...view.apps.map((a) => [
      a.name === null || a.name === a.app ? a.app : `${a.name} (${a.app})`,
      a.verdict,
      cell(a.configured_replicas),
      a.agentless ? 'no agents' : cell(a.active_instances),
      cell(a.platform_ready),
      cell(a.platform_instances),
      cell(a.surplus_instances),
      formatWaste(a.estimated_monthly_waste_usd),
      a.finding_codes.join(',') || '-',
    ]),
  ];
  const { totals } = view;
  const verdicts = Object.entries(totals.by_verdict)
    .filter(([, n]) => n > 0)
    .map(([verdict, n]) => `${n} ${verdict}`)
    .join(', ');
  const unknown = totals.unknown_waste_apps > 0 ? ` (${totals.unknown_waste_apps} of them unknown)` : '';
  const lines = [
    `${totals.apps} app${totals.apps === 1 ? '' : 's'}${verdicts === '' ? '' : `: ${verdicts}`} · ` +
      `surplus ${cell(totals.surplus_instances, 'unknown')} · estimated waste ${formatWaste(totals.estimated_monthly_waste_usd)}${unknown}`,
  ];
  const { shards } = view;
  if (shards.total > 1) {
    const owned = shards.by_shard.map((s) => `${s.shard}: ${s.apps}`).join(', ');
    const silent = shards.by_shard.filter((s) => s.written_at === null && s.shard !== shards.shard);
    lines.push(
      `shard ${shards.shard} of ${shards.total} · apps per shard ${owned}` +
        (silent.length > 0 ? ` · never heard from shard ${silent.map((s) => s.shard).join(', ')}` : '') +
        (shards.read_status === 'failing' ? " · reading the other shards' rows fails" : ''),
    );
  }
  if (view.discovery?.status === 'failing') {
    lines.push(
      `BLIND: listing the apps fails (${view.discovery.error ?? 'no detail'}); these are the apps listed before`,
    );
  } else if (view.discovery?.status === 'pending') {
    lines.push('the apps have not been listed yet');
  }
  const blind = blindApps(view);
  if (blind.length > 0) {
    lines.push(
      `BLIND: ${blind.map((a) => a.name ?? a.app).join(', ')}: their counts cannot be trusted (diagnose --app says why)`,
    );
  }
  return `${lines.join('\n')}\n\n${table(rows)}`;
}
