// The suites that exercise functions/, for mutation testing: the stack's synth and the local
// server's processes test other layers and would only slow every mutant down.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/functions/**/*.test.ts", "test/api/**/*.test.ts"],
    // On a real clock (seconds a run): its rules are held by the model and the unit tests.
    exclude: ["test/functions/revocation/revocation-capacity.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
