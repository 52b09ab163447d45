import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/support/quiet-bundling.ts"],
    testTimeout: 20_000,
    // Vitest keeps one core free by default, which on a 2-core machine runs the files one after
    // another; much of their time is waiting (servers, child processes): three at once keep both
    // cores busy (npm test: 102 s of suites with one worker, 66 s with three).
    maxWorkers: 3,
    hookTimeout: 60_000,
  },
});
