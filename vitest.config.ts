import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'renderer/src/**/*.test.ts'],
    // Results cache and saved sessions in a temporary folder (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: run test files one or two at a time so timings stay sane.
    maxWorkers: 2,
    // The JSON report feeds the one-line summary .ci/run prints (scripts/test-summary.js).
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
