/** GET /api/v1/audit: `{ entries }`, newest first, `?limit=` (default 100, at most 1,000). */
import type { RequestHandler } from 'express';
import type { Logger } from '../../shared/logger';
import type { ParsedQuery } from '../history/history-query';
import { singleParameter } from '../history/history-query';
import type { AuditTrail } from './audit-trail';
import { AUDIT_DEFAULTS } from './audit-trail';

/** Parses `limit`: an integer from 1 to AUDIT_DEFAULTS.maxLimit; absent for the default. */
export function parseAuditQuery(params: Readonly<Record<string, unknown>>): ParsedQuery<{ limit: number }> {
  const limit = singleParameter(params, 'limit');
  if ('parameter' in limit) return { ok: false, problem: limit };
  if (limit.value === undefined || limit.value === '')
    return { ok: true, query: { limit: AUDIT_DEFAULTS.defaultLimit } };
  const n = /^\d{1,6}$/.test(limit.value) ? Number(limit.value) : NaN;
  if (!(n >= 1 && n <= AUDIT_DEFAULTS.maxLimit)) {
    return {
      ok: false,
      problem: { parameter: 'limit', message: `must be an integer from 1 to ${AUDIT_DEFAULTS.maxLimit}` },
    };
  }
  return { ok: true, query: { limit: n } };
}

export function auditHandler(deps: { readonly audit: AuditTrail; readonly log: Logger }): RequestHandler {
  return async (req, res) => {
    const parsed = parseAuditQuery(req.query as Record<string, unknown>);
    if (!parsed.ok) {
      const { parameter, message } = parsed.problem;
      res.status(400).json({ error: `${parameter} ${message}`, parameter });
      return;
    }
    try {
      const entries = await deps.audit.newest(parsed.query.limit);
      res.setHeader('Cache-Control', 'no-cache');
      res.json({ entries });
    } catch (err) {
      deps.log.debug('audit query failed', { err });
      res.status(503).json({ error: 'audit trail unavailable: its store cannot be read now' });
    }
  };
}
