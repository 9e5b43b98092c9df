/**
 * What a remediator may ask the platform to do. Kept apart from PlatformSource because reading
 * and acting have different callers: every aggregator reads, only the leader acts.
 */
import type { DeploymentInfo } from '../model';

export interface CreateDeploymentOptions {
  /** Rebuild from source even when a cached build could be reused. */
  readonly forceBuild?: boolean;
}

/** Remediation through the platform API. Every call is one request (retried), never a loop. */
export interface PlatformActions {
  /**
   * Rolling restart of the named components; all components when the list is empty. This is
   * the safe fix for orphaned instances: it needs no spec, so it cannot drop a component.
   * Resolves with the deployment the platform started for it.
   */
  restart(components: readonly string[]): Promise<DeploymentInfo>;
  /** A new deployment of the current spec. */
  createDeployment(options?: CreateDeploymentOptions): Promise<DeploymentInfo>;
}
