/**
 * One app, one Redis Cluster slot: every key of an app carries the hash tag `{<app>}`, and a
 * script naming keys of two slots is refused before it is sent, on every engine.
 */
import { hashTagOf, luaScript, runLua } from '../../shared/lua-script';
import type { RedisCommands } from '../../shared/redis-client';
import { appKeys, FLEET_SUMMARIES_KEY } from '../../shared/redis-keys';

test('the hash tag is what Redis Cluster hashes: the first non-empty {…}, else the whole key', () => {
  expect(hashTagOf('rw:{shop}:seen')).toBe('shop');
  expect(hashTagOf('rw:{shop}:hb:{other}')).toBe('shop');
  expect(hashTagOf('plain')).toBe('plain');
  expect(hashTagOf('rw:{}:x')).toBe('rw:{}:x');
  expect(hashTagOf('rw:{open')).toBe('rw:{open');
  expect(hashTagOf(FLEET_SUMMARIES_KEY)).toBe('fleet');
});

test("every key of an app shares the app's tag", () => {
  for (const app of ['shop', 'a.b-c_1', 'x'.repeat(200)]) {
    const k = appKeys(app);
    const keys = [k.heartbeat('i-1'), k.seen, k.feed, k.history, k.audit, k.leader, k.fencing, k.alerts];
    expect(new Set(keys.map(hashTagOf))).toEqual(new Set([app]));
  }
});

test('a script over keys of two slots is refused before anything is sent', async () => {
  const sent: string[] = [];
  const client = {
    evalSha: (sha: string) => {
      sent.push(sha);
      return Promise.resolve(1);
    },
    eval: () => Promise.resolve(1),
  } as unknown as RedisCommands;
  const script = luaScript('return 1');
  await expect(runLua(client, script, [appKeys('a').seen, appKeys('b').seen], [])).rejects.toThrow(
    "a script's keys must share one hash tag, got {a}, {b}",
  );
  expect(sent).toEqual([]);
  await expect(runLua(client, script, [appKeys('a').seen, appKeys('a').leader], [])).resolves.toBe(1);
  expect(sent).toEqual([script.sha1]);
});
