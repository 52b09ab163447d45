/**
 * The deployed code held to the model of `revocation-history.ts`: the logout handler, the
 * reusable check and the authorizer, on the real verifier and the real store against dynalite,
 * with real signed tokens. Fewer histories than the pure run (each step is real requests): it
 * keeps the adapter honest, the reproductions first. Time is the fixture's pinned clock, which
 * the store and the verifiers read; a revocation's wait moves it instead of waiting.
 *
 * After every step the table's change records go to the real publisher of revocation events,
 * and its events to a receiver (`revocation-receiver.ts`): every event must change what the
 * receiver refuses (none for a replay, a no-op or a duplicate), every event must match the
 * published schema, and the receiver must refuse exactly the tokens the API refuses as revoked.
 * FC_SEED and FC_RUNS replay or widen a run; a failure prints its seed.
 */
import fc from "fast-check";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { httpApiAuthorizerEvent } from "../../../scripts/api-gateway-events.js";
import { lambdaContext } from "../../../scripts/lambda-context.js";
import { captureOutput } from "../../support/captured-output.js";
import { type EventPipeline, startEventPipeline } from "../../support/event-pipeline.js";
import { validSessionRevoked } from "../../support/event-schema.js";
import { eventFor } from "../../support/logout-app.js";
import {
  type RevocationFixture,
  startRevocationFixture,
} from "../../support/revocation-fixture.js";
import {
  LAG,
  MAX_LIFETIME,
  MAX_SESSION,
  REPRODUCTIONS,
  REVOKED,
  type RevocationSystem,
  runHistory,
  type Scope,
  step,
} from "../../support/revocation-history.js";
import { EventReceiver } from "../../support/revocation-receiver.js";

captureOutput();
let fixture: RevocationFixture;
let events: EventPipeline;
const receiver = new EventReceiver();

beforeAll(async () => {
  fixture = await startRevocationFixture({
    maxTokenLifetimeSeconds: MAX_LIFETIME,
    maxSessionSeconds: MAX_SESSION,
    issuerClockLagMs: LAG * 1000,
    // As both stages ship: tokens without auth_time are refused at the verifier.
    requireAuthTime: true,
  });
  events = await startEventPipeline(fixture);
});
afterAll(async () => {
  fixture.clock.pinned = undefined;
  await events.stop();
  await fixture.stop();
});

const bearer = (text: string, scope: Scope, key?: string) =>
  eventFor("v2", {
    authorization: [`Bearer ${text}`],
    query: `scope=${scope}`,
    ...(key === undefined ? {} : { headers: { "Idempotency-Key": key } }),
  });
const reasonOf = (response: { statusCode: number; body: string }): string | undefined =>
  response.statusCode === 200 ? undefined : JSON.parse(response.body).error?.details.reason;

const deployed: RevocationSystem = {
  verifies: true,
  setNow: (now) => {
    fixture.clock.pinned = now;
  },
  now: () => fixture.clock.pinned as number,
  mint: (issuer, claims) =>
    (issuer === 0 ? fixture.identity : fixture.partner).mint("valid", claims),
  logout: async (token, scope, key) =>
    reasonOf(await fixture.logout.invoke(bearer(token.text, scope, key))),
  async check(token) {
    const reason = reasonOf(await fixture.otherFunction(bearer(token.text, "local")));
    const decision = await fixture.authorizer(
      httpApiAuthorizerEvent({
        method: "GET",
        path: "/core/v1/example/protected",
        headers: { Authorization: `Bearer ${token.text}` },
      }),
      lambdaContext(),
    );
    expect(decision.isAuthorized, `the authorizer on ${token.jti}`).toBe(reason === undefined);
    return reason;
  },
  async afterStep(answers) {
    expect(await events.deliver()).toEqual({ batchItemFailures: [] });
    for (const detail of events.takeAccepted()) {
      expect(validSessionRevoked(detail), JSON.stringify(detail)).toBe(true);
      const what = `${detail.revocation.scope} event ${JSON.stringify(detail.sub_id)}`;
      expect(receiver.apply(detail), `${what} changes what a receiver refuses`).toBe(true);
    }
    for (const [token, reason] of answers) {
      // Refused for another reason (expired, too old): the events need not say it.
      if (reason !== undefined && reason !== REVOKED) continue;
      const refused = receiver.refuses(decodeJwt(token.text));
      expect(refused, `the receiver on ${token.jti} (${reason ?? "accepted"})`).toBe(
        reason === REVOKED,
      );
    }
  },
};

const seed = Number(process.env.FC_SEED ?? 20261206);
const numRuns = Number(process.env.FC_RUNS ?? 12);

it(`the logout, the check and the authorizer agree with the model after every step (seed ${seed})`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 30, size: "max" }), (steps) => {
      fixture.clock.pinned = undefined;
      return runHistory(steps, deployed, fixture.now() - 100);
    }),
    { seed, numRuns, examples: REPRODUCTIONS.map((steps) => [steps] as [typeof steps]) },
  );
}, 180_000);

it("the histories published events of every scope (control)", () => {
  const scopes = events.accepted().map((entry) => JSON.parse(entry.Detail).revocation.scope);
  expect(new Set(scopes)).toEqual(new Set(["local", "global", "others"]));
});
