/**
 * The agent process: environment → config, signals → stop. Everything else lives in app.ts.
 *
 * Exit codes: 0 after SIGTERM/SIGINT (goodbye sent or not); 2 a bad environment (one message on
 * stderr naming every bad variable); 1 the agent could not start (AGENT_PORT in use, an unusable
 * NODE_EXTRA_CA_CERTS, anything else startAgent refused, or a start that took longer than
 * START_DEADLINE_MS). Exiting is what lets a supervisor see the failure and restart the agent.
 */
import os from 'node:os';
import { CONFIG_EXIT_CODE, ConfigError } from '../shared/config';
import type { Logger } from '../shared/logger';
import { createLogger } from '../shared/logger';
import type { RunningAgent } from './app';
import { startAgent } from './app';
import { agentSecrets, loadAgentConfig } from './config';
import { AgentStartError } from './start-error';
import { withTimeout } from './timeout';

/** DESIGN.md: on SIGTERM the agent is gone within 2 s, goodbye sent or not. */
const HARD_EXIT_MS = 2_000;
/** Exit code of an agent that could not start (2, CONFIG_EXIT_CODE, is a bad environment). */
const START_FAILURE_EXIT_CODE = 1;
/**
 * A start does nothing slow (it binds a port, reads a CA file, loads modules; connections open in
 * the background), so one still not done after this hangs: the issue asks for an exit within 5 s.
 */
const START_DEADLINE_MS = 4_000;
/** How long the last log line may take to reach stdout before the exit goes ahead anyway. */
const FLUSH_MS = 500;

/** Exits once what was written to stdout has been handed to the OS (the last log line). */
function exitAfterFlush(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), FLUSH_MS);
  process.stdout.write('', () => process.exit(code));
}

async function start(config: Parameters<typeof startAgent>[0], log: Logger): Promise<RunningAgent | null> {
  try {
    return await withTimeout(startAgent(config, { log }), START_DEADLINE_MS, 'agent start');
  } catch (err) {
    // The variable to fix and its value as fields of their own, beside the error's text.
    const named =
      err instanceof AgentStartError ? { variable: err.variable, value: err.value, reason: err.reason } : {};
    log.error('agent could not start', { ...named, err, exit_code: START_FAILURE_EXIT_CODE });
    return null;
  }
}

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

  const agent = await start(config, log);
  // Not a return with exitCode set: whatever startAgent left behind (or a start still under way)
  // could hold the process up, and a hung agent is never restarted by its supervisor.
  if (agent === null) return exitAfterFlush(START_FAILURE_EXIT_CODE);
  log.info('agent listening', { port: agent.port });

  const shutdown = (signal: NodeJS.Signals) => {
    log.info('stopping', { signal });
    // The guarantee: stop() has its own budget (1.5 s), this holds even if something in it hangs.
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
  process.exit(START_FAILURE_EXIT_CODE);
});
