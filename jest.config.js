const serial = process.env.JUNCTION_TEST_SERIAL === '1';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/gateway', '<rootDir>/subgraphs', '<rootDir>/test'],
  // `*.serial.test.ts` measure the gateway's latency (its event loop): they run after the others,
  // alone (`npm test` runs jest twice), so that the suite's own load on the cores is not measured.
  testMatch: serial ? ['**/test/**/*.serial.test.ts'] : ['**/__tests__/**/*.test.ts', '**/test/**/*.test.ts'],
  testPathIgnorePatterns: serial ? ['/node_modules/'] : ['/node_modules/', '\\.serial\\.test\\.ts$'],
  transform: {
    // isolatedModules: type-checking is `npm run typecheck`'s job; per-file transpiling keeps the suite fast.
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 30000,
  // One test file per core: every server a test starts listens on a free port, so files run side by side.
  maxWorkers: serial ? 1 : 2,
};
