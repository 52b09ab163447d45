/**
 * The revocation rules held to the model of `revocation-history.ts`, with its adversary (any
 * token, any refresh token) and its invariants, over many histories: the rules alone
 * (`rules-system.ts`), so each history runs in microseconds. `revocation-conformance.test.ts`
 * holds the deployed code to the same model. FC_SEED and FC_RUNS replay or widen a run; a
 * failure prints its seed.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { expect, it } from "vitest";
import {
  type HistoryOptions,
  LAG,
  MAX_LIFETIME,
  MAX_SESSION,
  REFRESH_OUTLIVES_GLOBAL,
  REPRODUCTIONS,
  runHistory,
  type Step,
  step,
} from "../../support/revocation-history.js";
import { createRulesSystem } from "../../support/rules-system.js";

const seed = Number(process.env.FC_SEED ?? 20261206);
const numRuns = Number(process.env.FC_RUNS ?? 1500);
const STAGES = JSON.parse(readFileSync("cdk.json", "utf8")).context.stages as Record<
  string,
  { requireAuthTime?: boolean }
>;

const rulesSystem = () =>
  createRulesSystem({
    maxSessionSeconds: MAX_SESSION,
    maxTokenLifetimeSeconds: MAX_LIFETIME,
    issuerClockLagSeconds: LAG,
  });

const check = (options: HistoryOptions, runs: number) =>
  fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 40, size: "max" }), (steps) =>
      runHistory(steps, rulesSystem(), 1_800_000_000, options),
    ),
    { seed, numRuns: runs, examples: REPRODUCTIONS.map((steps) => [steps] as [Step[]]) },
  );

it.each(Object.keys(STAGES))(
  `the rules keep every promise for the tokens the %s stage accepts (seed ${seed})`,
  async (stage) => {
    await check({ requireAuthTime: STAGES[stage]?.requireAuthTime === true }, numRuns);
  },
  120_000,
);

it(`a stage that accepts tokens without auth_time keeps every promise but one (seed ${seed})`, async () => {
  await check({ requireAuthTime: false, globalEndsOlderSessions: false }, numRuns / 3);
}, 120_000);

it("the model catches that one on such a stage: a refreshed token outlives the owner's global", async () => {
  const history = (options: HistoryOptions) =>
    runHistory(REFRESH_OUTLIVES_GLOBAL, rulesSystem(), 1_800_000_000, options);
  await expect(history({ requireAuthTime: false, globalEndsOlderSessions: true })).rejects.toThrow(
    /is accepted after the global of/,
  );
  // Control: where the stage requires auth_time, the thief's refreshed token is refused.
  await expect(history({ requireAuthTime: true })).resolves.toBeUndefined();
});
