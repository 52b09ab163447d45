import { afterEach, describe, expect, it } from "vitest";
import { captureOutput } from "../../support/captured-output.js";
import { eventFor } from "../../support/logout-app.js";
import {
  type RevocationFixture,
  startRevocationFixture,
} from "../../support/revocation-fixture.js";

const output = captureOutput();
let fixture: RevocationFixture | undefined;

afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

const bearer = (token: string) => eventFor("v2", { authorization: [`Bearer ${token}`] });
const errorOf = (response: { body: string }) => JSON.parse(response.body).error;

describe("when DynamoDB fails", () => {
  it("answers 503 to a logout and refuses the token elsewhere once the endpoint is gone", async () => {
    fixture = await startRevocationFixture({ attemptTimeoutMs: 300 });
    const before = await fixture.identity.mint("valid");
    expect((await fixture.logout.invoke(bearer(before))).statusCode).toBe(200);
    const token = await fixture.identity.mint("valid");

    await fixture.dynamodb.stop();
    const response = await fixture.logout.invoke(bearer(token));
    const elsewhere = await fixture.otherFunction(bearer(token));

    expect(response.statusCode).toBe(503);
    expect(errorOf(response)).toMatchObject({
      code: "SERVICE_UNAVAILABLE",
      status: 503,
      details: { reason: "Revocation store unavailable" },
    });
    expect(elsewhere.statusCode).toBe(503);
    // Bounded: three attempts of each request, then the answer.
    expect(fixture.proxy.operations.filter((op) => op === "PutItem")).toHaveLength(4);
    expect(output.lines().some((line) => line.level === "ERROR" && line.status === 503)).toBe(true);
  });

  it("retries a throttled write once and records the logout when that goes through", async () => {
    fixture = await startRevocationFixture();
    const token = await fixture.identity.mint("valid");
    fixture.proxy.throttle("PutItem", 1);

    const response = await fixture.logout.invoke(bearer(token));

    expect(response.statusCode).toBe(200);
    expect(fixture.proxy.operations.filter((op) => op === "PutItem")).toHaveLength(2);
    expect(errorOf(await fixture.otherFunction(bearer(token))).details.reason).toBe(
      "Token has been revoked",
    );
  });

  it("answers 503, not 200, when the write stays throttled, and the token stays usable to retry", async () => {
    fixture = await startRevocationFixture();
    const token = await fixture.identity.mint("valid");
    fixture.proxy.throttle("PutItem", 2);

    const response = await fixture.logout.invoke(bearer(token));

    expect(response.statusCode).toBe(503);
    expect(response.headers["Retry-After"]).toBe("1");
    // A hot partition is not hammered: a throttled call is tried twice, not three times.
    expect(fixture.proxy.operations.filter((op) => op === "PutItem")).toHaveLength(2);
    // Nothing was recorded, so the client's retry with the same token goes through.
    expect((await fixture.logout.invoke(bearer(token))).statusCode).toBe(200);
  });

  it.each([
    ["local", "PutItem"],
    ["global", "PutItem"],
    ["others", "PutItem"],
  ])(
    "answers 200 to a %s logout whose write landed but whose answer was lost: the retry knows its own write",
    async (scope, operation) => {
      fixture = await startRevocationFixture();
      const start = Math.floor(Date.now() / 1000);
      const token = await fixture.identity.mint("valid", { iat: start, auth_time: start });
      const other = await fixture.identity.mint("valid", {
        iat: Math.floor(Date.now() / 1000) - 60,
      });
      fixture.proxy.loseAnswers(operation, 1);

      const response = await fixture.logout.invoke(
        eventFor("v2", { authorization: [`Bearer ${token}`], query: `scope=${scope}` }),
      );

      expect(response.statusCode).toBe(200);
      expect(fixture.proxy.operations.filter((op) => op === operation)).toHaveLength(2);
      // Recorded once, as asked: the token is refused from now on, everywhere.
      const revokedToken = scope === "others" ? other : token;
      expect(errorOf(await fixture.otherFunction(bearer(revokedToken))).details.reason).toBe(
        "Token has been revoked",
      );
      // And another logout of the same session still comes second.
      if (scope === "local") {
        expect((await fixture.logout.invoke(bearer(token))).statusCode).toBe(401);
      }
    },
  );

  it("refuses rather than lets a token through when the check's read is throttled", async () => {
    fixture = await startRevocationFixture();
    const token = await fixture.identity.mint("valid");
    fixture.proxy.throttle("BatchGetItem", 2);

    const response = await fixture.otherFunction(bearer(token));

    expect(response.statusCode).toBe(503);
    expect(errorOf(response).details.reason).toBe("Revocation store unavailable");
  });
});

describe("when DynamoDB throttles part of a read", () => {
  type Answer = { Responses: Record<string, { pk: { S: string } }[]> };
  /** The next `times` reads leave their first key unread, as DynamoDB does under throttling. */
  function leaveFirstKeyUnread(on: RevocationFixture, times: number, evenAlone = false) {
    let left = times;
    on.proxy.rewrite("BatchGetItem", (answer) => {
      const request = on.proxy.requests.filter((each) => each.operation === "BatchGetItem").at(-1);
      const requested = request?.body.RequestItems as
        | Record<string, { Keys: { pk: { S: string } }[] }>
        | undefined;
      const keys = requested?.[on.tableName]?.Keys;
      if (left <= 0 || !keys || keys.length < (evenAlone ? 1 : 2)) return JSON.stringify(answer);
      left--;
      const [first] = keys;
      const items = (answer as Answer).Responses[on.tableName] ?? [];
      return JSON.stringify({
        Responses: { [on.tableName]: items.filter((item) => item.pk.S !== first?.pk.S) },
        UnprocessedKeys: { [on.tableName]: { Keys: [first] } },
      });
    });
  }
  const reads = (on: RevocationFixture) =>
    on.proxy.requests
      .filter((request) => request.operation === "BatchGetItem")
      .map(
        (request) =>
          (request.body.RequestItems as Record<string, { Keys: unknown[] }>)[on.tableName]?.Keys
            .length,
      );

  it("reads the unread keys again, and answers as if nothing had been throttled", async () => {
    fixture = await startRevocationFixture();
    const [clean, revoked] = [
      await fixture.identity.mint("valid", { sub: "throttled-clean" }),
      await fixture.identity.mint("valid", { sub: "throttled-revoked" }),
    ];
    expect((await fixture.logout.invoke(bearer(revoked))).statusCode).toBe(200);
    for (const [token, status] of [
      [clean, 200],
      [revoked, 401],
    ] as const) {
      fixture.proxy.requests.length = 0;
      leaveFirstKeyUnread(fixture, 1);
      expect((await fixture.otherFunction(bearer(token))).statusCode).toBe(status);
      // The batch of two keys, then the one left unread.
      expect(reads(fixture)).toEqual([2, 1]);
    }
  });

  it("fails closed when keys stay unread: 503 after three reads, never an allow", async () => {
    fixture = await startRevocationFixture();
    const token = await fixture.identity.mint("valid", { sub: "throttled-always" });
    fixture.proxy.requests.length = 0;
    leaveFirstKeyUnread(fixture, 100, true);
    const response = await fixture.otherFunction(bearer(token));
    expect(response.statusCode).toBe(503);
    expect(errorOf(response).details.reason).toBe("Revocation store unavailable");
    expect(reads(fixture)).toEqual([2, 1, 1]);
    fixture.proxy.rewrite("BatchGetItem", undefined);
  });

  it("when every key is throttled, tries the call twice, not three times, then refuses", async () => {
    fixture = await startRevocationFixture();
    const token = await fixture.identity.mint("valid", { sub: "throttled-whole" });
    fixture.proxy.requests.length = 0;
    fixture.proxy.throttle("BatchGetItem", 2);
    expect((await fixture.otherFunction(bearer(token))).statusCode).toBe(503);
    expect(reads(fixture)).toHaveLength(2);
    expect((await fixture.otherFunction(bearer(token))).statusCode).toBe(200);
  });
});
