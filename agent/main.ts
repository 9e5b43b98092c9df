/**
 * The agent process: environment → config, signals → stop. Everything else lives in app.ts.
 */
import os from 'node:os';
import { CONFIG_EXIT_CODE, ConfigError } from '../shared/config';
import { createLogger } from '../shared/logger';
import { startAgent } from './app';
import { agentSecrets, loadAgentConfig } from './config';

/** DESIGN.md: on SIGTERM the agent is gone within 2 s, goodbye sent or not. */
const HARD_EXIT_MS = 2_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadAgentConfig(process.env, { hostname: os.hostname() });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`replica-watch agent: ${err.message}\n`);
    process.exit(CONFIG_EXIT_CODE);
  }
  const log = createLogger({ service: 'agent', level: config.logLevel, secrets: agentSecrets(config) });
  // A stray error is logged and the agent carries on: a sidecar that crashes in a loop is worse
  // than one that misses a heartbeat.
  process.on('unhandledRejection', (err) => log.error('unhandled rejection', { err }));
  process.on('uncaughtException', (err) => log.error('uncaught exception', { err }));

  let agent;
  try {
    agent = await startAgent(config, { log });
  } catch (err) {
    log.error('agent could not start', { err });
    process.exitCode = 1;
    return;
  }
  log.info('agent listening', { port: agent.port });

  const shutdown = (signal: NodeJS.Signals) => {
    log.info('stopping', { signal });
    setTimeout(() => process.exit(0), HARD_EXIT_MS).unref();
    agent.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('stop failed', { err });
        process.exit(0);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

void main().catch((err: unknown) => {
  process.stderr.write(`replica-watch agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
