/** Backend and scripts tests; the dashboard's run under vitest (npm run test:frontend). */
module.exports = {
  rootDir: '.',
  roots: ['<rootDir>/backend', '<rootDir>/scripts', '<rootDir>/e2e'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  modulePathIgnorePatterns: ['<rootDir>/dist', '<rootDir>/frontend'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  testEnvironment: 'node',
  globalSetup: '<rootDir>/backend/test/global-setup.ts',
  globalTeardown: '<rootDir>/backend/test/global-teardown.ts',
  cacheDirectory: '<rootDir>/.jest-cache',
  testTimeout: 120_000,
  maxWorkers: 2,
};
