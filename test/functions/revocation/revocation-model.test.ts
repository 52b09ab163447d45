/**
 * The revocation rules held to the model of `revocation-history.ts`, with its adversary and
 * its invariants, over many histories: the rules alone (`rules-system.ts`), so each history
 * runs in microseconds. `revocation-conformance.test.ts` holds the deployed code to the same
 * model. FC_SEED and FC_RUNS replay or widen a run; a failure prints its seed.
 */
import fc from "fast-check";
import { it } from "vitest";
import {
  LAG,
  MAX_LIFETIME,
  MAX_SESSION,
  REPRODUCTIONS,
  runHistory,
  step,
} from "../../support/revocation-history.js";
import { createRulesSystem } from "../../support/rules-system.js";

const seed = Number(process.env.FC_SEED ?? 20261206);
const numRuns = Number(process.env.FC_RUNS ?? 1500);

it(`the rules agree with the model after every step of every history (seed ${seed})`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 40, size: "max" }), (steps) =>
      runHistory(
        steps,
        createRulesSystem({
          maxSessionSeconds: MAX_SESSION,
          maxTokenLifetimeSeconds: MAX_LIFETIME,
          issuerClockLagSeconds: LAG,
        }),
        1_800_000_000,
      ),
    ),
    { seed, numRuns, examples: REPRODUCTIONS.map((steps) => [steps] as [typeof steps]) },
  );
}, 120_000);
