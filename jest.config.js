/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/gateway', '<rootDir>/test'],
  testMatch: ['**/__tests__/**/*.test.ts', '**/test/**/*.test.ts'],
  transform: {
    // isolatedModules: type-checking is `npm run typecheck`'s job; per-file transpiling keeps the suite fast.
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 30000,
  // One test file per core: every server a test starts listens on a free port, so files run side by side.
  maxWorkers: 2,
};
