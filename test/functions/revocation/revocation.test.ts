import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type TokenClaims, VerifiedToken } from "../../../functions/domain/verified-token.js";
import { REVOCATION_TABLE, sessionKeys } from "../../../functions/revocation/revocation-table.js";
import { captureOutput } from "../../support/captured-output.js";
import { eventFor, type PayloadVersion } from "../../support/logout-app.js";
import {
  type RevocationFixture,
  startRevocationFixture,
} from "../../support/revocation-fixture.js";

captureOutput();
let fixture: RevocationFixture;

beforeAll(async () => {
  fixture = await startRevocationFixture();
});
afterAll(async () => {
  await fixture.stop();
});
afterEach(() => {
  fixture.proxy.operations.length = 0;
});

const bearer = (token: string, version: PayloadVersion = "v2", query = "") =>
  eventFor(version, { authorization: [`Bearer ${token}`], query });
const logout = (token: string, query = "", version: PayloadVersion = "v2") =>
  fixture.logout.invoke(bearer(token, version, query));
const useElsewhere = (token: string) => fixture.otherFunction(bearer(token));
const reasonOf = (response: { body: string }) => JSON.parse(response.body).error?.details.reason;
/** The fixture's clock, which each user-wide logout moves past its second instead of waiting. */
const now = () => fixture.now();
/** The claims the verifier would let through, for computing a token's keys. */
const verified = (token: string) => new VerifiedToken(token, decodeJwt(token) as TokenClaims);

async function scanTable(): Promise<Record<string, unknown>[]> {
  const { Items } = await fixture.client.send<{ Items: Record<string, unknown>[] }>("Scan", {
    TableName: fixture.tableName,
  });
  return Items;
}

describe("a local logout", () => {
  it.each(["v2", "v1"] as const)(
    "revokes the token at once (%s): logout again and any other use are 401 revoked",
    async (version) => {
      const token = await fixture.identity.mint("valid");
      expect((await useElsewhere(token)).statusCode).toBe(200);

      expect((await logout(token, "", version)).statusCode).toBe(200);

      const again = await logout(token, "", version);
      expect(again.statusCode).toBe(401);
      expect(reasonOf(again)).toBe("Token has been revoked");
      expect(again.headers["WWW-Authenticate"]).toBe('Bearer error="invalid_token"');
      const elsewhere = await useElsewhere(token);
      expect(elsewhere.statusCode).toBe(401);
      expect(reasonOf(elsewhere)).toBe("Token has been revoked");
    },
  );

  it("leaves the user's other tokens valid", async () => {
    const [first, second] = [await fixture.identity.mint(), await fixture.identity.mint()];
    await logout(first);
    expect((await useElsewhere(second)).statusCode).toBe(200);
  });

  it("gives exactly one 200 to fifty concurrent logouts of one token", async () => {
    const token = await fixture.identity.mint("valid");
    const responses = await Promise.all(Array.from({ length: 50 }, () => logout(token)));
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(49);
    expect(new Set(responses.filter((r) => r.statusCode === 401).map(reasonOf))).toEqual(
      new Set(["Token has been revoked"]),
    );
  });

  it("makes one round trip: the conditional write and the user's read at once; no call for a token that fails verification", async () => {
    const token = await fixture.identity.mint("valid");
    fixture.proxy.resetPeak();
    await logout(token);
    expect([...fixture.proxy.operations].sort()).toEqual(["BatchGetItem", "PutItem"]);
    expect(fixture.proxy.peakInFlight()).toBe(2);

    fixture.proxy.operations.length = 0;
    await logout(await fixture.identity.mint("expired"));
    await logout("not-a-token");
    expect(fixture.proxy.operations).toEqual([]);
  });

  it("revokes the whole Cognito session (origin_jti): a refreshed token is refused too", async () => {
    const session = `origin-${crypto.randomUUID()}`;
    const before = await fixture.identity.mint("valid", { origin_jti: session });
    const refreshed = await fixture.identity.mint("valid", { origin_jti: session });
    const otherSession = await fixture.identity.mint("valid", { origin_jti: `${session}-2` });

    expect((await logout(before)).statusCode).toBe(200);

    expect(reasonOf(await useElsewhere(refreshed))).toBe("Token has been revoked");
    expect(reasonOf(await logout(refreshed))).toBe("Token has been revoked");
    expect((await useElsewhere(otherSession)).statusCode).toBe(200);
  });

  it("keys a token without jti by a SHA-256: no token is stored, claims only in the notice", async () => {
    const withoutJti = await fixture.identity.mint("valid", { jti: undefined });
    const withJti = await fixture.identity.mint("valid", { jti: "a-recognisable-jti" });
    await logout(withoutJti);
    await logout(withJti);

    const items = await scanTable();
    const stored = JSON.stringify(items);
    for (const token of [withoutJti, withJti]) {
      expect(stored).not.toContain(token);
      expect(stored).not.toContain(token.split(".")[2]);
    }
    // The identifiers a revocation's event names are in its notice, and nowhere else.
    const outsideNotices = JSON.stringify(items.map(({ notice: _notice, ...rest }) => rest));
    expect(outsideNotices).not.toMatch(/a-recognisable-jti|user-0001/);
    expect(stored).toContain("a-recognisable-jti");
    for (const item of items) {
      expect(JSON.stringify(item[REVOCATION_TABLE.partitionKey])).toMatch(
        /^\{"S":"(token|session|user)#v2#[A-Za-z0-9_-]{43}"\}$/,
      );
    }
    expect(reasonOf(await useElsewhere(withoutJti))).toBe("Token has been revoked");
  });

  it("stores a token's item with the table's TTL attribute past the token's expiry and the clock leeway", async () => {
    const exp = now() + 1234;
    const token = await fixture.identity.mint("valid", { exp, jti: `ttl-${exp}` });
    await logout(token);
    const pk = sessionKeys(verified(token))[0] as string;
    const item = (await scanTable()).find(
      (candidate) => JSON.stringify(candidate[REVOCATION_TABLE.partitionKey]) === `{"S":"${pk}"}`,
    );
    expect(item?.[REVOCATION_TABLE.timeToLiveAttribute]).toEqual({ N: String(exp + 5 + 1) });
  });

  it("counts an item past its expiry as absent, since DynamoDB's TTL deletes late", async () => {
    const token = await fixture.identity.mint("valid", { jti: "expired-record", exp: now() + 60 });
    await fixture.client.send("PutItem", {
      TableName: fixture.tableName,
      Item: {
        [REVOCATION_TABLE.partitionKey]: { S: sessionKeys(verified(token))[0] as string },
        [REVOCATION_TABLE.timeToLiveAttribute]: { N: String(now() - 60) },
        revokedBy: { S: "an earlier logout" },
      },
    });
    expect((await useElsewhere(token)).statusCode).toBe(200);
    expect((await logout(token)).statusCode).toBe(200);
    expect(reasonOf(await useElsewhere(token))).toBe("Token has been revoked");
  });
});

describe("scope=global and scope=others", () => {
  // Tokens issued a few seconds ago, as a user's other sessions would be.
  const mintFor = (sub: string, claims: Record<string, unknown> = {}) =>
    fixture.identity.mint("valid", { sub, iat: now() - 10, ...claims });

  it("global signs the user out everywhere, and no other user", async () => {
    const user = `global-${crypto.randomUUID()}`;
    const [current, laptop, phone] = [
      await mintFor(user),
      await mintFor(user),
      await mintFor(user),
    ];
    const stranger = await mintFor(`${user}-stranger`);

    expect((await logout(current, "scope=global")).statusCode).toBe(200);

    for (const token of [current, laptop, phone]) {
      expect(reasonOf(await useElsewhere(token))).toBe("Token has been revoked");
    }
    expect(reasonOf(await logout(laptop, "scope=global"))).toBe("Token has been revoked");
    expect((await useElsewhere(stranger)).statusCode).toBe(200);
  });

  it("global covers the token that asked, even one its issuer's fast clock dated ahead", async () => {
    const user = `global-ahead-${crypto.randomUUID()}`;
    const ahead = await mintFor(user, { iat: now() + 4, auth_time: now() + 4 });
    expect((await logout(ahead, "scope=global")).statusCode).toBe(200);
    expect(reasonOf(await useElsewhere(ahead))).toBe("Token has been revoked");
  });

  it("global leaves a session begun after it valid, with no leeway added, and covers its own second", async () => {
    const user = `global-later-${crypto.randomUUID()}`;
    const instant = now() - 60;
    fixture.clock.pinned = instant;
    try {
      expect(
        (await logout(await mintFor(user, { iat: instant - 10 }), "scope=global")).statusCode,
      ).toBe(200);
      const began = (start: number) => mintFor(user, { iat: start, auth_time: start });
      fixture.clock.pinned = instant + 60;
      expect((await useElsewhere(await began(instant + 1))).statusCode).toBe(200);
      expect((await useElsewhere(await began(instant + 30))).statusCode).toBe(200);
      for (const start of [instant, instant + 0.999, instant - 1]) {
        expect(reasonOf(await useElsewhere(await began(start))), `start ${start}`).toBe(
          "Token has been revoked",
        );
      }
    } finally {
      fixture.clock.pinned = undefined;
    }
  });

  it("others signs out every session begun before this one and keeps this one", async () => {
    const user = `others-${crypto.randomUUID()}`;
    const began = now() - 10;
    const current = await mintFor(user, { origin_jti: "keep-me", auth_time: began, iat: began });
    const refreshedCurrent = await mintFor(user, {
      origin_jti: "keep-me",
      auth_time: began,
      iat: now() - 5,
    });
    const laptop = await mintFor(user, { origin_jti: "laptop", auth_time: began - 30 });
    const legacy = await mintFor(user, { iat: began - 1 });
    const sameSecond = await mintFor(user, { origin_jti: "same-second", auth_time: began });
    const later = await mintFor(user, {
      origin_jti: "later",
      auth_time: began + 1,
      iat: began + 1,
    });

    expect((await logout(current, "scope=others", "v1")).statusCode).toBe(200);

    expect((await useElsewhere(current)).statusCode).toBe(200);
    expect((await useElsewhere(refreshedCurrent)).statusCode).toBe(200);
    expect(reasonOf(await useElsewhere(laptop))).toBe("Token has been revoked");
    expect(reasonOf(await useElsewhere(legacy))).toBe("Token has been revoked");
    // Not before this session: a session of its own second cannot be told apart, a later one
    // is not reached (the user's own newer device, or the owner's sign-in after a theft).
    expect((await useElsewhere(sameSecond)).statusCode).toBe(200);
    expect((await useElsewhere(later)).statusCode).toBe(200);
    // The kept session can still log out for itself, and is then revoked too.
    expect((await logout(current)).statusCode).toBe(200);
    expect(reasonOf(await useElsewhere(refreshedCurrent))).toBe("Token has been revoked");
  });

  it("others needs auth_time: 400, and nothing is revoked", async () => {
    const user = `others-no-start-${crypto.randomUUID()}`;
    const [asker, other] = [await mintFor(user), await mintFor(user, { iat: now() - 20 })];
    const response = await logout(asker, "scope=others");
    expect(response.statusCode).toBe(400);
    expect(reasonOf(response)).toBe(
      "Token has no auth_time: signing out the other sessions needs its session's start",
    );
    expect((await useElsewhere(other)).statusCode).toBe(200);
  });

  it("others said again from one session writes nothing and waits for nothing", async () => {
    const user = `others-again-${crypto.randomUUID()}`;
    const asker = await mintFor(user, { auth_time: now() - 10 });
    expect((await logout(asker, "scope=others")).statusCode).toBe(200);
    fixture.proxy.operations.length = 0;
    const clock = fixture.now();
    for (let n = 0; n < 3; n++) expect((await logout(asker, "scope=others")).statusCode).toBe(200);
    expect(fixture.proxy.operations).toEqual(["BatchGetItem", "BatchGetItem", "BatchGetItem"]);
    // The fixture's store moves its clock where it would wait: it did not.
    expect(fixture.now()).toBe(clock);
  });

  it("a token already revoked cannot sign its user out", async () => {
    const user = `revoked-${crypto.randomUUID()}`;
    const [stolen, kept] = [await mintFor(user), await mintFor(user)];
    await logout(stolen);

    expect(reasonOf(await logout(stolen, "scope=global"))).toBe("Token has been revoked");
    expect((await useElsewhere(kept)).statusCode).toBe(200);
  });

  it("a local logout of a token a global one revoked is 401, still in one round trip", async () => {
    const user = `after-global-${crypto.randomUUID()}`;
    const [first, second] = [await mintFor(user), await mintFor(user)];
    await logout(first, "scope=global");
    fixture.proxy.operations.length = 0;
    fixture.proxy.resetPeak();

    expect(reasonOf(await logout(second))).toBe("Token has been revoked");
    expect([...fixture.proxy.operations].sort()).toEqual(["BatchGetItem", "PutItem"]);
    expect(fixture.proxy.peakInFlight()).toBe(2);
    expect(reasonOf(await useElsewhere(second))).toBe("Token has been revoked");
  });
});

describe("the calls it makes", () => {
  it("are exactly those the stack grants the function, whatever the scope", async () => {
    for (const query of ["", "scope=global", "scope=others"]) {
      const token = await fixture.identity.mint("valid", {
        sub: `grants-${query}`,
        iat: now(),
        auth_time: now(),
      });
      expect((await logout(token, query)).statusCode).toBe(200);
      expect((await useElsewhere(token)).statusCode).toBe(query === "scope=others" ? 200 : 401);
    }
    expect(new Set(fixture.proxy.operations)).toEqual(new Set(REVOCATION_TABLE.operations));
  });
});
