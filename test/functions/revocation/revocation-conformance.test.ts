/**
 * The deployed code held to the model of `revocation-history.ts`: the logout handler, the
 * reusable check and the authorizer, on the real verifier and the real store against dynalite,
 * with real signed tokens. Fewer histories than the pure run (each step is real requests): it
 * keeps the adapter honest, the reproductions first. Time is the fixture's pinned clock, which
 * the store and the verifiers read; a revocation's wait moves it instead of waiting.
 *
 * After every step the table's change records go to the real publisher of revocation events,
 * and its events to the receiver the events guide gives (`docs/revocation-receiver.ts`, imported
 * as it is): every token the API accepted when it was minted opened a
 * connection, and after every step the receiver has closed exactly the connections whose token
 * the API now refuses as revoked. The stream redelivers (every third step, all it delivered
 * before), and the events arrive in no fixed order; every event must match the schema.
 * FC_SEED and FC_RUNS replay or widen a run; a failure prints its seed.
 */
import type { DynamoDBRecord } from "aws-lambda";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { captureOutput } from "../../support/captured-output.js";
import { type EventPipeline, startEventPipeline } from "../../support/event-pipeline.js";
import { validSessionRevoked } from "../../support/event-schema.js";
import { httpApiAuthorizerEvent, lambdaContext } from "../../support/kit.js";
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
import { ReceiverHarness } from "../../support/revocation-receiver.js";
import { providerSignOutOn } from "../../support/store-system.js";

captureOutput();
let fixture: RevocationFixture;
let events: EventPipeline;
let receiver: ReceiverHarness;
/** Every record the stream delivered, for its redeliveries. */
const delivered: DynamoDBRecord[] = [];
let steps = 0;

beforeAll(async () => {
  fixture = await startRevocationFixture({
    maxTokenLifetimeSeconds: MAX_LIFETIME,
    maxSessionSeconds: MAX_SESSION,
    issuerClockLagMs: LAG * 1000,
    // As both stages ship: tokens without auth_time are refused at the verifier.
    requireAuthTime: true,
  });
  events = await startEventPipeline(fixture);
  receiver = await ReceiverHarness.start(REVOKED);
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
  async operator(issuer, sub) {
    const iss = (issuer === 0 ? fixture.identity : fixture.partner).issuer;
    await fixture.store.revokeUser({ iss, sub }, `operator:${crypto.randomUUID()}`, "history");
  },
  provider: (issuer, signOut) =>
    providerSignOutOn(
      fixture.store,
      (issuer === 0 ? fixture.identity : fixture.partner).issuer,
      signOut,
    ),
  minted: (token, accepted) => receiver.minted(token, accepted),
  async afterStep(answers) {
    const fresh = fixture.stream.take();
    // Every third step the stream delivers again all it delivered before (a shard's retry).
    const redelivered = ++steps % 3 === 0 ? [...delivered] : [];
    delivered.push(...fresh);
    expect(await events.deliver([...redelivered, ...fresh])).toEqual({ batchItemFailures: [] });
    const details = events.takeAccepted();
    for (const detail of details) {
      expect(validSessionRevoked(detail), JSON.stringify(detail)).toBe(true);
    }
    await receiver.deliver(details);
    expect(receiver.mismatches(answers)).toEqual([]);
  },
};

const seed = Number(process.env.FC_SEED ?? 20261206);
const numRuns = Number(process.env.FC_RUNS ?? 30);

it(`the logout, the check and the authorizer agree with the model after every step (seed ${seed})`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 30, size: "max" }), (steps) => {
      fixture.clock.pinned = undefined;
      return runHistory(steps, deployed, fixture.now() - 100);
    }),
    { seed, numRuns, examples: REPRODUCTIONS.map((steps) => [steps] as [typeof steps]) },
  );
}, 180_000);

it("the histories published events of every scope and every subject (control)", () => {
  const revocations = events.accepted().map((entry) => JSON.parse(entry.Detail).revocation);
  expect(new Set(revocations.map((each) => each.scope))).toEqual(
    new Set(["local", "global", "others", "operator", "provider"]),
  );
  const named = (field: string) => revocations.some((each) => each[field] !== undefined);
  expect(["session", "jti", "token_sha256"].filter(named)).toEqual([
    "session",
    "jti",
    "token_sha256",
  ]);
});
