/**
 * One answer for a revoked token, from the logout endpoint and from the reusable check alike,
 * whatever order of scopes made it; keys that neither collide across issuers nor overflow.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureOutput } from "../../support/captured-output.js";
import { eventFor } from "../../support/logout-app.js";
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

/** The fixture's clock, which each user-wide logout moves past its second instead of waiting. */
const now = () => fixture.now();
const bearer = (token: string, query = "") =>
  eventFor("v2", { authorization: [`Bearer ${token}`], query });
const logout = (token: string, scope = "local") =>
  fixture.logout.invoke(bearer(token, `scope=${scope}`));
const check = (token: string) => fixture.otherFunction(bearer(token));
const reasonOf = (response: { body: string }) => JSON.parse(response.body).error?.details.reason;

/** Both answers for one token: the endpoint's (for a token that is revoked) and the check's. */
async function expectRevoked(token: string): Promise<void> {
  expect(reasonOf(await check(token))).toBe("Token has been revoked");
  expect(reasonOf(await logout(token))).toBe("Token has been revoked");
}

describe("every order of scopes on one user", () => {
  // Sessions of one user, signed in a little before the logouts (`ago` seconds).
  const session = (user: string, name: string, ago = 20) =>
    fixture.identity.mint("valid", {
      sub: user,
      origin_jti: `${user}/${name}`,
      iat: now() - ago,
      auth_time: now() - ago,
    });
  const newUser = () => `orders-${crypto.randomUUID()}`;

  it("local after global: 401, and the global logout's own token again: 401", async () => {
    const user = newUser();
    const [a, b] = [await session(user, "a"), await session(user, "b")];
    expect((await logout(a, "global")).statusCode).toBe(200);
    expect(reasonOf(await logout(b, "local"))).toBe("Token has been revoked");
    expect(reasonOf(await logout(a, "local"))).toBe("Token has been revoked");
    await expectRevoked(b);
  });

  it("global after global: the second is 401", async () => {
    const user = newUser();
    const [a, b] = [await session(user, "a"), await session(user, "b")];
    expect((await logout(a, "global")).statusCode).toBe(200);
    expect(reasonOf(await logout(a, "global"))).toBe("Token has been revoked");
    expect(reasonOf(await logout(b, "global"))).toBe("Token has been revoked");
  });

  it("local after others: the kept session logs out (200), an earlier one is 401", async () => {
    const user = newUser();
    const [kept, other] = [await session(user, "kept"), await session(user, "other", 30)];
    expect((await logout(kept, "others")).statusCode).toBe(200);
    expect(reasonOf(await logout(other, "local"))).toBe("Token has been revoked");
    expect((await check(kept)).statusCode).toBe(200);
    expect((await logout(kept, "local")).statusCode).toBe(200);
    await expectRevoked(kept);
  });

  it("others after global: 401, for every session", async () => {
    const user = newUser();
    const [a, b] = [await session(user, "a"), await session(user, "b")];
    expect((await logout(a, "global")).statusCode).toBe(200);
    expect(reasonOf(await logout(a, "others"))).toBe("Token has been revoked");
    expect(reasonOf(await logout(b, "others"))).toBe("Token has been revoked");
  });

  it("others after others: the kept session may say it again, an earlier one may not", async () => {
    const user = newUser();
    const [kept, other] = [await session(user, "kept"), await session(user, "other", 30)];
    expect((await logout(kept, "others")).statusCode).toBe(200);
    expect((await logout(kept, "others")).statusCode).toBe(200);
    expect(reasonOf(await logout(other, "others"))).toBe("Token has been revoked");
    expect((await check(kept)).statusCode).toBe(200);
  });

  it("global after others: the kept session may end everything, itself included", async () => {
    const user = newUser();
    const [kept, other] = [await session(user, "kept"), await session(user, "other", 30)];
    expect((await logout(kept, "others")).statusCode).toBe(200);
    expect((await logout(kept, "global")).statusCode).toBe(200);
    await expectRevoked(kept);
    await expectRevoked(other);
  });

  it("global or others after local: 401, and nothing moves", async () => {
    const user = newUser();
    const [revoked, live] = [await session(user, "revoked"), await session(user, "live")];
    expect((await logout(revoked)).statusCode).toBe(200);
    expect(reasonOf(await logout(revoked, "global"))).toBe("Token has been revoked");
    expect(reasonOf(await logout(revoked, "others"))).toBe("Token has been revoked");
    expect((await check(live)).statusCode).toBe(200);
  });
});

describe("keys scoped by issuer", () => {
  it("the same jti, sub and session from two issuers never revoke each other", async () => {
    const claims = { jti: "shared-jti", sub: "shared-user", iat: now() - 20 };
    const ours = await fixture.identity.mint("valid", claims);
    const theirs = await fixture.partner.mint("valid", claims);
    expect((await logout(ours)).statusCode).toBe(200);
    expect((await check(theirs)).statusCode).toBe(200);
    expect((await logout(theirs)).statusCode).toBe(200);

    const session = {
      origin_jti: "shared-session",
      sub: "shared-user-2",
      iat: now() - 20,
      auth_time: now() - 20,
    };
    const [ourSession, theirSession] = [
      await fixture.identity.mint("valid", session),
      await fixture.partner.mint("valid", session),
    ];
    expect((await logout(ourSession, "global")).statusCode).toBe(200);
    expect((await check(theirSession)).statusCode).toBe(200);
    expect((await logout(theirSession, "others")).statusCode).toBe(200);
    expect((await check(theirSession)).statusCode).toBe(200);
  });
});

describe("a client's own claims", () => {
  // Text of every kind a claim may hold: huge, unicode, control characters, key-like text.
  const claimText = fc.oneof(
    fc.string({ minLength: 1, maxLength: 40 }),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }),
    fc.string({ unit: "binary", minLength: 1, maxLength: 20 }),
    fc.integer({ min: 2049, max: 6000 }).map((length) => "x".repeat(length)),
    fc.constantFrom("user#x", "token#", "session#a#b", '"],["', "\u0000", "\u2028"),
  );
  // Odd values where the verifier allows them (origin_jti, custom claims): numbers, objects.
  const oddValue = fc.oneof(
    claimText,
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.object({ maxDepth: 2 }),
    fc.constant(null),
  );

  it("never get a 5xx, and a logged-out token is refused everywhere", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          jti: fc.option(claimText, { nil: undefined }),
          sub: fc.option(claimText, { nil: undefined }),
          origin_jti: fc.option(oddValue, { nil: undefined }),
          custom: fc.option(oddValue, { nil: undefined }),
        }),
        fc.constantFrom("local", "global", "others"),
        async ({ jti, sub, origin_jti, custom }, scope) => {
          // Unique per run, so no earlier run's revocation covers this token.
          const unique = crypto.randomUUID();
          const claims = {
            custom,
            origin_jti: typeof origin_jti === "string" ? `${origin_jti}${unique}` : origin_jti,
            jti: jti === undefined ? undefined : `${jti}${unique}`,
            sub: sub === undefined ? undefined : `${sub}${unique}`,
            iat: now() - 20,
            auth_time: now() - 20,
          };
          const token = await fixture.identity.mint("valid", claims);
          const response = await logout(token, scope);
          expect(response.statusCode).toBeLessThan(500);
          if (response.statusCode === 200 && scope !== "others") {
            expect(reasonOf(await check(token))).toBe("Token has been revoked");
          } else if (response.statusCode !== 200) {
            expect(response.statusCode).toBe(401);
            expect(reasonOf(response)).toBe("Token has no subject to sign out");
            expect(claims.sub).toBeUndefined();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
