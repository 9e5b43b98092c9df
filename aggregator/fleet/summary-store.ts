/**
 * The fleet across shards (TOTAL_SHARDS > 1). Each shard collects, alerts on and remediates only
 * its own apps, yet GET /api/v1/apps on any shard lists them all: every shard writes its apps'
 * rows (fleet-view.ts FleetApp) into one Redis HASH, `rw:{fleet}:summaries` (field: the app;
 * value: FleetSummary JSON, the row with the shard that wrote it and when), and reads the whole
 * hash every few seconds into a cached snapshot the fleet view merges with its own live rows.
 *
 * Writes are throttled: a row is written when it changed (its content, not the times that move
 * with every reconcile), or as a heartbeat once a minute when it did not, at most once per
 * reconcile interval; the rows of apps the shard dropped are deleted; both in one round trip
 * (WRITE_SUMMARIES). A shard that stops (or crashes) keeps its rows: an HA partner of the same
 * SHARD may be writing them too, and if none is they go stale by themselves.
 *
 * Staleness, judged by the reader against its own clock: a row written longer ago than
 * `staleAfterMs` (five minutes: five missed heartbeats, far beyond any clock skew between pods)
 * is shown unknown (unknownApp: verdict `degraded`, counts null, `summary_stale` true); unseen is
 * never green. A row older than `forgetAfterMs` (an hour) is dropped from the view and deleted:
 * an app its crashed shard never got to drop. Apps the shard knows of (its config, its listing)
 * with no row at all are shown the same way by the fleet.
 *
 * The Redis operations are the small SummaryHash interface, so that this module does not depend
 * on how the client is made: openSummaryStore is the one place that makes it.
 */
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { luaScript, runLua } from '../../shared/lua-script';
import { closeQuietly, connectOrFail, createRedisClient } from '../../shared/redis-client';
import { FLEET_SUMMARIES_KEY } from '../../shared/redis-keys';
import type { ShardAssignment } from '../../shared/shard';
import type { AggregatorConfig } from '../config';
import type { FindingCode } from '../reconcile/report';
import { FINDING_CODES, SEVERITIES, VERDICTS } from '../reconcile/report';
import type { FleetApp, SummaryReadStatus } from './fleet-view';
import { SUMMARY_STALE_AFTER_MS, unknownApp } from './fleet-view';

/** The Redis operations the summaries need, on one HASH. */
export interface SummaryHash {
  /** HSET the `set` fields and HDEL the `drop` ones, atomically, in one round trip. */
  write(key: string, set: Readonly<Record<string, string>>, drop: readonly string[]): Promise<void>;
  hGetAll(key: string): Promise<Record<string, string>>;
}

/**
 * SummaryHash.write on Redis: field by field, so that no command takes more arguments than Lua
 * can unpack however many apps a shard has.
 */
export const WRITE_SUMMARIES = luaScript(`
-- The fleet summaries' write (aggregator/fleet/summary-store.ts): a shard's changed rows set and
-- its dropped apps' rows deleted, atomically, in one round trip.
-- KEYS[1]          rw:{fleet}:summaries (HASH: field = app, value = FleetSummary JSON)
-- ARGV[1]          n: how many field, value pairs follow
-- ARGV[2 .. 2n+1]  field, value, field, value, ...
-- ARGV[2n+2 ..]    the fields to delete
-- Returns          the number of fields deleted
local n = tonumber(ARGV[1])
for i = 2, 2 * n, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
local deleted = 0
for i = 2 * n + 2, #ARGV do
  deleted = deleted + redis.call('HDEL', KEYS[1], ARGV[i])
end
return deleted
`);

/** The write's arguments (WRITE_SUMMARIES's ARGV). */
export function writeArguments(set: Readonly<Record<string, string>>, drop: readonly string[]): string[] {
  const pairs = Object.entries(set);
  return [String(pairs.length), ...pairs.flat(), ...drop];
}

/** One app's value in `rw:{fleet}:summaries`. */
export interface FleetSummary {
  /** The format; a reader skips a version it does not know. */
  readonly v: 1;
  /** The SHARD that wrote it: the app's owner. */
  readonly shard: number;
  /** Its TOTAL_SHARDS (telling a row left from before a resharding). */
  readonly total_shards: number;
  /** When it was written (ISO, the writer's clock). */
  readonly written_at: string;
  /** The app's row as the owning shard's GET /api/v1/apps shows it. */
  readonly row: FleetApp;
}

export interface SummaryTiming {
  /** How often the own rows are looked at (and the changed ones written): the reconcile interval. */
  readonly writeIntervalMs: number;
  /** An unchanged row is written again this often, so that readers tell a live shard from a dead one. */
  readonly heartbeatMs: number;
  /** How often the whole hash is read; the fleet view uses the last read in between. */
  readonly readIntervalMs: number;
  /** A row written longer ago is shown unknown (`degraded`, `summary_stale`). */
  readonly staleAfterMs: number;
  /** A row written longer ago is dropped from the view and deleted from the hash. */
  readonly forgetAfterMs: number;
}

export const SUMMARY_DEFAULTS: SummaryTiming = Object.freeze({
  writeIntervalMs: 10_000,
  heartbeatMs: 60_000,
  // Seconds behind the owner is fine for a fleet overview; one HGETALL every 5 s is nothing.
  readIntervalMs: 5_000,
  // Five heartbeats missed: a shard restarting (or a Redis failover) is not reported as unknown.
  staleAfterMs: SUMMARY_STALE_AFTER_MS,
  forgetAfterMs: 3_600_000,
});

/** The shortest look at the own rows: a 50 ms reconcile interval does not mean 20 writes a second. */
const MIN_WRITE_INTERVAL_MS = 1_000;

/** The timing for a configuration: rows looked at once per reconcile interval (at least a second). */
export function summaryTiming(
  config: Pick<AggregatorConfig, 'reconcileIntervalMs'>,
  overrides: Partial<SummaryTiming> = {},
): SummaryTiming {
  return {
    ...SUMMARY_DEFAULTS,
    writeIntervalMs: Math.max(config.reconcileIntervalMs, MIN_WRITE_INTERVAL_MS),
    ...overrides,
  };
}

/** The JSON of one app's summary. */
export function encodeSummary(row: FleetApp, assignment: ShardAssignment, nowMs: number): string {
  const summary: FleetSummary = {
    v: 1,
    shard: assignment.index,
    total_shards: assignment.total,
    written_at: new Date(nowMs).toISOString(),
    row,
  };
  return JSON.stringify(summary);
}

type Fields = Readonly<Record<string, unknown>>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isTime = (value: unknown): value is string =>
  typeof value === 'string' && Number.isFinite(Date.parse(value));
const oneOf = <T extends string>(values: readonly T[], value: unknown): value is T =>
  typeof value === 'string' && (values as readonly string[]).includes(value);

/** A field that must be a count or null: anything else reads as unknown (null). */
const countOrNull = (value: unknown): number | null => (isCount(value) ? value : null);
const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * The row of a summary, rebuilt field by field: a field missing or of the wrong type is unknown
 * (null; degraded for the verdict) rather than passed on, so that a row from another version or a
 * hand-edited hash can never make the fleet body break its schema, or look better than it is.
 */
function rowOf(app: string, shard: number, value: unknown): FleetApp | null {
  if (!isObject(value) || value.app !== app) return null;
  const waste = value.estimated_monthly_waste_usd;
  const verdict = oneOf(VERDICTS, value.verdict) ? value.verdict : 'degraded';
  const codes = Array.isArray(value.finding_codes) ? value.finding_codes : [];
  return {
    app,
    app_id: stringOrNull(value.app_id),
    name: stringOrNull(value.name),
    verdict,
    configured_replicas: countOrNull(value.configured_replicas),
    active_instances: countOrNull(value.active_instances),
    platform_ready: countOrNull(value.platform_ready),
    platform_instances: countOrNull(value.platform_instances),
    finding_codes: codes.filter((code): code is FindingCode => oneOf(FINDING_CODES, code)),
    worst_severity: oneOf(SEVERITIES, value.worst_severity) ? value.worst_severity : null,
    surplus_instances: countOrNull(value.surplus_instances),
    estimated_monthly_waste_usd:
      typeof waste === 'number' && Number.isFinite(waste) && waste >= 0 ? waste : null,
    agentless: value.agentless === true,
    // Unknown is degraded, never the reverse.
    degraded: value.degraded !== false || verdict === 'degraded',
    platform_data_age_ms: countOrNull(value.platform_data_age_ms),
    shard,
    generated_at: isTime(value.generated_at) ? value.generated_at : null,
    summary_written_at: null,
    summary_stale: false,
  };
}

/** One field of the hash read back; null when it is not a summary this version can read. */
export function decodeSummary(app: string, value: string): FleetSummary | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  if (!isObject(parsed) || parsed.v !== 1) return null;
  const { shard, total_shards: total, written_at: writtenAt } = parsed;
  if (!isCount(shard) || !isCount(total) || total < 1 || !isTime(writtenAt)) return null;
  const row = rowOf(app, shard, parsed.row);
  return row === null ? null : { v: 1, shard, total_shards: total, written_at: writtenAt, row };
}

/** What this shard last wrote of one app. */
export interface WrittenRow {
  /** The row without its moving times (contentOf). */
  readonly content: string;
  readonly atMs: number;
}

/** A row as far as a rewrite is concerned: the times that change on every reconcile left out. */
export function contentOf(row: FleetApp): string {
  const { generated_at: _generated, platform_data_age_ms: _age, ...content } = row;
  return JSON.stringify(content);
}

/**
 * Which of the own rows to write now (changed, or unchanged for `heartbeatMs`) and which apps'
 * rows to delete (written before, no longer watched). Pure.
 */
export function planWrite(
  rows: readonly FleetApp[],
  written: ReadonlyMap<string, WrittenRow>,
  nowMs: number,
  heartbeatMs: number,
): { readonly set: readonly FleetApp[]; readonly drop: readonly string[] } {
  const watched = new Set(rows.map((row) => row.app));
  const set = rows.filter((row) => {
    const last = written.get(row.app);
    return last === undefined || last.content !== contentOf(row) || nowMs - last.atMs >= heartbeatMs;
  });
  const drop = [...written.keys()].filter((app) => !watched.has(app));
  return { set, drop };
}

/** The hash as last read, judged. */
export interface SummarySnapshot {
  /** Every app's row in the hash, by app; a stale one already shown unknown (unknownApp). */
  readonly rows: ReadonlyMap<string, FleetApp>;
  /** Per shard, its newest summary (this aggregator's own last write counts for its shard). */
  readonly writtenAt: ReadonlyMap<number, string>;
  /** How the last read went; `pending` before the first. */
  readonly readStatus: SummaryReadStatus;
}

export const EMPTY_SNAPSHOT: SummarySnapshot = Object.freeze({
  rows: new Map<string, FleetApp>(),
  writtenAt: new Map<number, string>(),
  readStatus: 'pending',
});

/**
 * The summaries as the fleet view shows them, at `nowMs`: fresh rows as written (with their
 * `summary_written_at`), stale ones unknown, forgotten ones left out and listed for deletion.
 * Pure.
 */
export function judgeSummaries(
  summaries: readonly FleetSummary[],
  nowMs: number,
  timing: Pick<SummaryTiming, 'staleAfterMs' | 'forgetAfterMs'>,
): {
  readonly rows: Map<string, FleetApp>;
  readonly writtenAt: Map<number, string>;
  readonly forget: string[];
} {
  const rows = new Map<string, FleetApp>();
  const writtenAt = new Map<number, string>();
  const forget: string[] = [];
  for (const summary of summaries) {
    const { row } = summary;
    const writtenMs = Date.parse(summary.written_at);
    // A writer's clock ahead of ours reads as just written (age 0), never as older.
    const ageMs = Math.max(0, nowMs - writtenMs);
    if (ageMs > timing.forgetAfterMs) {
      forget.push(row.app);
      continue;
    }
    const newest = writtenAt.get(summary.shard);
    if (newest === undefined || Date.parse(newest) < writtenMs)
      writtenAt.set(summary.shard, summary.written_at);
    rows.set(
      row.app,
      ageMs > timing.staleAfterMs
        ? unknownApp({ ...row, summary_written_at: summary.written_at })
        : { ...row, summary_written_at: summary.written_at, summary_stale: false },
    );
  }
  return { rows, writtenAt, forget };
}

/** Two judged snapshots alike: the old one is kept, so that the fleet view (and its ETag) stays. */
function sameSnapshot(a: SummarySnapshot, b: SummarySnapshot): boolean {
  if (a.readStatus !== b.readStatus || a.rows.size !== b.rows.size || a.writtenAt.size !== b.writtenAt.size)
    return false;
  for (const [app, row] of a.rows) {
    const other = b.rows.get(app);
    if (other === undefined || JSON.stringify(other) !== JSON.stringify(row)) return false;
  }
  for (const [shard, at] of a.writtenAt) if (b.writtenAt.get(shard) !== at) return false;
  return true;
}

/** What the fleet reads of the other shards. */
export interface ShardSummaries {
  /** The hash as last read and judged; the same object until something in it changes. */
  snapshot(): SummarySnapshot;
  /** The limit past which a row is stale. */
  readonly staleAfterMs: number;
}

export interface SummaryStoreOptions {
  readonly hash: SummaryHash;
  readonly shard: ShardAssignment;
  readonly clock: Clock;
  readonly log: Logger;
  /** This shard's own rows now (Fleet.ownRows). */
  readonly rows: () => readonly FleetApp[];
  readonly timing: SummaryTiming;
  /** Closes what the hash runs on (openSummaryStore's client); called once by close(). */
  readonly onClose?: () => Promise<void>;
}

/** Writes this shard's rows and reads everyone's; see the module comment. */
export class FleetSummaryStore implements ShardSummaries {
  readonly staleAfterMs: number;
  private readonly written = new Map<string, WrittenRow>();
  private lastWriteMs: number | null = null;
  private readAtMs: number | null = null;
  private summaries: readonly FleetSummary[] = [];
  private current: SummarySnapshot = EMPTY_SNAPSHOT;
  private writing: Promise<void> | null = null;
  private reading: Promise<void> | null = null;
  private writeFailing = false;
  private readFailing = false;
  private unreadable = 0;
  private readonly abort = new AbortController();
  private loops: Promise<unknown> | null = null;
  private closing: Promise<void> | null = null;
  private readonly log: Logger;

  constructor(private readonly options: SummaryStoreOptions) {
    this.staleAfterMs = options.timing.staleAfterMs;
    this.log = options.log.child({ part: 'fleet-summaries' });
  }

  /** Writes the own rows and reads the hash once (failures are logged, not thrown), then keeps at it. */
  async start(): Promise<void> {
    if (this.loops !== null || this.abort.signal.aborted) return;
    await this.writeNow();
    await this.readNow();
    const { timing } = this.options;
    this.loops = Promise.all([
      this.every(timing.writeIntervalMs, () => this.writeNow()),
      this.every(timing.readIntervalMs, () => this.readNow()),
    ]);
  }

  snapshot(): SummarySnapshot {
    return this.current;
  }

  /** When the hash was last read successfully; null: never. */
  lastReadAtMs(): number | null {
    return this.readAtMs;
  }

  /** Writes the rows that changed (or are due a heartbeat), deletes the dropped apps' rows. */
  writeNow(): Promise<void> {
    this.writing ??= this.write().finally(() => {
      this.writing = null;
    });
    return this.writing;
  }

  /** Reads the whole hash and judges it (a failed read judges the last good one again, by age). */
  readNow(): Promise<void> {
    this.reading ??= this.read().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  /** Idempotent: ends the loops (the rows stay in Redis), then closes the client. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.abort.abort();
      await this.loops;
      await Promise.allSettled([this.writing, this.reading]);
      await this.options.onClose?.();
    })();
    return this.closing;
  }

  private async every(ms: number, step: () => Promise<void>): Promise<void> {
    const { signal } = this.abort;
    while (!signal.aborted) {
      await this.options.clock.sleep(ms, signal);
      if (signal.aborted) return;
      await step();
    }
  }

  private async write(): Promise<void> {
    if (this.abort.signal.aborted) return;
    const { hash, shard, clock, timing } = this.options;
    const nowMs = clock.now();
    const plan = planWrite(this.options.rows(), this.written, nowMs, timing.heartbeatMs);
    try {
      if (plan.set.length > 0 || plan.drop.length > 0) {
        await hash.write(
          FLEET_SUMMARIES_KEY,
          Object.fromEntries(plan.set.map((row) => [row.app, encodeSummary(row, shard, nowMs)])),
          plan.drop,
        );
      }
    } catch (err) {
      if (!this.writeFailing) {
        this.log.warn('writing the fleet summaries failed; the other shards will see these apps go stale', {
          err: err instanceof Error ? err.message : String(err),
          apps: plan.set.length,
        });
      }
      this.writeFailing = true;
      return;
    }
    if (this.writeFailing) this.log.info('writing the fleet summaries works again');
    this.writeFailing = false;
    for (const row of plan.set) this.written.set(row.app, { content: contentOf(row), atMs: nowMs });
    for (const app of plan.drop) this.written.delete(app);
    if (plan.set.length > 0) this.lastWriteMs = nowMs;
  }

  private async read(): Promise<void> {
    if (this.abort.signal.aborted) return;
    const { hash, clock, timing, shard } = this.options;
    try {
      const fields = await hash.hGetAll(FLEET_SUMMARIES_KEY);
      this.readAtMs = clock.now();
      const summaries: FleetSummary[] = [];
      let unreadable = 0;
      for (const [app, value] of Object.entries(fields)) {
        const summary = decodeSummary(app, value);
        if (summary === null) unreadable++;
        else summaries.push(summary);
      }
      if (unreadable > 0 && this.unreadable === 0) {
        this.log.warn('skipping fleet summaries this version cannot read', { unreadable });
      }
      this.unreadable = unreadable;
      this.summaries = summaries;
      if (this.readFailing) this.log.info('reading the fleet summaries works again');
      this.readFailing = false;
    } catch (err) {
      if (!this.readFailing) {
        this.log.warn("reading the fleet summaries failed; the other shards' apps are shown as last read", {
          err: err instanceof Error ? err.message : String(err),
        });
      }
      this.readFailing = true;
    }
    // Judged even after a failed read: the last good rows still age into stale.
    const judged = judgeSummaries(this.summaries, clock.now(), timing);
    if (this.lastWriteMs !== null) {
      const mine = judged.writtenAt.get(shard.index);
      const own = new Date(this.lastWriteMs).toISOString();
      if (mine === undefined || Date.parse(mine) < this.lastWriteMs) judged.writtenAt.set(shard.index, own);
    }
    const next: SummarySnapshot = {
      rows: judged.rows,
      writtenAt: judged.writtenAt,
      readStatus: this.readFailing ? 'failing' : 'ok',
    };
    if (!sameSnapshot(this.current, next)) this.current = next;
    if (judged.forget.length > 0 && !this.readFailing) {
      this.summaries = this.summaries.filter((s) => !judged.forget.includes(s.row.app));
      await hash.write(FLEET_SUMMARIES_KEY, {}, judged.forget).catch(() => undefined);
    }
  }
}

export interface OpenSummaryStoreDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** This shard's own rows now (Fleet.ownRows). */
  readonly rows: () => readonly FleetApp[];
  /** Tests: shorter intervals and limits. */
  readonly timing?: Partial<SummaryTiming>;
}

/**
 * The summary store of a sharded aggregator, on a Redis client of its own; null when the
 * aggregator is not sharded (TOTAL_SHARDS=1: its fleet is its own apps, nothing is written).
 * Not started: the caller starts it once the fleet has its apps, and closes it before the fleet.
 */
export async function openSummaryStore(
  config: AggregatorConfig,
  deps: OpenSummaryStoreDeps,
): Promise<FleetSummaryStore | null> {
  if (config.shard.total <= 1) return null;
  // The one line that names the engine (the config refuses TOTAL_SHARDS > 1 without Redis).
  const engine = config.redis;
  if (engine === null) return null;
  const client = createRedisClient({ engine, log: deps.log, name: 'replica-watch-fleet' });
  // The first attempt's end, not the connection: the store copes with a Redis that is down.
  await connectOrFail(client).catch(() => undefined);
  const hash: SummaryHash = {
    write: async (key, set, drop) => {
      await runLua(client, WRITE_SUMMARIES, [key], writeArguments(set, drop));
    },
    hGetAll: async (key) => ({ ...(await client.hGetAll(key)) }),
  };
  return new FleetSummaryStore({
    hash,
    shard: config.shard,
    clock: deps.clock,
    log: deps.log,
    rows: deps.rows,
    timing: summaryTiming(config, deps.timing),
    onClose: () => closeQuietly(client),
  });
}
