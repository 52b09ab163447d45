/**
 * The store fails closed: whatever DynamoDB answers that does not hold what was asked, and
 * whatever write keeps failing, no token is let through and no logout is reported as done.
 * Each path here is one the store would fail open on without its check.
 */
import fc from "fast-check";
import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type TokenClaims, VerifiedToken } from "../../../functions/domain/verified-token.js";
import { REMEMBERED_LOGOUTS } from "../../../functions/revocation/revocation-store.js";
import { sessionKeys, userKey } from "../../../functions/revocation/revocation-table.js";
import { captureOutput } from "../../support/captured-output.js";
import { httpApiAuthorizerEvent, lambdaContext } from "../../support/kit.js";
import { eventFor } from "../../support/logout-app.js";
import {
  type RevocationFixture,
  startRevocationFixture,
} from "../../support/revocation-fixture.js";

const output = captureOutput();
let fixture: RevocationFixture;

beforeAll(async () => {
  fixture = await startRevocationFixture();
});
afterAll(async () => {
  await fixture.stop();
});
afterEach(() => {
  fixture.proxy.rewrite("BatchGetItem", undefined);
  fixture.proxy.refuse("BatchGetItem", 0, "");
  fixture.proxy.refuse("PutItem", 0, "");
  fixture.proxy.throttle("PutItem", 0);
});

const now = () => fixture.now();
const bearer = (token: string, scope = "local") =>
  eventFor("v2", { authorization: [`Bearer ${token}`], query: `scope=${scope}` });
const logout = (token: string, scope = "local") => fixture.logout.invoke(bearer(token, scope));
const check = (token: string) => fixture.otherFunction(bearer(token));
const authorize = (token: string) =>
  fixture.authorizer(
    httpApiAuthorizerEvent({
      method: "GET",
      path: "/core/v1/example/protected",
      headers: { Authorization: `Bearer ${token}` },
    }),
    lambdaContext(),
  );
const reasonOf = (response: { body: string }) => JSON.parse(response.body).error?.details.reason;
/** The claims the verifier would let through, for computing a token's keys. */
const verified = (token: string) => new VerifiedToken(token, decodeJwt(token) as TokenClaims);
const user = () => `fail-closed-${crypto.randomUUID()}`;
/** Two sessions of one new user: the first began ten seconds after the second. */
async function sessions() {
  const sub = user();
  const mint = (ago: number) =>
    fixture.identity.mint("valid", {
      sub,
      iat: now() - ago,
      auth_time: now() - ago,
      origin_jti: crypto.randomUUID(),
    });
  return [await mint(10), await mint(20)] as const;
}
const keysOf = (token: string) => ({
  session: sessionKeys(verified(token))[0] as string,
  user: userKey(verified(token).claims) as string,
});

type Answer = Record<string, unknown>;
const tableOf = () => fixture.tableName;
const realItems = (answer: Answer) =>
  ((answer.Responses as Record<string, unknown[]> | undefined)?.[tableOf()] ?? []) as Answer[];

/** A 200 that does not hold what was asked: each is a way a proxy, a bug or a fault could answer. */
const hostileAnswer: fc.Arbitrary<{ name: string; rewrite: (answer: Answer) => unknown }> =
  fc.oneof(
    fc.constantFrom<unknown>({}, null, [], "", "Responses", 1, true).map((body) => ({
      name: `the body ${JSON.stringify(body)}`,
      rewrite: () => body,
    })),
    fc.constantFrom<unknown>(undefined, null, {}, [], "items", 0).map((responses) => ({
      name: `Responses ${JSON.stringify(responses)}`,
      rewrite: () => (responses === undefined ? { UnprocessedKeys: {} } : { Responses: responses }),
    })),
    fc.string({ minLength: 1, maxLength: 20 }).map((foreign) => ({
      name: "the items under another table",
      rewrite: (answer: Answer) => ({ Responses: { [`${foreign}-other`]: realItems(answer) } }),
    })),
    fc
      .constantFrom<unknown>(null, {}, "x", 1, [null], [1], [{}], [{ pk: { N: "1" } }])
      .map((items) => ({
        name: `the table's items ${JSON.stringify(items)}`,
        rewrite: () => ({ Responses: { [tableOf()]: items } }),
      })),
    fc.string({ minLength: 1, maxLength: 40 }).map((pk) => ({
      name: "an item that was not asked for",
      rewrite: (answer: Answer) => ({
        Responses: { [tableOf()]: [...realItems(answer), { pk: { S: `user#v2#${pk}` } }] },
      }),
    })),
    fc.constant({
      name: "an item twice",
      rewrite: (answer: Answer) => ({
        Responses: { [tableOf()]: [...realItems(answer), ...realItems(answer)] },
      }),
    }),
    fc.constantFrom<unknown>({ t: { Keys: [] } }, null, "x", []).map((unprocessed) => ({
      name: `UnprocessedKeys ${JSON.stringify(unprocessed)}`,
      rewrite: (answer: Answer) => ({ ...answer, UnprocessedKeys: unprocessed }),
    })),
    fc.constantFrom("expiresAt", "revokedBy", "revokedBefore", "version").chain((field) =>
      fc.constantFrom<unknown>(undefined, { S: "1" }, { N: "x" }, null).map((value) => ({
        name: `every item's ${field} as ${JSON.stringify(value)}`,
        rewrite: (answer: Answer) => ({
          Responses: {
            [tableOf()]: realItems(answer).map((item) =>
              field in item ? { ...item, [field]: value } : item,
            ),
          },
        }),
      })),
    ),
  );

describe("an answer that does not hold what was asked", () => {
  it("never lets a token through, nor refuses one for it, nor records a logout as done (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileAnswer,
        fc.constantFrom("clean", "revoked-session", "revoked-user", "others"),
        fc.constantFrom("local", "global", "others"),
        async ({ name, rewrite }, state, scope) => {
          fixture.proxy.rewrite("BatchGetItem", undefined);
          // The token began before the other, which may sign it out with `others`.
          const [other, token] = await sessions();
          if (state === "revoked-session") expect((await logout(token)).statusCode).toBe(200);
          if (state === "revoked-user")
            expect((await logout(other, "global")).statusCode).toBe(200);
          if (state === "others") expect((await logout(other, "others")).statusCode).toBe(200);
          fixture.proxy.rewrite("BatchGetItem", (answer) => {
            const hostile = rewrite(answer as Answer);
            if (hostile === "") return ""; // an empty body
            // A rewrite of nothing can come out as the honest "nothing found": make it foreign.
            const honest = [
              answer,
              { Responses: { [tableOf()]: realItems(answer as Answer) } },
            ].map((each) => JSON.stringify(each));
            return honest.includes(JSON.stringify(hostile))
              ? JSON.stringify({
                  Responses: { [tableOf()]: [{ pk: { S: "token#v2#not-asked" } }] },
                })
              : JSON.stringify(hostile);
          });

          const checked = await check(token);
          expect(checked.statusCode, name).toBe(503);
          expect(reasonOf(checked)).toBe("Revocation store unavailable");
          // The log says what was wrong with the answer, for whoever is paged.
          const logged = output
            .lines()
            .filter((line) => line.status === 503)
            .at(-1)?.error as { name: string; message: string } | undefined;
          expect(logged?.name, name).toBe("UnreadableAnswerError");
          expect(logged?.message).toMatch(
            /^DynamoDB's answer (is not an object|left keys unread|holds no list for the table|holds an item that was not asked for|has an item without (revokedBy|expiresAt|revokedBefore|version))$/,
          );
          await expect(authorize(token), name).rejects.toThrow("The authorizer could not decide");
          const loggedOut = await logout(token, scope);
          expect(loggedOut.statusCode, `${scope} logout, ${name}`).toBe(503);
        },
      ),
      { seed: Number(process.env.FC_SEED ?? 20261201), numRuns: 60 },
    );
  }, 60_000);
});

describe("a user-wide logout whose write does not land", () => {
  it.each(["global", "others"])(
    "%s: 503 while DynamoDB throttles every try, nothing revoked, and the retry goes through",
    async (scope) => {
      const [token, other] = await sessions();
      fixture.proxy.throttle("PutItem", 3);
      const response = await logout(token, scope);
      expect(response.statusCode).toBe(503);
      expect(reasonOf(response)).toBe("Revocation store unavailable");
      expect((await check(other)).statusCode).toBe(200);
      expect((await logout(token, scope)).statusCode).toBe(200);
      expect(reasonOf(await check(other))).toBe("Token has been revoked");
    },
  );

  it.each([
    [4, 200],
    [5, 503],
  ])(
    "is read and written again while other logouts of the user write first: %i times, %i",
    async (conflicts, status) => {
      const [token, other] = await sessions();
      fixture.proxy.refuse("PutItem", conflicts, "ConditionalCheckFailedException");
      fixture.proxy.operations.length = 0;
      expect((await logout(token, "global")).statusCode).toBe(status);
      const attempts = Math.min(conflicts + 1, 5);
      expect(fixture.proxy.operations).toEqual(
        Array.from({ length: attempts }, () => ["BatchGetItem", "PutItem"]).flat(),
      );
      expect((await check(other)).statusCode).toBe(status === 200 ? 401 : 200);
    },
  );

  it("two devices that sign out everywhere at once: one 200, one 401, both out", async () => {
    const [a, b] = await sessions();
    const answers = await Promise.all([logout(a, "global"), logout(b, "global")]);
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 401]);
    for (const token of [a, b]) expect(reasonOf(await check(token))).toBe("Token has been revoked");
  });

  it("two devices that each sign out the others at once: the later one stays, whatever the order", async () => {
    const [later, earlier] = await sessions();
    const answers = await Promise.all([logout(earlier, "others"), logout(later, "others")]);
    // The earlier session's 200 or 401 depends on which write came first; the later's never.
    expect(answers[1]?.statusCode).toBe(200);
    expect((await check(later)).statusCode).toBe(200);
    expect(reasonOf(await check(earlier))).toBe("Token has been revoked");
  });
});

describe("the reads", () => {
  it("are strongly consistent, every one of them", async () => {
    fixture.proxy.requests.length = 0;
    const withStart = { auth_time: now() - 1, iat: now() - 1 };
    const [token, other] = [
      await fixture.identity.mint("valid", withStart),
      await fixture.identity.mint("valid", withStart),
    ];
    await check(token);
    expect((await logout(token, "others")).statusCode).toBe(200);
    await logout(other);
    await authorize(token);
    const reads = fixture.proxy.requests.filter((request) => request.operation === "BatchGetItem");
    expect(reads.length).toBeGreaterThanOrEqual(4);
    for (const { body } of reads) {
      const requestItems = body.RequestItems as Record<string, { ConsistentRead?: unknown }>;
      expect(requestItems[fixture.tableName]?.ConsistentRead).toBe(true);
    }
  });
});

describe("ids an issuer leaves empty", () => {
  it.each([
    ["jti", { jti: "" }],
    ["origin_jti", { origin_jti: "", jti: "" }],
    ["sid", { sid: "", jti: "" }],
  ])(
    "an empty %s keys each token by itself: one logout revokes no other token",
    async (_name, claims) => {
      const sub = user();
      const [first, second] = [
        await fixture.identity.mint("valid", { sub, iat: now() - 10, ...claims }),
        await fixture.identity.mint("valid", { sub, iat: now() - 9, ...claims }),
      ];
      expect((await logout(first)).statusCode).toBe(200);
      expect(reasonOf(await check(first))).toBe("Token has been revoked");
      expect((await check(second)).statusCode).toBe(200);
    },
  );
});

describe("a deployment DynamoDB refuses (no table, no grant)", () => {
  it.each([
    "ResourceNotFoundException",
    "AccessDeniedException",
    "ValidationException",
    "UnrecognizedClientException",
  ])("%s is the contract's 500, which alarms, not a 503 retried for ever", async (type) => {
    const token = await fixture.identity.mint("valid", { sub: user(), iat: now() - 10 });
    fixture.proxy.refuse("BatchGetItem", 3, type);
    const checked = await check(token);
    expect(checked.statusCode).toBe(500);
    expect(JSON.parse(checked.body).error).toMatchObject({
      code: "INTERNAL_ERROR",
      details: { reason: "Unexpected error" },
    });
    await expect(authorize(token)).rejects.toThrow("The authorizer could not decide");
    expect((await logout(token, "global")).statusCode).toBe(500);
    fixture.proxy.refuse("BatchGetItem", 0, type);
    // A fault that a retry can fix stays a 503.
    fixture.proxy.refuse("BatchGetItem", 3, "ProvisionedThroughputExceededException");
    expect((await check(token)).statusCode).toBe(503);
  });
});

describe("the store's own reading of an item", () => {
  const put = (pk: string, fields: Record<string, unknown>) =>
    fixture.client.send("PutItem", {
      TableName: fixture.tableName,
      Item: { pk: { S: pk }, ...fields },
    });
  /** A user item as the store writes one, but for `fields`; then the check's 503 and its log. */
  async function refusedUserItem(fields: Record<string, unknown>): Promise<string> {
    const token = await fixture.identity.mint("valid", { sub: user(), iat: now() - 10 });
    await put(keysOf(token).user, {
      expiresAt: { N: String(now() + 600) },
      version: { N: "1" },
      revokedBefore: { N: "1" },
      logouts: { L: [] },
      ...fields,
    });
    expect((await check(token)).statusCode).toBe(503);
    const logged = output
      .lines()
      .filter((line) => line.status === 503)
      .at(-1)?.error as { message: string };
    return logged.message;
  }

  it("reads a user item of the release before as its revokedBefore: the kept session is out too", async () => {
    const start = now() - 10;
    const [kept, other] = [
      await fixture.identity.mint("valid", { sub: "old-format", iat: start, origin_jti: "kept" }),
      await fixture.identity.mint("valid", { sub: "old-format", iat: start, origin_jti: "other" }),
    ];
    await put(keysOf(kept).user, {
      expiresAt: { N: String(now() + 600) },
      version: { N: "1" },
      revokedBefore: { N: String(start) },
      keptSessionRevokedBefore: { N: String(start - 100) },
      keptSession: { S: keysOf(kept).session },
      logouts: { L: [] },
    });
    expect(reasonOf(await check(other))).toBe("Token has been revoked");
    expect(reasonOf(await check(kept))).toBe("Token has been revoked");
  });

  it("refuses a remembered logout without its writer", async () => {
    const logouts = { L: [{ M: { until: { N: String(now() + 600) } } }] };
    expect(await refusedUserItem({ logouts })).toBe(
      "DynamoDB's answer has a logout without its writer",
    );
  });

  it("counts an item as absent from the second its expiry names, not a second before", async () => {
    const token = await fixture.identity.mint("valid", { sub: user(), iat: now() - 10 });
    const { session } = keysOf(token);
    const expiresAt = now() + 100;
    await put(session, { expiresAt: { N: String(expiresAt) }, revokedBy: { S: "another" } });
    try {
      fixture.clock.pinned = expiresAt - 1;
      expect(reasonOf(await check(token))).toBe("Token has been revoked");
      fixture.clock.pinned = expiresAt;
      expect((await check(token)).statusCode).toBe(200);
    } finally {
      fixture.clock.pinned = undefined;
    }
  });

  it("reads an honest answer that leaves out UnprocessedKeys (DynamoDB may)", async () => {
    const [clean, revoked] = [
      await fixture.identity.mint("valid", { sub: user(), iat: now() - 10 }),
      await fixture.identity.mint("valid", { sub: user(), iat: now() - 10 }),
    ];
    expect((await logout(revoked)).statusCode).toBe(200);
    fixture.proxy.rewrite("BatchGetItem", (answer) =>
      JSON.stringify({ Responses: (answer as Answer).Responses }),
    );
    expect((await check(clean)).statusCode).toBe(200);
    expect(reasonOf(await check(revoked))).toBe("Token has been revoked");
  });

  it("refuses to revoke the sessions of a user a token does not name", async () => {
    for (const sub of [undefined, ""]) {
      const token = await fixture.identity.mint("valid", { sub, iat: now() - 10 });
      await expect(
        fixture.store.revokeUserSessions(verified(token), { keepOwnSession: false, logoutId: "x" }),
      ).rejects.toThrow("Token has no subject to sign out");
    }
  });
});

describe("the logouts a user item remembers", () => {
  const operatorSignOut = (sub: string, key: string) =>
    fixture.store.revokeUser({ iss: fixture.identity.issuer, sub }, `operator:${key}`);
  const globalWithKey = (token: string, key: string) =>
    fixture.logout.invoke(
      eventFor("v2", {
        authorization: [`Bearer ${token}`],
        query: "scope=global",
        headers: { "Idempotency-Key": key },
      }),
    );
  /** A fresh session of `sub`, begun after every revocation so far (the clock moves on). */
  const signIn = (sub: string) => {
    const start = now();
    return fixture.identity.mint("valid", { sub, iat: start, auth_time: start });
  };

  it(`are the most recent ${REMEMBERED_LOGOUTS} of a user's own: an older replay is a 401, never a new logout`, async () => {
    const sub = user();
    const first = await signIn(sub);
    expect((await globalWithKey(first, "k0")).statusCode).toBe(200);
    for (let n = 1; n <= REMEMBERED_LOGOUTS; n++) {
      expect((await globalWithKey(await signIn(sub), `k${n}`)).statusCode).toBe(200);
    }
    const owner = await signIn(sub);
    fixture.proxy.operations.length = 0;
    // Forgotten: its token is covered, so it is refused; it reaches no later session.
    expect(reasonOf(await globalWithKey(first, "k0"))).toBe("Token has been revoked");
    expect(fixture.proxy.operations).toEqual(["BatchGetItem"]);
    expect((await check(owner)).statusCode).toBe(200);
  });

  it("an operator's are never pushed out by a user's: its replay changes nothing", async () => {
    const sub = user();
    expect(await operatorSignOut(sub, "incident-1")).toBe("recorded");
    for (let n = 1; n <= REMEMBERED_LOGOUTS + 1; n++) {
      expect((await globalWithKey(await signIn(sub), `k${n}`)).statusCode).toBe(200);
    }
    const owner = await signIn(sub);
    expect(await operatorSignOut(sub, "incident-1")).toBe("replayed");
    expect((await check(owner)).statusCode).toBe(200);
  });

  it("stay within a bound, whatever a user does: at most twice the remembered count", async () => {
    const sub = user();
    for (let n = 1; n <= REMEMBERED_LOGOUTS + 3; n++) {
      expect(await operatorSignOut(sub, `incident-${n}`)).toBe("recorded");
      expect((await globalWithKey(await signIn(sub), `k${n}`)).statusCode).toBe(200);
    }
    const item = await fixture.client.send<{ Item?: { logouts?: { L: unknown[] } } }>("GetItem", {
      TableName: fixture.tableName,
      Key: { pk: { S: keysOf(await signIn(sub)).user } },
    });
    expect(item.Item?.logouts?.L).toHaveLength(2 * REMEMBERED_LOGOUTS);
  });
});
