/**
 * Entry point: environment → config, signals → stop, then run.
 *
 * Exit codes: 0 after SIGTERM/SIGINT once stopped; 2 a bad environment (one message on stderr
 * naming every bad variable); 1 a failed start (e.g. PORT in use), or a stop that failed or
 * overran SHUTDOWN_DEADLINE_MS.
 */
import { hostname } from 'node:os';
import { ConfigError, CONFIG_EXIT_CODE } from '../shared/config';
import { createLogger } from '../shared/logger';
import { describeRedisEngine } from '../shared/redis-engine';
import { startAggregator } from './app';
import { aggregatorSecrets, loadAggregatorConfig } from './config';

/** A stop that takes longer than this is cut short: the platform would kill us anyway. */
const SHUTDOWN_DEADLINE_MS = 5_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadAggregatorConfig(process.env, { hostname: hostname() });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`replica-watch aggregator: ${err.message}\n`);
      process.exit(CONFIG_EXIT_CODE);
    }
    throw err;
  }
  const log = createLogger({
    level: config.logLevel,
    service: 'aggregator',
    secrets: aggregatorSecrets(config),
  });
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection', { err: reason }));

  let aggregator;
  try {
    aggregator = await startAggregator(config, { log });
  } catch (err) {
    log.error('aggregator failed to start', { err });
    process.exit(1);
  }
  log.info('aggregator listening', {
    port: aggregator.port,
    mode: config.redis ? 'redis' : 'embedded',
    redis: config.redis ? describeRedisEngine(config.redis) : null,
    platform: config.platform,
    apps: aggregator.fleet.multiApp ? aggregator.fleet.list().length : aggregator.fleet.describe(),
  });

  const shutdown = (signal: string) => {
    log.info('shutting down', { signal });
    const startedMs = Date.now();
    setTimeout(() => {
      log.error('shutdown did not finish in time; exiting anyway', { deadline_ms: SHUTDOWN_DEADLINE_MS });
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    aggregator.stop().then(
      () => {
        log.info('stopped', { took_ms: Date.now() - startedMs });
        process.exit(0);
      },
      (err: unknown) => {
        log.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

void main().catch((err: unknown) => {
  process.stderr.write(`replica-watch aggregator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
