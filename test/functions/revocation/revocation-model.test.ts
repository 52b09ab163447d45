/**
 * The production store held to the model of `revocation-history.ts`, with its adversary (any
 * token, any refresh token) and its invariants, over many histories: the logout's core and the
 * store on the in-memory table (`store-system.ts`), its stream through the publisher to the
 * docs' receiver, so each history runs in milliseconds. `revocation-conformance.test.ts` holds
 * the deployed code, on dynalite, to the same model. FC_SEED and FC_RUNS replay or widen a run;
 * a failure prints its seed.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { expect, it } from "vitest";
import { logOut } from "../../../functions/core/logout.js";
import {
  LogoutInProgressError,
  RevocationStoreUnavailableError,
  TokenRevokedError,
} from "../../../functions/domain/errors.js";
import type { LogoutScope } from "../../../functions/domain/ports.js";
import { VerifiedToken } from "../../../functions/domain/verified-token.js";
import { createStoreOnTable } from "../../../functions/revocation/revocation-store.js";
import { type Fault, MemoryTable } from "../../support/memory-table.js";
import {
  type HistoryOptions,
  LAG,
  MAX_LIFETIME,
  MAX_SESSION,
  REFRESH_OUTLIVES_GLOBAL,
  REPRODUCTIONS,
  REVOKED,
  runHistory,
  type Step,
  step,
} from "../../support/revocation-history.js";
import { createStoreSystem } from "../../support/store-system.js";

const seed = Number(process.env.FC_SEED ?? 20261206);
const numRuns = Number(process.env.FC_RUNS ?? 400);
const STAGES = JSON.parse(readFileSync("cdk.json", "utf8")).context.stages as Record<
  string,
  { requireAuthTime?: boolean }
>;

const storeSystem = () =>
  createStoreSystem(
    {
      maxSessionSeconds: MAX_SESSION,
      maxTokenLifetimeSeconds: MAX_LIFETIME,
      issuerClockLagMs: LAG * 1000,
    },
    REVOKED,
  );

const check = (options: HistoryOptions, runs: number) =>
  fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 40, size: "max" }), (steps) =>
      storeSystem().then((system) => runHistory(steps, system, 1_800_000_000, options)),
    ),
    { seed, numRuns: runs, examples: REPRODUCTIONS.map((steps) => [steps] as [Step[]]) },
  );

it.each(Object.keys(STAGES))(
  `the store keeps every promise for the tokens the %s stage accepts (seed ${seed})`,
  async (stage) => {
    await check({ requireAuthTime: STAGES[stage]?.requireAuthTime === true }, numRuns);
  },
  120_000,
);

it(`a stage that accepts tokens without auth_time keeps every promise but one (seed ${seed})`, async () => {
  await check({ requireAuthTime: false, globalEndsOlderSessions: false }, Math.ceil(numRuns / 3));
}, 120_000);

it("the model catches that one on such a stage: a refreshed token outlives the owner's global", async () => {
  const history = async (options: HistoryOptions) =>
    runHistory(REFRESH_OUTLIVES_GLOBAL, await storeSystem(), 1_800_000_000, options);
  await expect(history({ requireAuthTime: false, globalEndsOlderSessions: true })).rejects.toThrow(
    /is accepted after the global of/,
  );
  // Control: where the stage requires auth_time, the thief's refreshed token is refused.
  await expect(history({ requireAuthTime: true })).resolves.toBeUndefined();
});

it("under table faults: no logout reported done unrecorded, no check letting a revoked token by", async () => {
  const fault = fc.constantFrom<Fault | undefined>(undefined, undefined, "before", "after");
  await fc.assert(
    fc.asyncProperty(
      fc.array(fault, { minLength: 1, maxLength: 12 }),
      fc.constantFrom<LogoutScope>("local", "global"),
      async (faults, scope) => {
        const table = new MemoryTable();
        let now = 1_800_000_000;
        const store = createStoreOnTable(
          table,
          {
            maxSessionSeconds: MAX_SESSION,
            maxTokenLifetimeSeconds: MAX_LIFETIME,
            issuerClockLagMs: LAG * 1000,
          },
          {
            now: () => now,
            sleepUntil: async (until) => {
              now = Math.max(now, until);
            },
          },
        );
        const claims = {
          iss: "https://issuer.example",
          sub: "alice",
          sid: "s1",
          auth_time: now - 10,
          iat: now - 10,
          exp: now + 100,
        };
        const token = new VerifiedToken("h.p.s", { ...claims, jti: "t1" });
        const sibling = new VerifiedToken("h.q.s", { ...claims, jti: "t2" });
        let call = 0;
        table.fault = () => faults[call++ % faults.length];
        // A client retrying its logout with one Idempotency-Key until it is answered 200.
        let answered = false;
        for (let attempt = 0; attempt < 5 && !answered; attempt++) {
          try {
            await logOut(
              token,
              { scope, refreshToken: undefined, idempotencyKey: "k" },
              { revocations: store, upstream: undefined },
            );
            answered = true;
          } catch (error) {
            // Busy: its own first request is still waiting to answer; the client waits as told.
            if (error instanceof LogoutInProgressError) now += error.retryAfterSeconds;
            else expect(error).toBeInstanceOf(RevocationStoreUnavailableError);
          }
        }
        // The check, still under faults: refuses or cannot decide, never accepts a revoked token.
        for (let attempt = 0; attempt < 3; attempt++) {
          const checked = await store.assertNotRevoked(sibling).then(
            () => "accepted",
            (error: Error) => error.name,
          );
          if (answered) expect(checked).not.toBe("accepted");
          expect(["accepted", "TokenRevokedError", "RevocationStoreUnavailableError"]).toContain(
            checked,
          );
        }
        table.fault = () => undefined;
        if (answered)
          await expect(store.assertNotRevoked(sibling)).rejects.toThrow(TokenRevokedError);
      },
    ),
    { seed, numRuns: 300 },
  );
});
