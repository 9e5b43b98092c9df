/**
 * The aggregator's HTTP API (express). Every read is served from the latest published report;
 * no request waits on Redis or the platform API.
 */
import express, { type ErrorRequestHandler, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import { MAX_HEARTBEAT_BYTES, type RejectReason } from '../../shared/heartbeat';
import type { Logger } from '../../shared/logger';
import type { Clock } from '../../shared/clock';
import type { HeartbeatIngest } from '../collector';
import type { ReportStore, SerializedReport } from '../report-store';

export interface HttpDeps {
  readonly store: ReportStore;
  readonly ingest: HeartbeatIngest;
  readonly metricsRegistry: Registry;
  readonly clock: Clock;
  readonly log: Logger;
  /** Counts a body refused before it reached the ingest (too large). */
  readonly onRejected: (reason: RejectReason) => void;
}

function sendSerialized(req: Request, res: Response, serialized: SerializedReport): void {
  res.setHeader('ETag', serialized.etag);
  res.setHeader('Cache-Control', 'no-cache');
  if (req.headers['if-none-match'] === serialized.etag) {
    res.status(304).end();
    return;
  }
  res.type('application/json').send(serialized.body);
}

function notReady(res: Response): void {
  res.status(503).json({ error: 'no report yet: the first reconciliation has not run' });
}

export function createHttpApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/livez', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', (_req, res) => {
    const published = deps.store.current();
    if (!published) return notReady(res);
    res.json({
      status: 'ready',
      degraded: published.report.degraded,
      generated_at: published.report.generated_at,
    });
  });

  app.get('/api/v1/monitoring/replicas', (req, res) => {
    const published = deps.store.current();
    if (!published) return notReady(res);
    const withInstances = req.query.instances !== 'false';
    sendSerialized(req, res, withInstances ? published.full() : published.withoutInstances());
  });

  app.get('/api/v1/health/instances', (_req, res) => {
    const published = deps.store.current();
    if (!published) return notReady(res);
    const { report } = published;
    res.json({ generated_at: report.generated_at, degraded: report.degraded, instances: report.instances });
  });

  app.post(
    '/api/v1/heartbeats',
    // Raw bytes with a hard cap: the body is refused with 413 from its Content-Length (or as
    // soon as the stream passes the cap), never read whole.
    express.raw({ type: () => true, limit: MAX_HEARTBEAT_BYTES }),
    async (req, res) => {
      const body: unknown = req.body;
      const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      const result = await deps.ingest.ingest(bytes, deps.clock.now());
      if (result.ok) {
        res.status(202).json({ status: 'accepted', outcome: result.outcome });
      } else {
        res.status(400).json({ error: 'heartbeat rejected', reason: result.reason, detail: result.detail });
      }
    },
  );

  app.get('/metrics', async (_req, res) => {
    res.type(deps.metricsRegistry.contentType).send(await deps.metricsRegistry.metrics());
  });

  app.get('/', (_req, res) => {
    res.json({
      name: 'replica-watch aggregator',
      endpoints: [
        '/api/v1/monitoring/replicas',
        '/api/v1/health/instances',
        '/api/v1/heartbeats',
        '/metrics',
        '/livez',
        '/readyz',
      ],
    });
  });

  app.use((req, res) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
  });

  const onError: ErrorRequestHandler = (
    err: { type?: string; status?: number; message?: string },
    req,
    res,
    _next,
  ) => {
    if (err.type === 'entity.too.large') {
      deps.onRejected('too_large');
      res.status(413).json({
        error: 'heartbeat rejected',
        reason: 'too_large',
        detail: `the cap is ${MAX_HEARTBEAT_BYTES} bytes`,
      });
      return;
    }
    const status = typeof err.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) deps.log.error('request failed', { method: req.method, path: req.path, err });
    res.status(status).json({ error: status === 500 ? 'internal error' : (err.message ?? 'bad request') });
  };
  app.use(onError);
  return app;
}
