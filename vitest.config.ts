import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // two cores here and in CI: keep the pool small so socket tests are not starved
    pool: 'forks',
    maxWorkers: 2,
  },
});
