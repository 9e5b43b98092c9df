/** Remediation: the pure decision, the executor, the audit trail and its route. */
export { decideRemediation, restartCall } from './decide';
export type { DecisionInput } from './decide';
export { RemediationExecutor } from './executor';
export type { RemediationExecutorOptions } from './executor';
export { auditRecordOf, isAction } from './audit-entry';
export type { AuditContext, AuditEntry, AuditRecord } from './audit-entry';
export { AUDIT_DEFAULTS } from './audit-trail';
export type { AuditTrail } from './audit-trail';
export { MemoryAuditTrail, lastActionsOf } from './memory-audit-trail';
export { RedisAuditTrail } from './redis-audit-trail';
export type { RedisAuditTrailOptions } from './redis-audit-trail';
export { auditHandler, parseAuditQuery } from './routes';
export { startRemediation } from './remediation';
export type { Remediation, RemediationOptions } from './remediation';
export { REMEDIATION_MODES, REMEDIATION_TRIGGERS, SKIP_REASONS } from './types';
export type {
  Decision,
  DecisionKind,
  FiringAlert,
  FiringSource,
  LeaderLease,
  RemediationMode,
  RemediationPolicy,
  RestartCall,
  SkipReason,
} from './types';
