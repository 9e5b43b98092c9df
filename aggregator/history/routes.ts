/**
 * GET /api/v1/history: `{ component, since, points }`, points oldest first, at most
 * HISTORY_DEFAULTS.maxPoints (the newest ones). The response shape is a contract (a dashboard
 * reads it).
 */
import type { RequestHandler } from 'express';
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import { parseHistoryQuery } from './history-query';
import type { HistoryStore } from './history-store';

export interface HistoryRouteDeps {
  readonly history: HistoryStore;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The handler of GET /api/v1/history. */
export function historyHandler(deps: HistoryRouteDeps): RequestHandler {
  return async (req, res) => {
    const parsed = parseHistoryQuery(req.query as Record<string, unknown>, deps.clock.now());
    if (!parsed.ok) {
      const { parameter, message } = parsed.problem;
      res.status(400).json({ error: `${parameter} ${message}`, parameter });
      return;
    }
    const { query } = parsed;
    try {
      const points = await deps.history.query(query);
      res.setHeader('Cache-Control', 'no-cache');
      res.json({ component: query.component, since: new Date(query.sinceMs).toISOString(), points });
    } catch (err) {
      deps.log.debug('history query failed', { err });
      res.status(503).json({ error: 'history unavailable: its store cannot be read now' });
    }
  };
}
