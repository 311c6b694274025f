/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: [
    '<rootDir>/shared',
    '<rootDir>/services',
    '<rootDir>/cli',
    '<rootDir>/test',
    '<rootDir>/infra',
    '<rootDir>/dashboard/src',
  ],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
  globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
  testTimeout: 120_000,
  maxWorkers: 2,
};
