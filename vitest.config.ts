import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/support/quiet-bundling.ts"],
    globalSetup: ["test/support/temporary-folder.ts"],
    testTimeout: 20_000,
    // Vitest keeps one core free by default, which on a 2-core machine runs the files one after
    // another; much of their time is waiting (servers, child processes): three at once keep both
    // cores busy (the suites: 102 s with one worker, 68 s with three).
    maxWorkers: 3,
    // A worker's files share its module cache: aws-cdk-lib and the AWS SDK are loaded once per
    // worker rather than per file (the suites: 68 s, 61 s without). No suite relies on a fresh
    // module: each starts its own servers and stubs, and none keeps state in a shared module.
    isolate: false,
    hookTimeout: 60_000,
    // The sandbox stage pages nobody (cdk.json names no address): every synth of it says so,
    // once per test that synthesizes it. The warning is tested where it is made
    // (logout-stack.test.ts); elsewhere it is noise.
    onConsoleLog: (log) => !log.includes("rinne:alarmsReachNobody"),
  },
});
