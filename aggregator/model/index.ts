/**
 * The reconciler's inputs, in their own types: what the collector knows of each instance, whether
 * it can see, and what the platform says. collector/, platform/ and reconcile/ all import these
 * from here, so the pure reconciler depends on no I/O part.
 */
export type { CollectorHealth, InstanceRecord, SnapshotChanges } from './instance-record';
export type { InstanceName } from './instance-name';
export { generationOf, parseInstanceName } from './instance-name';
export type {
  ComponentKind,
  DeploymentInfo,
  DeploymentProgress,
  DesiredRange,
  InstanceSize,
  PlatformComponent,
  PlatformFailure,
  PlatformFailureKind,
  PlatformInstance,
  PlatformKind,
  PlatformStatus,
  PlatformView,
} from './platform-view';
export {
  FAILED_DEPLOYMENT_PHASES,
  PLATFORM_FAILURE_KINDS,
  PLATFORM_KINDS,
  fixedDesired,
  isBlindingFailure,
} from './platform-view';
