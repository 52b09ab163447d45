/**
 * Every revocation that took effect is an event on the bus, none lost and none invented, end to
 * end on this machine: the real logout and store against dynalite, the table's change records
 * from the real writes (`scripts/table-stream.ts`), the real publisher, an EventBridge stand-in.
 * The model-based run (`revocation-conformance.test.ts`) holds a receiver of these events to the
 * API's own check over random histories; this file covers what those histories do not: the
 * operator, a writer that dies, a bus that fails, unreadable records, token material.
 */
import { createHash } from "node:crypto";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_SESSION_SECONDS,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
} from "../../../functions/config/config.js";
import { redactTokenLike } from "../../../functions/domain/log-schema.js";
import { eventBridgeBus } from "../../../functions/events/eventbridge-bus.js";
import {
  CAEP_SESSION_REVOKED,
  DETAIL_TYPE,
  EVENT_SOURCE,
  SESSIONS_REVOKED_BEFORE,
  type SessionRevokedDetail,
} from "../../../functions/events/session-revoked.js";
import { createRevocationStore } from "../../../functions/revocation/revocation-store.js";
import {
  PARKED_WINDOW_MARGIN_MS,
  problemOf,
  republish,
  windowOf,
} from "../../../scripts/republish-revocation-events.js";
import { captureOutput } from "../../support/captured-output.js";
import {
  type EventPipeline,
  pollAsLambda,
  putEventsAnswer,
  startEventPipeline,
  TEST_BUS,
} from "../../support/event-pipeline.js";
import { validSessionRevoked } from "../../support/event-schema.js";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../support/kit.js";
import { eventFor } from "../../support/logout-app.js";
import {
  type RevocationFixture,
  startRevocationFixture,
} from "../../support/revocation-fixture.js";

const output = captureOutput();
let fixture: RevocationFixture;
let events: EventPipeline;
/** Every token a test minted, and every log line: no part of the one may be in the other. */
const minted: string[] = [];
const logged: string[] = [];
afterEach(() => {
  logged.push(output.text());
});

beforeAll(async () => {
  fixture = await startRevocationFixture();
  events = await startEventPipeline(fixture);
});
afterAll(async () => {
  await events.stop();
  await fixture.stop();
});
beforeEach(async () => {
  // Each test starts from a drained stream and an answering bus.
  await events.deliver();
  events.takeAccepted();
  events.bus.answer("PutEvents", putEventsAnswer());
});

const newUser = () => `events-${crypto.randomUUID()}`;
async function token(sub: string, claims: Record<string, unknown> = {}) {
  const text = await fixture.identity.mint("valid", {
    sub,
    origin_jti: crypto.randomUUID(),
    auth_time: fixture.now() - 60,
    ...claims,
  });
  minted.push(text);
  return text;
}
const logout = (text: string, scope = "local", key?: string) =>
  fixture.logout.invoke(
    eventFor("v2", {
      authorization: [`Bearer ${text}`],
      query: `scope=${scope}`,
      ...(key ? { headers: { "Idempotency-Key": key } } : {}),
    }),
  );
/** Hands the stream's new records to the publisher: the events the bus took. */
async function published(): Promise<SessionRevokedDetail[]> {
  expect(await events.deliver()).toEqual({ batchItemFailures: [] });
  const details = events.takeAccepted();
  for (const detail of details) expect(validSessionRevoked(detail)).toBe(true);
  return details;
}
/** The event's one SET event: CAEP's for a session, this API's for a user-wide revocation. */
const payload = (detail: SessionRevokedDetail) =>
  (detail.events as Record<string, { event_timestamp: number; initiating_entity: string }>)[
    detail.revocation.scope === "local" ? CAEP_SESSION_REVOKED : SESSIONS_REVOKED_BEFORE
  ] as { event_timestamp: number; initiating_entity: string; revoked_before?: number };
/** A local event's subject, as SSF's complex subject. */
const subject = (detail: SessionRevokedDetail | undefined) =>
  detail?.sub_id as { user?: object; session?: { format: string; id?: string; jti?: string } };

describe("an event for every revocation that took effect", () => {
  it("a local logout: the session, under each id the token carried", async () => {
    const sub = newUser();
    const text = await token(sub, { sid: "oidc-session-1" });
    expect((await logout(text)).statusCode).toBe(200);
    const details = await published();
    const { origin_jti: originJti } = decodeJwt(text);
    expect(details.map((detail) => subject(detail).session?.id).sort()).toEqual(
      [originJti, "oidc-session-1"].sort(),
    );
    expect(details.map((detail) => detail.revocation.session).sort()).toEqual(
      [originJti, "oidc-session-1"].sort(),
    );
    // One logout: one transaction (RFC 8417's txn), two events.
    expect(new Set(details.map((detail) => detail.txn)).size).toBe(1);
    expect(details[0]?.txn).toMatch(/^[\w-]{43}$/);
    for (const detail of details) {
      expect(subject(detail).user).toEqual({
        format: "iss_sub",
        iss: fixture.identity.issuer,
        sub,
      });
      expect(payload(detail).initiating_entity).toBe("user");
      expect(detail.revocation).toMatchObject({ scope: "local", iss: fixture.identity.issuer });
      expect(Math.abs(payload(detail).event_timestamp - fixture.now())).toBeLessThanOrEqual(2);
    }
    const entry = events.accepted().at(-1);
    expect(entry).toMatchObject({ Source: EVENT_SOURCE, DetailType: DETAIL_TYPE });
    expect(entry?.EventBusName).toBe(TEST_BUS);
  });

  it("a token of an issuer that names no session: the token, by its jti", async () => {
    const text = await token(newUser(), { origin_jti: undefined, jti: "token-7" });
    expect((await logout(text)).statusCode).toBe(200);
    const [detail, ...more] = await published();
    expect(more).toEqual([]);
    expect(subject(detail).session).toEqual({
      format: "jwt_id",
      iss: fixture.identity.issuer,
      jti: "token-7",
    });
    expect(detail?.revocation.jti).toBe("token-7");
    expect(detail?.revocation.session).toBeUndefined();
  });

  it("a token with neither a session nor a jti: by the digest of what its signature covers", async () => {
    const sub = newUser();
    const text = await token(sub, { origin_jti: undefined, jti: undefined });
    expect((await logout(text)).statusCode).toBe(200);
    const [detail, ...more] = await published();
    expect(more).toEqual([]);
    const digest = createHash("sha256")
      .update(text.slice(0, text.lastIndexOf(".")))
      .digest("base64url");
    expect(detail?.revocation).toMatchObject({ token_sha256: digest, sub });
    expect(subject(detail)).toEqual({
      format: "complex",
      user: { format: "iss_sub", iss: fixture.identity.issuer, sub },
      session: { format: "opaque", id: digest },
    });
  });

  it("global and others: the user, every session begun at or before the instant", async () => {
    const sub = newUser();
    const start = fixture.now() - 30;
    const old = await token(sub, { auth_time: start - 100 });
    const current = await token(sub, { auth_time: start });
    expect((await logout(current, "others")).statusCode).toBe(200);
    const [others] = await published();
    // Not CAEP's session-revoked: its user-only subject would mean every session.
    expect(others?.sub_id).toEqual({ format: "iss_sub", iss: fixture.identity.issuer, sub });
    expect(Object.keys(others?.events ?? {})).toEqual([SESSIONS_REVOKED_BEFORE]);
    expect(others?.revocation).toMatchObject({ scope: "others", revoked_before: start - 1, sub });
    // When it happened, not the instant it reaches back to.
    const { event_timestamp: at, revoked_before: before } = payload(others as SessionRevokedDetail);
    expect(Math.abs(at - fixture.now())).toBeLessThanOrEqual(2);
    expect(before).toBe(start - 1);

    expect((await logout(current, "global")).statusCode).toBe(200);
    const [global, ...more] = await published();
    expect(more).toEqual([]);
    expect(global?.revocation.scope).toBe("global");
    expect(global?.revocation.revoked_before).toBeGreaterThan(start);
    // One user's events in the order they were written, by what they carry.
    expect(global?.revocation.recorded_at).toBeGreaterThan(
      others?.revocation.recorded_at as number,
    );
    expect((await logout(old)).statusCode).toBe(401);
  });

  it("the operator's sign-out: initiated by an admin, with the reason as logged", async () => {
    const sub = newUser();
    const reason = `INC-42 account takeover, pasted ${await token(sub)}`;
    await fixture.store.revokeUser(
      { iss: fixture.identity.issuer, sub },
      `operator:${crypto.randomUUID()}`,
      redactTokenLike(reason),
    );
    const [detail] = await published();
    expect(payload(detail as SessionRevokedDetail)).toMatchObject({
      initiating_entity: "admin",
      reason_admin: { en: "INC-42 account takeover, pasted [redacted]" },
    });
    expect(detail?.revocation.scope).toBe("operator");
  });
});

it("a local logout of a session a global covers: its event, for the session's later tokens", async () => {
  const sub = newUser();
  const session = crypto.randomUUID();
  const text = await token(sub, { sid: session, origin_jti: undefined });
  expect((await logout(await token(sub), "global")).statusCode).toBe(200);
  expect(await published()).toHaveLength(1);
  expect((await logout(text)).statusCode).toBe(401);
  const [detail, ...more] = await published();
  expect(more).toEqual([]);
  expect(detail?.revocation).toMatchObject({ scope: "local", session });
  // A step-up re-authentication: the same session, begun again after the global. Refused.
  fixture.clock.offsetSeconds += 2;
  const stepUp = await token(sub, {
    sid: session,
    origin_jti: undefined,
    auth_time: fixture.now(),
  });
  expect((await logout(stepUp)).statusCode).toBe(401);
});

describe("nothing for what revoked nothing new", () => {
  it("replays of each scope, and others said again", async () => {
    const sub = newUser();
    const first = await token(sub);
    expect((await logout(first, "global", "g1")).statusCode).toBe(200);
    fixture.clock.offsetSeconds += 2;
    const later = await token(sub, { auth_time: fixture.now(), iat: fixture.now() });
    expect((await logout(later, "others", "o1")).statusCode).toBe(200);
    const scopes = (await published()).map((detail) => detail.revocation.scope);
    expect(scopes).toEqual(["global", "others"]);

    expect((await logout(later, "others", "o2")).statusCode).toBe(200);
    expect((await logout(first, "global", "g1")).statusCode).toBe(200);
    expect(await published()).toEqual([]);

    const device = await token(sub, { auth_time: fixture.now(), iat: fixture.now() });
    expect((await logout(device, "local", "l1")).statusCode).toBe(200);
    expect(await published()).toHaveLength(1);
    expect((await logout(device, "local", "l1")).statusCode).toBe(200);
    expect(await published()).toEqual([]);
  });

  it("a sign-out in the second of the one before: the item rewritten, no event", async () => {
    const sub = newUser();
    const second = Math.floor(Date.now() / 1000);
    fixture.clock.pinned = second + 0.1;
    try {
      expect((await logout(await token(sub), "global")).statusCode).toBe(200);
      expect(await published()).toHaveLength(1);
      // An operator, in the same second: every session up to it is revoked already.
      fixture.clock.pinned = second + 0.3;
      await fixture.store.revokeUser({ iss: fixture.identity.issuer, sub }, "operator:same");
      expect(fixture.stream.records.at(-1)?.eventName).toBe("MODIFY");
      expect(await published()).toEqual([]);
    } finally {
      fixture.clock.pinned = undefined;
    }
  });
});

describe("none lost", () => {
  it("a writer that dies after its write: the revocation is published", async () => {
    const sub = newUser();
    const dying = createRevocationStore(
      fixture.client,
      {
        tableName: fixture.tableName,
        maxSessionSeconds: DEFAULT_MAX_SESSION_SECONDS,
        maxTokenLifetimeSeconds: DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
        issuerClockLagMs: 500,
      },
      {
        now: () => Date.now() / 1000,
        sleepUntil: () => Promise.reject(new Error("the function was stopped")),
      },
    );
    await expect(
      dying.revokeUser({ iss: fixture.identity.issuer, sub }, "operator:dies"),
    ).rejects.toThrow("stopped");
    const [detail] = await published();
    expect(detail?.revocation.sub).toBe(sub);

    // A local logout whose every answer is lost: a 503 to the client, the write landed.
    fixture.proxy.loseAnswers("PutItem", 3);
    expect((await logout(await token(newUser()))).statusCode).toBe(503);
    expect(await published()).toHaveLength(1);
  });

  it("a PutEvents that fails in part: the refused entries again, one id each", async () => {
    const texts = await Promise.all([1, 2, 3].map(() => token(newUser())));
    for (const text of texts) await logout(text);
    events.bus.answer(
      "PutEvents",
      putEventsAnswer((index) => index === 1, "ThrottlingException"),
      putEventsAnswer(),
    );
    const details = await published();
    expect(details).toHaveLength(3);
    expect(new Set(details.map((detail) => detail.id)).size).toBe(3);
    const tried = events.bus.requests.slice(-2).map(({ body }) => body.Entries as unknown[]);
    expect(tried.map((entries) => entries.length)).toEqual([3, 1]);
    expect(tried[1]?.[0]).toEqual(tried[0]?.[1]);
  });

  it("a PutEvents that keeps failing: the first failed record again, then parked", async () => {
    const texts = await Promise.all([1, 2].map(() => token(newUser())));
    for (const text of texts) await logout(text);
    const records = fixture.stream.take();
    // The first call takes the first entry; every try after it fails.
    events.bus.answer(
      "PutEvents",
      putEventsAnswer((index) => index === 1),
      putEventsAnswer(() => true),
    );
    const response = await events.handler({ Records: records });
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: records[1]?.dynamodb?.SequenceNumber },
    ]);
    const failedLine = output.lines().find((line) => line.level === "ERROR");
    expect(failedLine).toMatchObject({
      records: 2,
      published: 1,
      failures: { InternalFailure: 1 },
    });

    // Lambda delivers the failed record again, with its retries, then parks the batch.
    events.bus.answer(
      "PutEvents",
      putEventsAnswer(() => true),
    );
    const parked = await pollAsLambda(events.handler, records.slice(1), { retryAttempts: 2 });
    expect(parked).toEqual([
      {
        startSequenceNumber: records[1]?.dynamodb?.SequenceNumber,
        endSequenceNumber: records[1]?.dynamodb?.SequenceNumber,
        batchSize: 1,
      },
    ]);
    // Once the bus is back, a redrive publishes it under the id it was tried with.
    events.bus.answer("PutEvents", putEventsAnswer());
    const accepted = events.takeAccepted();
    expect(await pollAsLambda(events.handler, records.slice(1), { retryAttempts: 2 })).toEqual([]);
    const redriven = events.takeAccepted();
    expect(redriven).toHaveLength(1);
    const triedIds = events.bus.requests.flatMap(({ body }) =>
      ((body.Entries ?? []) as { Detail: string }[]).map((entry) => JSON.parse(entry.Detail).id),
    );
    expect(triedIds.filter((id) => id === redriven[0]?.id).length).toBeGreaterThan(1);
    expect(accepted.map((detail) => detail.id)).not.toContain(redriven[0]?.id);
  });

  it("a batch delivered twice: the same events, the same ids", async () => {
    await logout(await token(newUser()), "global");
    const records = fixture.stream.take();
    await events.handler({ Records: records });
    await events.handler({ Records: records });
    const [first, second] = events.takeAccepted();
    expect(second).toEqual(first);
  });

  it("an unreadable record is reported, never skipped; those before it are published", async () => {
    await logout(await token(newUser()));
    const [record] = fixture.stream.take();
    const withoutNotice = structuredClone(record) as NonNullable<typeof record>;
    const { notice: _notice, ...itemOfTheReleaseBefore } = withoutNotice.dynamodb?.NewImage ?? {};
    withoutNotice.dynamodb = {
      ...withoutNotice.dynamodb,
      NewImage: itemOfTheReleaseBefore,
      SequenceNumber: "unreadable-1",
    };
    const response = await events.handler({
      Records: [record as NonNullable<typeof record>, withoutNotice],
    });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "unreadable-1" }]);
    expect(events.takeAccepted()).toHaveLength(1);
  });
});

describe("republishing what was parked", () => {
  const bus = () =>
    eventBridgeBus(
      new EventBridgeClient({
        endpoint: events.bus.endpoint,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
      }),
      TEST_BUS,
    );
  /** The store's clock now, in ms: earlier tests moved it ahead of the system's. */
  const storeNowMs = () => Math.floor(fixture.now() * 1000);
  /** Lambda's on-failure message for a stream batch: its records' arrival, in whole seconds. */
  const parkedMessage = (first: number, last: number) => ({
    requestContext: { condition: "RetryAttemptsExhausted", approximateInvokeCount: 11 },
    DDBStreamBatchInfo: {
      shardId: "shardId-00000001",
      startSequenceNumber: "1",
      endSequenceNumber: "9",
      approximateArrivalOfFirstRecord: new Date(Math.floor(first / 1000) * 1000)
        .toISOString()
        .replace(".000", ""),
      approximateArrivalOfLastRecord: new Date(Math.floor(last / 1000) * 1000)
        .toISOString()
        .replace(".000", ""),
      batchSize: 2,
      streamArn: "arn:aws:dynamodb:sa-east-1:111111111111:table/t/stream/2026",
    },
  });

  it("from the dead-letter message as written: the same events, under their first ids", async () => {
    const writtenFrom = storeNowMs();
    await logout(await token(newUser()));
    await logout(await token(newUser()), "global");
    const writtenTo = storeNowMs();
    const first = await published();
    expect(first).toHaveLength(2);
    const result = await republish({
      dynamodb: fixture.client,
      tableName: fixture.tableName,
      bus: bus(),
      // Its times are whole seconds: the writes' milliseconds fall after them.
      ...windowOf({ message: parkedMessage(writtenFrom, writtenTo) }),
    });
    expect(result.published).toBeGreaterThanOrEqual(2);
    expect(problemOf(result)).toBeUndefined();
    const again = new Map(events.takeAccepted().map((detail) => [detail.id, detail]));
    for (const detail of first) expect(again.get(detail.id)).toEqual(detail);
  });

  it("an already announced revocation rewritten in its second: its first id, time and reason", async () => {
    const sub = newUser();
    const second = Math.floor(fixture.now());
    fixture.clock.pinned = second + 0.1;
    try {
      await fixture.store.revokeUser({ iss: fixture.identity.issuer, sub }, "operator:a", "INC-1");
      const [announced] = await published();
      fixture.clock.pinned = second + 0.6;
      await fixture.store.revokeUser({ iss: fixture.identity.issuer, sub }, "operator:b", "INC-2");
      expect(await published()).toEqual([]);
      await republish({
        dynamodb: fixture.client,
        tableName: fixture.tableName,
        bus: bus(),
        ...windowOf({ since: second * 1000, until: second * 1000 }),
      });
      const again = events.takeAccepted().filter((detail) => detail.revocation.sub === sub);
      expect(again).toEqual([announced]);
    } finally {
      fixture.clock.pinned = undefined;
    }
  });

  it("a window that holds nothing: said, and a failure", async () => {
    const result = await republish({
      dynamodb: fixture.client,
      tableName: fixture.tableName,
      bus: bus(),
      since: 1_000_000,
      until: 2_000_000,
    });
    expect(result).toEqual({ items: 0, published: 0, failures: {} });
    expect(problemOf(result)).toMatch(/No revocation was written in that window/);
    expect(problemOf({ items: 3, published: 2, failures: { ThrottlingException: 1 } })).toMatch(
      /not republished/,
    );
  });

  it("widens every window: whole seconds, and a minute each way around a parked batch", () => {
    expect(windowOf({ since: 1_000_400, until: 2_000_100 })).toEqual({
      since: 1_000_000,
      until: 2_000_999,
    });
    expect(windowOf({ message: parkedMessage(10_000_000, 20_000_000) })).toEqual({
      since: 10_000_000 - PARKED_WINDOW_MARGIN_MS,
      until: 20_000_000 + PARKED_WINDOW_MARGIN_MS + 999,
    });
    for (const message of [{}, { DDBStreamBatchInfo: {} }, null, "text"]) {
      expect(() => windowOf({ message })).toThrow(/DDBStreamBatchInfo/);
    }
  });
});

it("no event and no log line holds any part of a token", async () => {
  // Runs last: every token minted above, against every event and line written in this file's
  // tests (the log of this test's own logout included).
  const text = await token(newUser());
  await logout(text);
  await published();
  const written = `${JSON.stringify(events.bus.requests.map(({ body }) => body))}\n${logged.join("")}${output.text()}`;
  for (const each of minted) {
    const [, claims, signature] = each.split(".") as [string, string, string];
    for (const part of [claims, signature]) {
      for (let at = 0; at + 20 <= part.length; at += 10) {
        expect(written).not.toContain(part.slice(at, at + 20));
      }
    }
  }
  expect(events.accepted().length).toBeGreaterThan(5);
});
