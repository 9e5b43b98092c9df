/**
 * Which Redis the processes talk to: one server (REDIS_URL), a Redis Cluster
 * (REDIS_CLUSTER_NODES: seed nodes) or a primary found through Sentinel (REDIS_SENTINELS with
 * REDIS_SENTINEL_MASTER). Agents and aggregators read the same variables; credentials come in
 * the URLs or from REDIS_USERNAME / REDIS_PASSWORD, TLS wherever a URL says rediss://. Pure:
 * parsed from the environment by EnvReader, connected elsewhere (redis-client.ts).
 */
import type { EnvReader } from './config';

/** Credentials for the data nodes of an engine; a URL's own win over these. */
export interface RedisCredentials {
  /** REDIS_USERNAME (ACL user); null: the default user. */
  readonly username: string | null;
  /** REDIS_PASSWORD; a secret. */
  readonly password: string | null;
}

export interface RedisHostPort {
  readonly host: string;
  readonly port: number;
}

/** One sentinel, with the credentials its own URL carries (sentinels may have AUTH of their own). */
export interface RedisSentinelNode extends RedisHostPort, RedisCredentials {}

export type RedisEngine =
  | ({ readonly kind: 'server'; readonly url: string } & RedisCredentials)
  | ({
      readonly kind: 'cluster';
      /** Seed nodes (redis:// or rediss:// URLs); the client discovers the rest. */
      readonly nodes: readonly string[];
      /** Every node spoken to over TLS (the seeds say rediss://). */
      readonly tls: boolean;
    } & RedisCredentials)
  | ({
      readonly kind: 'sentinel';
      readonly sentinels: readonly RedisSentinelNode[];
      /** REDIS_SENTINEL_MASTER: the name the sentinels monitor the primary under. */
      readonly masterName: string;
      /** Sentinels, primary and replicas spoken to over TLS (REDIS_SENTINELS as rediss:// URLs). */
      readonly tls: boolean;
    } & RedisCredentials);

/** The variables that name an engine; setting two is a configuration error naming both. */
export const REDIS_ENGINE_VARIABLES = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const;

const REDIS_PROTOCOLS = ['redis:', 'rediss:'];
const DEFAULT_PORT = 6379;
const DEFAULT_SENTINEL_PORT = 26379;

interface ParsedNode extends RedisSentinelNode {
  readonly tls: boolean;
  /** The entry as a URL (`host:port` gets redis://). */
  readonly url: string;
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `host:port`, `[::1]:port` or a redis(s):// URL; the port defaults to `defaultPort`. */
function parseNode(text: string, defaultPort: number): ParsedNode | string {
  const asUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `redis://${text}`;
  let url: URL;
  try {
    url = new URL(asUrl);
  } catch {
    return `${JSON.stringify(maskUserInfo(text))} is not host:port`;
  }
  const shown = JSON.stringify(maskUserInfo(text));
  if (!REDIS_PROTOCOLS.includes(url.protocol)) return `${shown} must use redis: or rediss:`;
  if (url.hostname === '') return `${shown} names no host`;
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '') {
    return `${shown} must be a node (host:port), not a path or options`;
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? defaultPort : Number(url.port),
    username: url.username === '' ? null : decoded(url.username),
    password: url.password === '' ? null : decoded(url.password),
    tls: url.protocol === 'rediss:',
    url: asUrl,
  };
}

/** A list item for an error: its password hidden. */
function maskUserInfo(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:[REDACTED]@');
}

/** A comma-separated list's items, or the problem with it. */
function items(text: string): string[] | string {
  const list = text.split(',').map((item) => item.trim());
  return list.some((item) => item === '') ? 'has an empty item (two commas, or one at an end)' : list;
}

/** Every node of a list, or the first problem (each item's own words). */
function parseList(text: string, defaultPort: number, expected: string): ParsedNode[] | string {
  const list = items(text);
  if (typeof list === 'string') return list;
  const nodes: ParsedNode[] = [];
  for (const item of list) {
    const parsed = parseNode(item, defaultPort);
    if (typeof parsed === 'string') return `${parsed} (expected ${expected})`;
    nodes.push(parsed);
  }
  if (nodes.some((node) => node.tls !== nodes[0]?.tls)) {
    return 'mixes redis:// and rediss:// entries: the engine is spoken to over TLS or not';
  }
  return nodes;
}

/**
 * The engine the environment names, or null when it names none (the agent's HTTP-only mode, the
 * aggregator's embedded mode) or names it wrongly. Problems are noted on `read`, each naming its
 * variable.
 */
export function readRedisEngine(read: EnvReader): RedisEngine | null {
  const given = REDIS_ENGINE_VARIABLES.filter((name) => read.raw(name) !== undefined);
  if (read.raw('REDIS_SENTINEL_MASTER') !== undefined && !given.includes('REDIS_SENTINELS')) {
    read.problem('REDIS_SENTINEL_MASTER', 'is only read with REDIS_SENTINELS (the sentinels to ask for it)');
  }
  const [first, ...others] = given;
  if (first !== undefined && others.length > 0) {
    read.problem(
      first,
      `is set together with ${others.join(' and ')}: name one Redis engine (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS)`,
    );
    return null;
  }
  const username = read.string('REDIS_USERNAME') ?? null;
  const password = read.secret('REDIS_PASSWORD') ?? null;
  switch (first) {
    case undefined:
      return null;
    case 'REDIS_URL': {
      const url = read.url('REDIS_URL', REDIS_PROTOCOLS);
      return url === undefined ? null : { kind: 'server', url, username, password };
    }
    case 'REDIS_CLUSTER_NODES': {
      const nodes = parseList(
        read.raw('REDIS_CLUSTER_NODES') ?? '',
        DEFAULT_PORT,
        'redis://host:port, rediss://host:port or host:port',
      );
      if (typeof nodes === 'string') {
        read.problem('REDIS_CLUSTER_NODES', nodes);
        return null;
      }
      return {
        kind: 'cluster',
        nodes: nodes.map((node) => node.url),
        tls: nodes[0]?.tls ?? false,
        username,
        password,
      };
    }
    case 'REDIS_SENTINELS': {
      const masterName = read.raw('REDIS_SENTINEL_MASTER');
      if (masterName === undefined) {
        read.problem(
          'REDIS_SENTINELS',
          'needs REDIS_SENTINEL_MASTER: the name the sentinels know the primary by',
        );
      }
      const nodes = parseList(
        read.raw('REDIS_SENTINELS') ?? '',
        DEFAULT_SENTINEL_PORT,
        'host:port, redis://host:port or rediss://host:port',
      );
      if (typeof nodes === 'string') {
        read.problem('REDIS_SENTINELS', nodes);
        return null;
      }
      if (masterName === undefined) return null;
      return {
        kind: 'sentinel',
        sentinels: nodes.map(({ host, port, username: user, password: pass }) => ({
          host,
          port,
          username: user,
          password: pass,
        })),
        masterName,
        tls: nodes[0]?.tls ?? false,
        username,
        password,
      };
    }
  }
  return null;
}

/** One server at `url`, no credentials beyond the URL's: the tests' and the benchmarks' engine. */
export function serverEngine(url: string): RedisEngine {
  return { kind: 'server', url, username: null, password: null };
}

/** The passwords an engine holds (raw and URL-decoded), for log redaction. */
export function redisEngineSecrets(engine: RedisEngine | null): string[] {
  if (engine === null) return [];
  const secrets = engine.password === null ? [] : [engine.password];
  const urls = engine.kind === 'server' ? [engine.url] : engine.kind === 'cluster' ? engine.nodes : [];
  for (const url of urls) {
    const { password } = new URL(url);
    if (password === '') continue;
    secrets.push(password, decoded(password));
  }
  if (engine.kind === 'sentinel') {
    for (const sentinel of engine.sentinels) {
      if (sentinel.password === null) continue;
      secrets.push(sentinel.password, encodeURIComponent(sentinel.password));
    }
  }
  return [...new Set(secrets)];
}

/** The engine in words for logs and errors, credentials left out. */
export function describeRedisEngine(engine: RedisEngine): string {
  const hostOf = (url: string) => new URL(url).host;
  switch (engine.kind) {
    case 'server':
      return `redis at ${hostOf(engine.url)}`;
    case 'cluster':
      return `redis cluster (seeds ${engine.nodes.map(hostOf).join(', ')})`;
    case 'sentinel':
      return `redis primary "${engine.masterName}" via sentinels ${engine.sentinels.map((s) => `${s.host}:${s.port}`).join(', ')}`;
  }
}

/** The hosts an engine is reached at (`host:port`, comma-separated), for health pages. */
export function redisEngineHosts(engine: RedisEngine): string {
  switch (engine.kind) {
    case 'server':
      return new URL(engine.url).host;
    case 'cluster':
      return engine.nodes.map((url) => new URL(url).host).join(',');
    case 'sentinel':
      return engine.sentinels
        .map((s) => (s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`))
        .join(',');
  }
}

/** Whether the engine is spoken to over TLS. */
export function redisEngineTls(engine: RedisEngine): boolean {
  return engine.kind === 'server' ? new URL(engine.url).protocol === 'rediss:' : engine.tls;
}
