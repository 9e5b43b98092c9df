import { agentSecrets, loadAgentConfig } from '../../agent/config';
import { aggregatorSecrets, loadAggregatorConfig } from '../../aggregator/config';
import type { Env } from '../../shared/config';
import { EnvReader } from '../../shared/config';
import {
  describeRedisEngine,
  readRedisEngine,
  redisEngineHosts,
  redisEngineSecrets,
  redisEngineTls,
  serverEngine,
} from '../../shared/redis-engine';
import { problemsOf } from '../support/config-problems';

/** The engine an environment names (its problems thrown as one ConfigError). */
function engineOf(env: Env) {
  const read = new EnvReader(env);
  const engine = readRedisEngine(read);
  read.finish();
  return engine;
}

const problems = (env: Env) => problemsOf(engineOf, env);

describe('readRedisEngine', () => {
  test('no engine named: null (HTTP-only agents, the embedded aggregator)', () => {
    expect(engineOf({})).toBeNull();
    expect(engineOf({ REDIS_URL: '  ' })).toBeNull();
  });

  test('REDIS_URL: one server, with REDIS_USERNAME / REDIS_PASSWORD when given', () => {
    expect(engineOf({ REDIS_URL: 'redis://127.0.0.1:6379' })).toEqual(serverEngine('redis://127.0.0.1:6379'));
    expect(
      engineOf({
        REDIS_URL: 'rediss://db.example:25061',
        REDIS_USERNAME: 'rw',
        REDIS_PASSWORD: 'pw-0123456789',
      }),
    ).toEqual({
      kind: 'server',
      url: 'rediss://db.example:25061',
      username: 'rw',
      password: 'pw-0123456789',
    });
    expect(problems({ REDIS_URL: 'http://db.example:6379' })).toEqual([
      'REDIS_URL="http://db.example:6379": must use redis: or rediss:, not http:',
    ]);
  });

  test('REDIS_CLUSTER_NODES: seed URLs (host:port gets redis://), TLS when they say rediss://', () => {
    expect(engineOf({ REDIS_CLUSTER_NODES: 'redis://10.0.0.1:7000, 10.0.0.2:7001,10.0.0.3' })).toEqual({
      kind: 'cluster',
      nodes: ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7001', 'redis://10.0.0.3'],
      tls: false,
      username: null,
      password: null,
    });
    const tls = engineOf({
      REDIS_CLUSTER_NODES: 'rediss://rw:s3cret%2Fpass@node-1.example:6380,rediss://node-2.example:6380',
      REDIS_PASSWORD: 'fallback-password',
    });
    expect(tls).toMatchObject({ kind: 'cluster', tls: true, password: 'fallback-password' });
    expect(tls && redisEngineTls(tls)).toBe(true);
    expect(tls && redisEngineHosts(tls)).toBe('node-1.example:6380,node-2.example:6380');
  });

  test('REDIS_CLUSTER_NODES: an empty item, a wrong scheme, a mix of TLS and plain are refused', () => {
    expect(problems({ REDIS_CLUSTER_NODES: 'redis://a:1,,redis://b:2' })).toEqual([
      'REDIS_CLUSTER_NODES="redis://a:1,,redis://b:2": has an empty item (two commas, or one at an end)',
    ]);
    expect(problems({ REDIS_CLUSTER_NODES: 'http://a:1' })[0]).toMatch(
      /^REDIS_CLUSTER_NODES="http:\/\/a:1": "http:\/\/a:1" must use redis: or rediss: \(expected/,
    );
    expect(problems({ REDIS_CLUSTER_NODES: 'rediss://a:1,redis://b:2' })[0]).toMatch(
      /mixes redis:\/\/ and rediss:\/\/ entries/,
    );
    expect(problems({ REDIS_CLUSTER_NODES: 'redis://a:1/0' })[0]).toMatch(/must be a node \(host:port\)/);
  });

  test('REDIS_SENTINELS + REDIS_SENTINEL_MASTER: host:port (26379 by default), IPv6, their own AUTH', () => {
    const engine = engineOf({
      REDIS_SENTINELS: '10.0.0.1:26380,[fd00::2],redis://:sentinel-pass@10.0.0.3:26381',
      REDIS_SENTINEL_MASTER: 'mymaster',
      REDIS_USERNAME: 'app',
      REDIS_PASSWORD: 'data-password',
    });
    expect(engine).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26380, username: null, password: null },
        { host: 'fd00::2', port: 26379, username: null, password: null },
        { host: '10.0.0.3', port: 26381, username: null, password: 'sentinel-pass' },
      ],
      masterName: 'mymaster',
      tls: false,
      username: 'app',
      password: 'data-password',
    });
    expect(engine && redisEngineHosts(engine)).toBe('10.0.0.1:26380,[fd00::2]:26379,10.0.0.3:26381');
    expect(engineOf({ REDIS_SENTINELS: 'rediss://s1:26379', REDIS_SENTINEL_MASTER: 'm' })).toMatchObject({
      tls: true,
    });
  });

  test('a sentinel list needs the master name, and the master name needs the list', () => {
    expect(problems({ REDIS_SENTINELS: '10.0.0.1:26379' })).toEqual([
      'REDIS_SENTINELS="10.0.0.1:26379": needs REDIS_SENTINEL_MASTER: the name the sentinels know the primary by',
    ]);
    expect(problems({ REDIS_URL: 'redis://a:6379', REDIS_SENTINEL_MASTER: 'mymaster' })).toEqual([
      'REDIS_SENTINEL_MASTER="mymaster": is only read with REDIS_SENTINELS (the sentinels to ask for it)',
    ]);
  });

  test('two engines at once are one configuration error naming both (three: all three)', () => {
    expect(problems({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'redis://b:7000' })).toEqual([
      'REDIS_URL="redis://a:6379": is set together with REDIS_CLUSTER_NODES: name one Redis engine (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS)',
    ]);
    const all = problems({
      REDIS_URL: 'redis://a:6379',
      REDIS_CLUSTER_NODES: 'redis://b:7000',
      REDIS_SENTINELS: 'c:26379',
      REDIS_SENTINEL_MASTER: 'm',
    });
    expect(all).toHaveLength(1);
    expect(all[0]).toMatch(/^REDIS_URL=.*together with REDIS_CLUSTER_NODES and REDIS_SENTINELS/);
  });

  test('passwords never appear in a problem; REDIS_PASSWORD is a secret (8 characters at least)', () => {
    const text = [
      ...problems({ REDIS_URL: 'redis://:hunter2hunter2@a:6379', REDIS_CLUSTER_NODES: 'redis://b:7000' }),
      ...problems({ REDIS_CLUSTER_NODES: 'http://user:hunter2hunter2@b:7000' }),
      ...problems({ REDIS_SENTINELS: 'redis://:hunter2hunter2@s:26379,,x' }),
    ].join('\n');
    expect(text).not.toContain('hunter2hunter2');
    expect(problems({ REDIS_URL: 'redis://a:6379', REDIS_PASSWORD: 'short' })).toEqual([
      'REDIS_PASSWORD=(hidden): must be at least 8 characters',
    ]);
  });
});

describe('redisEngineSecrets and describeRedisEngine', () => {
  test('every password an engine holds, raw and URL-decoded; none in its description', () => {
    const cluster = engineOf({
      REDIS_CLUSTER_NODES: 'redis://rw:s3cret%2Fpass@n1:7000,redis://n2:7000',
      REDIS_PASSWORD: 'env-password',
    });
    expect(redisEngineSecrets(cluster).sort()).toEqual(['env-password', 's3cret%2Fpass', 's3cret/pass']);
    const sentinel = engineOf({
      REDIS_SENTINELS: 'redis://:sentinel%40pass@s1:26379',
      REDIS_SENTINEL_MASTER: 'mymaster',
      REDIS_PASSWORD: 'data-password',
    });
    expect(redisEngineSecrets(sentinel).sort()).toEqual([
      'data-password',
      'sentinel%40pass',
      'sentinel@pass',
    ]);
    expect(redisEngineSecrets(null)).toEqual([]);
    for (const engine of [cluster, sentinel, serverEngine('redis://:pw-0123456789@db:6379')]) {
      if (engine === null) throw new Error('no engine');
      const words = describeRedisEngine(engine);
      for (const secret of redisEngineSecrets(engine)) expect(words).not.toContain(secret);
    }
    expect(cluster && describeRedisEngine(cluster)).toBe('redis cluster (seeds n1:7000, n2:7000)');
    expect(sentinel && describeRedisEngine(sentinel)).toBe('redis primary "mymaster" via sentinels s1:26379');
  });
});

describe('both processes read the same engines', () => {
  const engines: Env[] = [
    { REDIS_URL: 'redis://:url-password@db:6379' },
    { REDIS_CLUSTER_NODES: 'redis://n1:7000,redis://n2:7000', REDIS_PASSWORD: 'env-password' },
    {
      REDIS_SENTINELS: 's1:26379,s2:26379',
      REDIS_SENTINEL_MASTER: 'mymaster',
      REDIS_PASSWORD: 'env-password',
    },
  ];

  test.each(engines)('agent and aggregator: %o', (env) => {
    const agent = loadAgentConfig({ ...env, AGENT_ENABLED: 'true' }, { hostname: 'host-1' });
    const aggregator = loadAggregatorConfig(env);
    expect(agent.redis).toEqual(engineOf(env));
    expect(aggregator.redis).toEqual(engineOf(env));
    const secrets = redisEngineSecrets(engineOf(env));
    expect(secrets.length).toBeGreaterThan(0);
    expect(agentSecrets(agent)).toEqual(expect.arrayContaining(secrets));
    expect(aggregatorSecrets(aggregator)).toEqual(expect.arrayContaining(secrets));
  });

  test('an enabled agent with a cluster or sentinels and no AGGREGATOR_URL has somewhere to send', () => {
    expect(
      loadAgentConfig({ AGENT_ENABLED: 'true', REDIS_CLUSTER_NODES: 'n1:7000' }, { hostname: 'h' }).redis,
    ).toMatchObject({ kind: 'cluster' });
    expect(
      problemsOf((env: Env) => loadAgentConfig(env, { hostname: 'h' }), { AGENT_ENABLED: 'true' }),
    ).toEqual([
      'AGENT_ENABLED="true": is true but no Redis (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS) nor AGGREGATOR_URL is set: heartbeats have nowhere to go',
    ]);
  });

  test('two engines stop both processes with the same error', () => {
    const env = { REDIS_URL: 'redis://a:6379', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_MASTER: 'm' };
    const expected = expect.stringMatching(/^REDIS_URL=.*together with REDIS_SENTINELS/);
    expect(problemsOf((e: Env) => loadAgentConfig(e, { hostname: 'h' }), env)).toEqual([expected]);
    expect(problemsOf(loadAggregatorConfig, env)).toEqual([expected]);
  });
});
