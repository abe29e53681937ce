import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Timeouts catch hangs, not slowness: end-to-end tests (subprocesses, tsc, registries) on a loaded 2-core machine
    // take several times their idle duration, and speed is measured by `npm run bench`, never by a test.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Two cores: keep file-level parallelism modest so servers started by tests don't starve.
    maxWorkers: 2,
  },
});
