import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'data/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits on real servers and a real browser: 1 s (the default) is too short on a busy machine
    expect: { poll: { timeout: 10_000, interval: 100 } },
    pool: 'forks',
    // Integration suites start their own servers on free ports; two at a time fits 2 cores.
    maxWorkers: 2,
  },
});
