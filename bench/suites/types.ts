/** What every benchmark suite is given and gives back. */
import type { BenchRedis } from '../support/redis-server';

export interface BenchContext {
  /** `--quick`: smaller fleets and shorter windows, the whole run under two minutes. */
  readonly quick: boolean;
  /** The run's own redis-server (never the machine's 6379). */
  readonly redis: BenchRedis;
  /** A progress line on stderr. */
  log(message: string): void;
}

/** A target of issue 6 next to what was measured. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** One suite's output: written as bench/results/<name>.json and summed up in docs/benchmarks.md. */
export interface SuiteResult {
  readonly name: string;
  readonly title: string;
  /** How it was measured, in a sentence or two. */
  readonly method: string;
  /** Rows of one table: every row has the same keys. */
  readonly rows: Record<string, string | number | null>[];
  readonly targets: TargetCheck[];
  /** Anything else worth keeping (raw medians, parameters). */
  readonly details?: Record<string, unknown>;
}

export interface Suite {
  readonly name: string;
  run(ctx: BenchContext): Promise<SuiteResult>;
}
