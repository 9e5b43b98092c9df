/**
 * The import rules of eslint.config.js hold the architecture: the reconciler and its model are
 * pure, the agent never reaches into the aggregator nor loads zod, shared/ imports neither side.
 * Each rule is tried on a deliberate violation, linted as if it were a file of that folder.
 */
import { ESLint } from 'eslint';
import path from 'node:path';
import { REPO_ROOT } from '../support/spawn';

// The project's own config, handed over as it is: ESLint would load the file by a dynamic
// import(), which jest's VM does not allow.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require(path.join(REPO_ROOT, 'eslint.config.js')) as ESLint.Options['overrideConfig'];
const eslint = new ESLint({ cwd: REPO_ROOT, overrideConfigFile: true, overrideConfig: config });

async function restrictedImports(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO_ROOT, file) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')
    .map((m) => m.message);
}

test.each([
  [
    'aggregator/reconcile/x.ts',
    "import { RedisCollector } from '../collector/redis-collector';",
    /pure|depend on no other part/,
  ],
  [
    'aggregator/reconcile/findings/x.ts',
    "import type { PlatformSource } from '../../platform/source';",
    /model/,
  ],
  ['aggregator/reconcile/x.ts', "import { createClient } from 'redis';", /no I\/O/],
  ['aggregator/reconcile/x.ts', "import { request } from 'undici';", /no I\/O/],
  ['aggregator/reconcile/x.ts', "import { createRedisClient } from '../../shared/redis-client';", /no Redis/],
  ['aggregator/model/x.ts', "import { openApiDocument } from '../http/openapi';", /depend on no other part/],
  ['agent/x.ts', "import { reconcile } from '../aggregator/reconcile';", /never imports the aggregator/],
  ['agent/transport/x.ts', "import { z } from 'zod';", /never loads zod/],
  ['agent/x.ts', "import { parseHeartbeat } from '../shared/heartbeat';", /loads zod/],
  ['shared/x.ts', "import { startAgent } from '../agent/app';", /imports neither/],
  ['shared/x.ts', "import type { Report } from '../aggregator/reconcile/report';", /imports neither/],
])('%s: `%s` is refused', async (file, code, message) => {
  const messages = await restrictedImports(file, code);
  expect(messages).toHaveLength(1);
  expect(messages[0]).toMatch(message);
});

test.each([
  ['aggregator/reconcile/x.ts', "import type { PlatformView } from '../model';"],
  ['aggregator/reconcile/x.ts', "import type { Heartbeat } from '../../shared/heartbeat';"],
  ['agent/x.ts', "import type { Heartbeat } from '../shared/heartbeat';"],
  ['agent/x.ts', "import type { ZodType } from 'zod';"],
  ['aggregator/collector/x.ts', "import { createRedisClient } from '../../shared/redis-client';"],
])('%s: `%s` is allowed', async (file, code) => {
  expect(await restrictedImports(file, code)).toEqual([]);
});
