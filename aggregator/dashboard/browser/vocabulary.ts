/**
 * What the server tells the page about the report's enums: the words and symbols for every
 * verdict, severity, instance state and finding code, the phrase for every platform failure kind
 * and which failures leave the aggregator blind. The server builds it from its own constants
 * (aggregator/dashboard/vocabulary.ts) and renders it into the page as JSON
 * (`<script type="application/json" id="dashboard-vocabulary">`), so the browser code names no
 * enum value of its own. Types only: nothing of this file exists at run time.
 */
import type { FindingCode, InstanceState, Severity, Verdict } from '../../reconcile/report';

/** A value as the page shows it: a word and a symbol, never colour alone. */
export interface Badge {
  readonly label: string;
  readonly symbol: string;
}

export interface StateBadge extends Badge {
  /**
   * The order of attention in the instances table, lowest first (gone before suspect before
   * live). A live instance that fails its probe or is orphaned sorts just before the healthy ones.
   */
  readonly rank: number;
}

export interface DashboardVocabulary {
  readonly verdicts: Readonly<Record<Verdict, Badge>>;
  readonly severities: Readonly<Record<Severity, Badge>>;
  readonly states: Readonly<Record<InstanceState, StateBadge>>;
  /** The label beside each finding code, e.g. DEPLOYMENT_FAILED → "Deployment failed". */
  readonly findingLabels: Readonly<Record<FindingCode, string>>;
  /** What failed, per platform failure kind; `{app}` stands for the report's app id. */
  readonly failurePhrases: Readonly<Record<string, string>>;
  /** The failure kinds that leave the aggregator blind (no platform view with this configuration). */
  readonly blindingFailures: readonly string[];
  /** Clock offsets at most this large are not shown next to an instance. */
  readonly clockOffsetShownMs: number;
}
