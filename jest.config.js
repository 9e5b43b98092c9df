/**
 * Three tiers, by what a test touches (`npm run test:unit` runs the first alone; `npm test` all):
 * - unit: pure code, no sockets, no child processes, no Redis (test/unit);
 * - integration: sockets, a real redis-server per file, local tools such as promtool, the code
 *   in-process (test/integration, test/contract, test/fuzz);
 * - e2e: the built processes (dist/), whose freshness globalSetup checks first (test/e2e,
 *   test/chaos).
 * @type {import('jest').Config}
 */
const shared = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  // Sources are TypeScript: a stray compiled .js beside one must not be loaded instead.
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit'] },
    {
      ...shared,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration', '<rootDir>/test/contract', '<rootDir>/test/fuzz'],
    },
    {
      ...shared,
      displayName: 'e2e',
      roots: ['<rootDir>/test/e2e', '<rootDir>/test/chaos'],
      globalSetup: '<rootDir>/test/support/dist-fresh.ts',
    },
  ],
  // Real redis-server and real processes: give slow CI machines room.
  testTimeout: 60000,
  // Two cores: more workers only contend for them.
  maxWorkers: 2,
};
