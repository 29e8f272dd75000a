import { defineConfig } from 'vitest/config';

/**
 * Tests whose printed times are the issues' targets (the page's main-thread tasks, the report of
 * many classes): they run after all the others, one file at a time.
 */
const ALONE = ['test/e2e/many-classes.test.ts', 'test/report/many-classes.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: run test files one or two at a time so timings stay sane.
    maxWorkers: 2,
    // Results cache and saved sessions in a temporary folder (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    // The JSON report feeds the one-line summary .ci/run prints (scripts/test-summary.js).
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts', 'renderer/src/**/*.test.ts'],
          exclude: ALONE,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // A long-task budget (issue 13) means nothing while another test file shares the cores.
        extends: true,
        test: {
          name: 'alone',
          include: ALONE,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
