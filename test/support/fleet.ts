/** Rows of the fleet view (GET /api/v1/apps) for tests: a calm app unless overridden. */
import type { FleetApp, FleetView } from '../../aggregator/fleet/fleet-view';

/** An app of 2 configured, 2 active, 2 ready and 2 listed, no findings, no surplus. */
export function fleetRow(overrides: Partial<FleetApp> & Pick<FleetApp, 'app' | 'verdict'>): FleetApp {
  return {
    app_id: null,
    name: null,
    configured_replicas: 2,
    active_instances: 2,
    platform_ready: 2,
    platform_instances: 2,
    finding_codes: [],
    worst_severity: null,
    surplus_instances: 0,
    estimated_monthly_waste_usd: 0,
    agentless: false,
    degraded: false,
    platform_data_age_ms: 4_000,
    shard: 0,
    generated_at: '2026-01-02T03:04:05.000Z',
    summary_written_at: null,
    summary_stale: false,
    ...overrides,
  };
}

/** The `shards` block of an unsharded aggregator's fleet body with `apps` apps. */
export function unshardedState(apps: number): FleetView['shards'] {
  return {
    shard: 0,
    total: 1,
    stale_after_ms: 300_000,
    read_status: null,
    by_shard: [{ shard: 0, apps, written_at: null }],
  };
}

/** The #356 app: 2 configured, 6 active, ready and listed, 4 of them surplus: $48.00 a month. */
export function orphanedFleetRow(overrides: Partial<FleetApp> & Pick<FleetApp, 'app'>): FleetApp {
  return fleetRow({
    verdict: 'discrepancy',
    active_instances: 6,
    platform_ready: 6,
    platform_instances: 6,
    finding_codes: ['ORPHANED_INSTANCES', 'SURPLUS_INSTANCES'],
    worst_severity: 'critical',
    surplus_instances: 4,
    estimated_monthly_waste_usd: 48,
    ...overrides,
  });
}
