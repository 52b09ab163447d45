/**
 * Sign-out by session, as a user and an attacker would try it, on the real clock: the store
 * waits for real here, as deployed. The model-based test holds the same promises over random
 * histories; these are the ones a person tries first.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureOutput } from "../../support/captured-output.js";
import { eventFor } from "../../support/logout-app.js";
import {
  type RevocationFixture,
  startRevocationFixture,
} from "../../support/revocation-fixture.js";

captureOutput();
let fixture: RevocationFixture;
let strict: RevocationFixture;

beforeAll(async () => {
  [fixture, strict] = await Promise.all([
    startRevocationFixture({ realWaits: true }),
    startRevocationFixture({ requireAuthTime: true }),
  ]);
});
afterAll(async () => {
  await Promise.all([fixture.stop(), strict.stop()]);
});

const seconds = () => Math.floor(Date.now() / 1000);
const bearer = (token: string, scope = "local", headers: Record<string, string> = {}) =>
  eventFor("v2", { authorization: [`Bearer ${token}`], query: `scope=${scope}`, headers });
const reasonOf = (response: { statusCode: number; body: string }) =>
  response.statusCode === 200 ? 200 : JSON.parse(response.body).error?.details.reason;

/** A Cognito-like sign-in: one session id and auth_time, kept by every refresh. */
function signIn(sub: string, on: RevocationFixture = fixture) {
  const session = crypto.randomUUID();
  const authTime = seconds() - 60;
  const mint = (iat = seconds()) =>
    on.identity.mint("valid", { sub, origin_jti: session, auth_time: authTime, iat });
  return { first: mint(authTime), refresh: () => mint() };
}

describe("sign out everywhere", () => {
  it("keeps every other device out after it refreshes, and lets a sign-in right after the 200 in", async () => {
    const sub = `everywhere-${crypto.randomUUID()}`;
    const [phone, laptop] = [signIn(sub), signIn(sub)];
    const phoneToken = await phone.first;
    await laptop.first;

    expect((await fixture.logout.invoke(bearer(phoneToken, "global"))).statusCode).toBe(200);
    // Straight after the answer, in the same second the logout may have been recorded in.
    const fresh = await fixture.identity.mint("valid", {
      sub,
      origin_jti: crypto.randomUUID(),
      auth_time: seconds(),
      iat: seconds(),
    });
    const laptopRefreshed = await laptop.refresh();
    const phoneRefreshed = await phone.refresh();

    expect(reasonOf(await fixture.otherFunction(bearer(fresh)))).toBe(200);
    expect(reasonOf(await fixture.otherFunction(bearer(laptopRefreshed)))).toBe(
      "Token has been revoked",
    );
    expect(reasonOf(await fixture.otherFunction(bearer(phoneRefreshed)))).toBe(
      "Token has been revoked",
    );
  });
});

describe("sign out my other devices", () => {
  it("keeps the other sessions out after they refresh; this one stays, refreshes included", async () => {
    const sub = `others-${crypto.randomUUID()}`;
    const [mine, theirs] = [signIn(sub), signIn(sub)];
    const myToken = await mine.first;
    await theirs.first;

    expect((await fixture.logout.invoke(bearer(myToken, "others"))).statusCode).toBe(200);

    expect(reasonOf(await fixture.otherFunction(bearer(await mine.refresh())))).toBe(200);
    expect(reasonOf(await fixture.otherFunction(bearer(await theirs.refresh())))).toBe(
      "Token has been revoked",
    );
  });
});

describe("ids an issuer reuses", () => {
  it("two users whose issuer gives both the session id s1 never sign each other out", async () => {
    const mint = (name: string) =>
      fixture.identity.mint("valid", { sub: `${name}-${crypto.randomUUID()}`, origin_jti: "s1" });
    const [alice, bob] = [await mint("alice"), await mint("bob")];
    expect((await fixture.logout.invoke(bearer(alice))).statusCode).toBe(200);
    expect(reasonOf(await fixture.otherFunction(bearer(bob)))).toBe(200);
  });

  it("nor whose issuer reuses a jti, nor an OpenID Connect sid", async () => {
    for (const claim of ["jti", "sid"]) {
      const mint = (name: string) =>
        fixture.identity.mint("valid", { sub: `${name}-${crypto.randomUUID()}`, [claim]: "same" });
      const [alice, bob] = [await mint("alice"), await mint("bob")];
      expect((await fixture.logout.invoke(bearer(alice))).statusCode).toBe(200);
      expect(reasonOf(await fixture.otherFunction(bearer(bob))), claim).toBe(200);
    }
  });

  it("a sid names a session: every token of it is revoked together", async () => {
    const sub = `sid-${crypto.randomUUID()}`;
    const [first, second] = [
      await fixture.identity.mint("valid", { sub, sid: "oidc-session" }),
      await fixture.identity.mint("valid", { sub, sid: "oidc-session" }),
    ];
    expect((await fixture.logout.invoke(bearer(first))).statusCode).toBe(200);
    expect(reasonOf(await fixture.otherFunction(bearer(second)))).toBe("Token has been revoked");
  });
});

describe("a replay", () => {
  it.each(["local", "global", "others"])(
    "of a %s logout answers its 200 again and writes nothing",
    async (scope) => {
      const token = await signIn(`replay-${crypto.randomUUID()}`).first;
      const send = () => fixture.logout.invoke(bearer(token, scope, { "Idempotency-Key": "once" }));
      expect((await send()).statusCode).toBe(200);
      fixture.proxy.operations.length = 0;
      expect((await send()).statusCode).toBe(200);
      // The local replay's write is refused by its condition: nothing in the table changes.
      const writes = scope === "local" ? ["PutItem"] : [];
      expect(fixture.proxy.operations.filter((op) => op !== "BatchGetItem")).toEqual(writes);
    },
  );
});

describe("a stage that requires auth_time", () => {
  it("refuses a token without it, and accepts one with it", async () => {
    const without = await strict.identity.mint("valid");
    expect(reasonOf(await strict.otherFunction(bearer(without)))).toBe("Token has no auth_time");
    expect(reasonOf(await strict.logout.invoke(bearer(without, "global")))).toBe(
      "Token has no auth_time",
    );
    const withIt = await signIn(`strict-${crypto.randomUUID()}`, strict).first;
    expect(reasonOf(await strict.otherFunction(bearer(withIt)))).toBe(200);
  });
});
