/**
 * SHARD, TOTAL_SHARDS and SHARD_FROM_HOSTNAME (aggregator/config.ts): the default is shard 0 of
 * 1; a StatefulSet pod takes its shard from the trailing `-<ordinal>` of HOSTNAME (else of the
 * host name main passes in); every bad combination is named, once, in the one ConfigError.
 */
import { loadAggregatorConfig, MAX_TOTAL_SHARDS } from '../../aggregator/config';
import type { Env } from '../../shared/config';
import { UNSHARDED } from '../../shared/shard';
import { problemsOf as problemsOfLoad } from '../support/config-problems';

const REDIS = { REDIS_URL: 'redis://127.0.0.1:6379' };
const load = (env: Env, hostname?: string) =>
  loadAggregatorConfig(env, hostname === undefined ? {} : { hostname });
const problemsOf = (env: Env, hostname?: string) => problemsOfLoad((e: Env) => load(e, hostname), env);

describe('the shard an aggregator is', () => {
  test('default: shard 0 of 1 (unsharded), with or without Redis', () => {
    expect(load({}).shard).toEqual(UNSHARDED);
    expect(load(REDIS).shard).toEqual({ index: 0, total: 1 });
    expect(load({ TOTAL_SHARDS: '1', SHARD: '0' }).shard).toEqual({ index: 0, total: 1 });
  });

  test('SHARD of TOTAL_SHARDS, with Redis', () => {
    expect(load({ ...REDIS, TOTAL_SHARDS: '3', SHARD: '2' }).shard).toEqual({ index: 2, total: 3 });
    expect(load({ ...REDIS, TOTAL_SHARDS: '3' }).shard).toEqual({ index: 0, total: 3 });
    expect(load({ ...REDIS, TOTAL_SHARDS: String(MAX_TOTAL_SHARDS), SHARD: '1023' }).shard).toEqual({
      index: 1023,
      total: MAX_TOTAL_SHARDS,
    });
  });

  test('any Redis engine will do: REDIS_CLUSTER_NODES and REDIS_SENTINELS count as Redis', () => {
    // Only the shard's own check is asserted: the engines' variables are parsed elsewhere.
    for (const engine of [
      { REDIS_CLUSTER_NODES: 'redis://10.0.0.1:7000,redis://10.0.0.2:7000' },
      { REDIS_SENTINELS: '10.0.0.1:26379', REDIS_SENTINEL_MASTER: 'mymaster' },
    ]) {
      let problems: readonly string[] = [];
      try {
        load({ ...engine, TOTAL_SHARDS: '2', SHARD: '1' });
      } catch (err) {
        problems = (err as { problems?: readonly string[] }).problems ?? [String(err)];
      }
      expect(problems.filter((p) => /SHARD/.test(p))).toEqual([]);
    }
  });

  test('SHARD_FROM_HOSTNAME=true: the ordinal of HOSTNAME, and the prefix that names the peers', () => {
    expect(
      load({ ...REDIS, TOTAL_SHARDS: '3', SHARD_FROM_HOSTNAME: 'true', HOSTNAME: 'replica-watch-2' }).shard,
    ).toEqual({ index: 2, total: 3, hostPrefix: 'replica-watch-' });
    expect(
      load({ ...REDIS, TOTAL_SHARDS: '3', SHARD_FROM_HOSTNAME: 'yes', HOSTNAME: 'rw-aggregator-0' }).shard,
    ).toEqual({ index: 0, total: 3, hostPrefix: 'rw-aggregator-' });
  });

  test('SHARD_FROM_HOSTNAME without HOSTNAME: the host name main passes (os.hostname())', () => {
    expect(
      load({ ...REDIS, TOTAL_SHARDS: '2', SHARD_FROM_HOSTNAME: 'true' }, 'replica-watch-1').shard,
    ).toEqual({ index: 1, total: 2, hostPrefix: 'replica-watch-' });
    // HOSTNAME wins over the host name passed in.
    expect(
      load(
        { ...REDIS, TOTAL_SHARDS: '2', SHARD_FROM_HOSTNAME: 'true', HOSTNAME: 'replica-watch-0' },
        'other-1',
      ).shard,
    ).toEqual({ index: 0, total: 2, hostPrefix: 'replica-watch-' });
  });

  test('SHARD_FROM_HOSTNAME=false: SHARD as usual, the host name ignored', () => {
    expect(
      load({ ...REDIS, TOTAL_SHARDS: '2', SHARD: '1', SHARD_FROM_HOSTNAME: 'false', HOSTNAME: 'x-0' }).shard,
    ).toEqual({ index: 1, total: 2 });
  });
});

describe('refused shard settings', () => {
  test.each<[string, Env, string | undefined, string]>([
    [
      'SHARD outside TOTAL_SHARDS',
      { ...REDIS, TOTAL_SHARDS: '2', SHARD: '2' },
      undefined,
      'SHARD="2": gives shard 2, but TOTAL_SHARDS is 2: shards are numbered 0 to 1',
    ],
    [
      'SHARD without TOTAL_SHARDS',
      { ...REDIS, SHARD: '1' },
      undefined,
      'SHARD="1": gives shard 1, but TOTAL_SHARDS is 1',
    ],
    [
      'a negative SHARD',
      { ...REDIS, TOTAL_SHARDS: '2', SHARD: '-1' },
      undefined,
      'SHARD="-1": must be an integer from 0 to 1023',
    ],
    [
      'a SHARD that is no number',
      { ...REDIS, TOTAL_SHARDS: '2', SHARD: 'one' },
      undefined,
      'SHARD="one": must be an integer',
    ],
    [
      'TOTAL_SHARDS 0',
      { ...REDIS, TOTAL_SHARDS: '0' },
      undefined,
      'TOTAL_SHARDS="0": must be an integer from 1 to 1024',
    ],
    [
      'TOTAL_SHARDS past the most',
      { ...REDIS, TOTAL_SHARDS: '1025' },
      undefined,
      'TOTAL_SHARDS="1025": must be an integer from 1 to 1024',
    ],
    [
      'TOTAL_SHARDS a fraction',
      { ...REDIS, TOTAL_SHARDS: '2.5' },
      undefined,
      'TOTAL_SHARDS="2.5": must be an integer',
    ],
    [
      'sharding without Redis',
      { TOTAL_SHARDS: '2', SHARD: '1' },
      undefined,
      'TOTAL_SHARDS="2": is above 1 without Redis (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS)',
    ],
    [
      'SHARD and SHARD_FROM_HOSTNAME both',
      { ...REDIS, TOTAL_SHARDS: '2', SHARD: '1', SHARD_FROM_HOSTNAME: 'true', HOSTNAME: 'rw-1' },
      undefined,
      'SHARD="1": and SHARD_FROM_HOSTNAME=true are both set',
    ],
    [
      'a host name without an ordinal',
      { ...REDIS, TOTAL_SHARDS: '2', SHARD_FROM_HOSTNAME: 'true', HOSTNAME: 'replica-watch-7f9c6d8b5-x2x7z' },
      undefined,
      'SHARD_FROM_HOSTNAME="true": is true but the host name "replica-watch-7f9c6d8b5-x2x7z" ends in no -<ordinal>',
    ],
    [
      'no host name at all',
      { ...REDIS, TOTAL_SHARDS: '2', SHARD_FROM_HOSTNAME: 'true' },
      undefined,
      'SHARD_FROM_HOSTNAME="true": is true but the host name "" ends in no -<ordinal>',
    ],
    [
      'an ordinal outside TOTAL_SHARDS',
      { ...REDIS, TOTAL_SHARDS: '3', SHARD_FROM_HOSTNAME: 'true', HOSTNAME: 'replica-watch-3' },
      undefined,
      'SHARD_FROM_HOSTNAME="true": gives shard 3 (the host name "replica-watch-3"), but TOTAL_SHARDS is 3: shards are numbered 0 to 2',
    ],
    [
      'an ordinal from os.hostname() outside TOTAL_SHARDS',
      { ...REDIS, SHARD_FROM_HOSTNAME: 'true' },
      'replica-watch-1',
      'SHARD_FROM_HOSTNAME="true": gives shard 1 (the host name "replica-watch-1"), but TOTAL_SHARDS is 1',
    ],
    [
      'SHARD_FROM_HOSTNAME not a boolean',
      { ...REDIS, SHARD_FROM_HOSTNAME: 'sometimes' },
      undefined,
      'SHARD_FROM_HOSTNAME="sometimes": must be true or false',
    ],
  ])('%s', (_name, env, hostname, problem) => {
    const problems = problemsOf(env, hostname);
    expect(problems).toEqual([expect.stringContaining(problem)]);
  });

  test('a bad TOTAL_SHARDS is named once, not again as a SHARD out of range', () => {
    expect(problemsOf({ ...REDIS, TOTAL_SHARDS: 'three', SHARD: '2' })).toEqual([
      'TOTAL_SHARDS="three": must be an integer from 1 to 1024',
    ]);
  });

  test('every problem in one error: a bad SHARD beside other bad variables', () => {
    const problems = problemsOf({ TOTAL_SHARDS: '2', SHARD: '5', PORT: 'eighty' });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('PORT="eighty"'),
        expect.stringContaining('SHARD="5": gives shard 5, but TOTAL_SHARDS is 2'),
      ]),
    );
  });
});
