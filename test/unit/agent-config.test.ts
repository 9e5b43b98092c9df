import { AGENT_DEFAULTS, agentSecrets, loadAgentConfig } from '../../agent/config';
import { ConfigError } from '../../shared/config';

const host = { hostname: 'host-from-os' };

function configError(env: Record<string, string>): ConfigError {
  try {
    loadAgentConfig(env, host);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadAgentConfig', () => {
  it('applies the documented defaults to an empty environment (disabled, idle)', () => {
    const config = loadAgentConfig({}, host);
    expect(config).toEqual({
      enabled: false,
      instanceId: 'host-from-os',
      app: 'default',
      component: 'backend',
      deploymentId: null,
      version: null,
      region: null,
      podName: null,
      nodeName: null,
      intervalMs: 10_000,
      ttlMs: 30_000,
      probeUrl: null,
      probeTimeoutMs: 2_000,
      port: 9102,
      host: '0.0.0.0',
      redis: null,
      aggregatorUrl: null,
      aggregatorToken: null,
      logLevel: 'info',
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(AGENT_DEFAULTS)).toBe(true);
  });

  it('takes the instance id from HOSTNAME and the app from DO_APP_ID when not given', () => {
    const config = loadAgentConfig(
      { HOSTNAME: 'backend-6b7f9-x2k4q', DO_APP_ID: 'f3a1c2d4-0000-4000-8000-000000000001' },
      host,
    );
    expect(config.instanceId).toBe('backend-6b7f9-x2k4q');
    expect(config.app).toBe('f3a1c2d4-0000-4000-8000-000000000001');
    const explicit = loadAgentConfig(
      { HOSTNAME: 'h', AGENT_INSTANCE_ID: 'i-1', DO_APP_ID: 'x', AGENT_APP: 'shop' },
      host,
    );
    expect(explicit.instanceId).toBe('i-1');
    expect(explicit.app).toBe('shop');
  });

  it('reads a full enabled configuration', () => {
    const config = loadAgentConfig(
      {
        AGENT_ENABLED: 'true',
        AGENT_INSTANCE_ID: 'api-1',
        AGENT_APP: 'shop',
        AGENT_COMPONENT: 'api',
        DEPLOYMENT_ID: 'dep-42',
        APP_VERSION: '1.2.3',
        DO_REGION: 'fra1',
        POD_NAME: 'api-abc',
        NODE_NAME: 'node-7',
        AGENT_INTERVAL_MS: '5000',
        AGENT_TTL_MS: '15000',
        AGENT_PROBE_URL: 'http://127.0.0.1:8080/health',
        AGENT_PROBE_TIMEOUT_MS: '1000',
        AGENT_PORT: '0',
        AGENT_HOST: '127.0.0.1',
        REDIS_URL: 'rediss://:pw-123456@redis.example:6380',
        AGGREGATOR_URL: 'https://aggregator.example',
        AGGREGATOR_API_TOKEN: 'token-abcdefgh',
        LOG_LEVEL: 'debug',
      },
      host,
    );
    expect(config).toMatchObject({
      enabled: true,
      instanceId: 'api-1',
      app: 'shop',
      component: 'api',
      deploymentId: 'dep-42',
      version: '1.2.3',
      region: 'fra1',
      podName: 'api-abc',
      nodeName: 'node-7',
      intervalMs: 5000,
      ttlMs: 15000,
      probeUrl: 'http://127.0.0.1:8080/health',
      probeTimeoutMs: 1000,
      port: 0,
      host: '127.0.0.1',
      redis: {
        kind: 'server',
        url: 'rediss://:pw-123456@redis.example:6380',
        username: null,
        password: null,
      },
      aggregatorUrl: 'https://aggregator.example',
      aggregatorToken: 'token-abcdefgh',
      logLevel: 'debug',
    });
    expect(agentSecrets(config).sort()).toEqual(['pw-123456', 'token-abcdefgh']);
  });

  it('shrinks the default probe timeout below a short interval instead of refusing it', () => {
    const config = loadAgentConfig({ AGENT_INTERVAL_MS: '200', AGENT_TTL_MS: '1000' }, host);
    expect(config.probeTimeoutMs).toBe(100);
  });

  it('names every bad variable in one error', () => {
    const err = configError({
      AGENT_ENABLED: 'maybe',
      AGENT_INSTANCE_ID: 'bad id with spaces',
      AGENT_APP: '{app}',
      AGENT_COMPONENT: ':x',
      AGENT_INTERVAL_MS: '50',
      AGENT_PROBE_URL: 'ftp://backend/health',
      AGENT_PORT: '70000',
      REDIS_URL: 'http://127.0.0.1:6379',
      AGGREGATOR_URL: 'not a url',
      LOG_LEVEL: 'loud',
      DEPLOYMENT_ID: 'd'.repeat(300),
    });
    const named = err.problems.map((p) => p.split(/[=:]/)[0]);
    expect(named.sort()).toEqual(
      [
        'AGENT_ENABLED',
        'AGENT_INSTANCE_ID',
        'AGENT_APP',
        'AGENT_COMPONENT',
        'AGENT_INTERVAL_MS',
        'AGENT_PROBE_URL',
        'AGENT_PORT',
        'REDIS_URL',
        'AGGREGATOR_URL',
        'LOG_LEVEL',
        'DEPLOYMENT_ID',
      ].sort(),
    );
    for (const name of named) expect(err.message).toContain(name);
  });

  it('refuses a TTL that is not longer than the interval, naming both variables', () => {
    for (const ttl of ['1000', '999']) {
      const err = configError({ AGENT_INTERVAL_MS: '1000', AGENT_TTL_MS: ttl });
      expect(err.problems).toHaveLength(1);
      expect(err.problems[0]).toMatch(/^AGENT_TTL_MS=/);
      expect(err.problems[0]).toContain('AGENT_INTERVAL_MS');
    }
    expect(loadAgentConfig({ AGENT_INTERVAL_MS: '1000', AGENT_TTL_MS: '1001' }, host).ttlMs).toBe(1001);
  });

  it('refuses an explicit probe timeout that does not fit in the interval', () => {
    const err = configError({
      AGENT_INTERVAL_MS: '1000',
      AGENT_TTL_MS: '3000',
      AGENT_PROBE_TIMEOUT_MS: '1000',
    });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^AGENT_PROBE_TIMEOUT_MS=.*AGENT_INTERVAL_MS/);
  });

  it('refuses an enabled agent with no transport, but not a disabled one', () => {
    const err = configError({ AGENT_ENABLED: 'true' });
    expect(err.problems).toHaveLength(1);
    expect(err.message).toContain('REDIS_URL');
    expect(err.message).toContain('AGGREGATOR_URL');
    expect(loadAgentConfig({ AGENT_ENABLED: 'false' }, host).enabled).toBe(false);
    expect(loadAgentConfig({ AGENT_ENABLED: 'true', AGGREGATOR_URL: 'http://agg:8080' }, host).enabled).toBe(
      true,
    );
  });

  it('refuses a host name that cannot be an instance id unless AGENT_INSTANCE_ID is set', () => {
    const err = configError({ HOSTNAME: 'bad host' });
    expect(err.problems[0]).toMatch(/^AGENT_INSTANCE_ID: /);
    expect(loadAgentConfig({ HOSTNAME: 'bad host', AGENT_INSTANCE_ID: 'good' }, host).instanceId).toBe(
      'good',
    );
  });

  it('never echoes a password or token in the error', () => {
    const err = configError({
      REDIS_URL: 'http://:s3cretpassw0rd@host:6379',
      AGENT_INTERVAL_MS: 'x',
      AGGREGATOR_URL: 'ftp://user:hunter2hunter2@agg',
      AGGREGATOR_API_TOKEN: 'tiny7',
    });
    expect(err.message).not.toContain('s3cretpassw0rd');
    expect(err.message).not.toContain('hunter2hunter2');
    expect(err.message).not.toContain('tiny7');
    expect(err.message).toContain('REDIS_URL');
    expect(err.message).toContain('AGGREGATOR_API_TOKEN');
  });
});
