/**
 * The load generator's command line: --batch (HTTP only, 1 to the aggregator's 1000) and what it
 * does to the default concurrency; a usage error is exit code 2 and names the flag. Pure: the
 * CLI stops at the flags, before it connects to anything.
 */
import { LOADGEN_USAGE, parseLoadgenCli, runLoadgenCli, UsageError } from '../../bench/loadgen/cli';
import { MAX_BATCH } from '../../bench/loadgen/writers';

const HTTP = ['--instances', '10', '--aggregator-url', 'http://127.0.0.1:9'];
const REDIS_ENV = { REDIS_URL: 'redis://127.0.0.1:9' };

function parsed(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const cli = parseLoadgenCli(argv, env);
  if (cli === 'help') throw new Error('unexpected help');
  return cli;
}

function usageError(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseLoadgenCli(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('no usage error');
}

async function exitCodeOf(argv: string[], env: NodeJS.ProcessEnv) {
  let stderr = '';
  let stdout = '';
  const code = await runLoadgenCli(
    argv,
    env,
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), pid: 1 },
    new AbortController().signal,
  );
  return { code, stderr, stdout };
}

describe('loadgen --batch', () => {
  it('defaults to one heartbeat per POST and the usual 256 in flight', () => {
    const cli = parsed(HTTP);
    expect(cli.batch).toBe(1);
    expect(cli.concurrency).toBe(256);
  });

  it('takes 1 to MAX_BATCH heartbeats per POST', () => {
    expect(MAX_BATCH).toBe(1000);
    expect(parsed([...HTTP, '--batch', '1']).batch).toBe(1);
    expect(parsed([...HTTP, '--batch', '1000']).batch).toBe(1000);
  });

  it('keeps two batches per connection in flight unless --concurrency says otherwise', () => {
    expect(parsed([...HTTP, '--batch', '50', '--connections', '3']).concurrency).toBe(300);
    expect(parsed([...HTTP, '--batch', '50', '--concurrency', '7']).concurrency).toBe(7);
  });

  it.each([['0'], ['1001'], ['-5'], ['ten'], ['2.5']])('refuses --batch %s, naming the flag', (value) => {
    expect(usageError([...HTTP, '--batch', value])).toMatch(/--batch/);
  });

  it('refuses --batch on the Redis path, naming the flag', () => {
    expect(usageError(['--instances', '10', '--batch', '5'], REDIS_ENV)).toMatch(/--batch.*HTTP/);
    // Even --batch 1: the flag means HTTP batches.
    expect(usageError(['--instances', '10', '--batch', '1'], REDIS_ENV)).toMatch(/--batch/);
  });

  it('exits 2 with the reason and the usage for --batch on the Redis path', async () => {
    const { code, stderr, stdout } = await exitCodeOf(['--instances', '10', '--batch', '5'], REDIS_ENV);
    expect(code).toBe(2);
    expect(stderr).toContain('--batch');
    expect(stderr).toContain(LOADGEN_USAGE);
    expect(stdout).toBe('');
  });

  it('exits 2 for an out-of-range --batch', async () => {
    const { code, stderr } = await exitCodeOf([...HTTP, '--batch', '5000'], {});
    expect(code).toBe(2);
    expect(stderr).toMatch(/--batch must be from 1 to 1000, got 5000/);
  });

  it('documents --batch in the usage text', async () => {
    const { code, stdout } = await exitCodeOf(['--help'], {});
    expect(code).toBe(0);
    expect(stdout).toMatch(/--batch N\s+HTTP only/);
  });
});
