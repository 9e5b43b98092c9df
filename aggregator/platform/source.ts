/**
 * The interface every platform source implements. Sources: `static` (configuration),
 * `digitalocean` (the real App Platform API) and `simulated` (a fake App Platform server with
 * scenarios). What they produce, the PlatformView, is the reconciler's input (model/).
 */
import type { PlatformKind, PlatformView } from '../model';
import type { PlatformActions } from './actions';

/** A source of PlatformViews. `current()` never blocks and never throws: it returns the last view. */
export interface PlatformSource {
  readonly kind: PlatformKind;
  /** What it can do on the platform (remediation); null when it cannot act (the static source). */
  readonly actions: PlatformActions | null;
  current(): PlatformView;
  /** Starts background refreshing, if any. */
  start(): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
}
