/**
 * One request budget for every app an aggregator watches through one token. DigitalOcean allows
 * 5,000 requests an hour and 250 a minute per token; each app's refresh costs a few. The pacer
 * hands out refresh turns one at a time: each app at most once per period (PLATFORM_CACHE_TTL_MS,
 * stretched when that many apps would spend more than their share of the hour), the turns spread
 * evenly over the period, first refreshes spaced only as the per-minute limit needs, and a rate
 * limit the API reports holding every app back until it resets.
 */
import type { Clock } from '../../shared/clock';

/** DigitalOcean's limits per token, and the share of them periodic refreshes may use. */
export interface RateBudget {
  readonly perHour: number;
  readonly perMinute: number;
  /**
   * The rest is left for discovery, the instance-size list, remediation actions and the CLI
   * (which uses the same token).
   */
  readonly share: number;
}

export const DIGITALOCEAN_RATE_BUDGET: RateBudget = Object.freeze({
  perHour: 5_000,
  perMinute: 250,
  share: 0.8,
});

/** GET app, deployments (one page), instances, health: one refresh of one app. */
export const CALLS_PER_REFRESH = 4;

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** The pace for `apps` apps: the period of each app's refreshes and the gap between any two turns. */
export function refreshPlan(
  apps: number,
  floorMs: number,
  budget: RateBudget = DIGITALOCEAN_RATE_BUDGET,
  callsPerRefresh = CALLS_PER_REFRESH,
): { readonly periodMs: number; readonly gapMs: number; readonly firstGapMs: number } {
  const n = Math.max(1, apps);
  // The hour's share spent evenly: no more than that many refreshes an hour, whatever the floor.
  const hourlyGapMs = Math.ceil((callsPerRefresh * HOUR_MS) / (budget.perHour * budget.share));
  // The minute's share: first refreshes may come this close together, never closer.
  const firstGapMs = Math.ceil((callsPerRefresh * MINUTE_MS) / (budget.perMinute * budget.share));
  const periodMs = Math.max(floorMs, n * hourlyGapMs);
  return { periodMs, gapMs: Math.max(firstGapMs, Math.floor(periodMs / n)), firstGapMs };
}

export interface RefreshPacerOptions {
  /** PLATFORM_CACHE_TTL_MS: no app is refreshed more often. */
  readonly floorMs: number;
  readonly clock: Clock;
  readonly budget?: RateBudget;
  readonly callsPerRefresh?: number;
}

/** Hands out refresh turns (see the module comment). A member is any object that joined. */
export class RefreshPacer {
  private readonly lastTurnMs = new Map<object, number | null>();
  private readonly waiting = new Map<object, () => void>();
  /** Members whose next turn comes at once, outside the spacing (after an action). */
  private readonly urgent = new Set<object>();
  private lastGrantMs = Number.NEGATIVE_INFINITY;
  private holdUntilMs = Number.NEGATIVE_INFINITY;
  private running = false;
  private wake: AbortController | null = null;

  constructor(private readonly options: RefreshPacerOptions) {}

  /** Counts `member` in the budget from now on (idempotent). */
  join(member: object): void {
    if (!this.lastTurnMs.has(member)) this.lastTurnMs.set(member, null);
    this.kick();
  }

  /** Takes `member` out of the budget: the others' period shrinks back. */
  leave(member: object): void {
    this.lastTurnMs.delete(member);
    this.urgent.delete(member);
    this.waiting.get(member)?.();
    this.waiting.delete(member);
    this.kick();
  }

  /** How many apps share the budget now. */
  get size(): number {
    return this.lastTurnMs.size;
  }

  /** The pace for the members there are now. */
  plan(): ReturnType<typeof refreshPlan> {
    const { floorMs, budget, callsPerRefresh } = this.options;
    return refreshPlan(this.lastTurnMs.size, floorMs, budget, callsPerRefresh);
  }

  /** Resolves when it is `member`'s turn to refresh (or at once when `signal` aborts). */
  turn(member: object, signal: AbortSignal): Promise<void> {
    this.join(member);
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        if (this.waiting.get(member) === done) this.waiting.delete(member);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.waiting.set(member, done);
      this.kick();
    });
  }

  /**
   * `member` must see something new soon (an action changed the app): its next turn comes at
   * once, a rate limit still holding. A few calls outside the spacing: actions are rare.
   */
  expedite(member: object): void {
    if (!this.lastTurnMs.has(member)) return;
    this.urgent.add(member);
    this.kick();
  }

  /** The API said it is rate limited for `ms`: no member's turn comes before that. */
  holdFor(ms: number): void {
    this.holdUntilMs = Math.max(this.holdUntilMs, this.options.clock.now() + ms);
    this.kick();
  }

  private dueMs(member: object, plan: ReturnType<typeof refreshPlan>): number {
    if (this.urgent.has(member)) return this.holdUntilMs;
    const last = this.lastTurnMs.get(member) ?? null;
    const own = last === null ? Number.NEGATIVE_INFINITY : last + plan.periodMs;
    const gap = this.lastGrantMs + (last === null ? plan.firstGapMs : plan.gapMs);
    return Math.max(own, gap, this.holdUntilMs);
  }

  /** Re-plans: a member arrived or left, or a hold changed what is due first. */
  private kick(): void {
    if (this.running) this.wake?.abort();
    else if (this.waiting.size > 0) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    const { clock } = this.options;
    try {
      while (this.waiting.size > 0) {
        const plan = this.plan();
        let next: object | null = null;
        let nextDue = Number.POSITIVE_INFINITY;
        for (const member of this.waiting.keys()) {
          const due = this.dueMs(member, plan);
          if (due < nextDue) [next, nextDue] = [member, due];
        }
        const waitMs = nextDue - clock.now();
        if (waitMs > 0) {
          this.wake = new AbortController();
          await clock.sleep(waitMs, this.wake.signal);
          const woken = this.wake.signal.aborted;
          this.wake = null;
          // Woken early: something changed; plan again.
          if (woken) continue;
        }
        if (next === null) continue;
        const now = clock.now();
        this.lastTurnMs.set(next, now);
        this.lastGrantMs = now;
        this.urgent.delete(next);
        this.waiting.get(next)?.();
      }
    } finally {
      this.running = false;
    }
  }
}
