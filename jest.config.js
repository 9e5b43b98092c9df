/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // Real redis-server and real processes: give slow CI machines room.
  testTimeout: 60000,
  // Two cores: more workers only contend for them.
  maxWorkers: 2,
};
