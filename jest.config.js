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
  // Integration tests start real servers; running files in one worker at a time keeps ports and CPU predictable on 2 cores.
  maxWorkers: 1,
};
