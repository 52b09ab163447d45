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

/** A Cognito-like sign-in `ago` seconds back: one session id and auth_time, kept by refreshes. */
function signIn(sub: string, on: RevocationFixture = fixture, ago = 60) {
  const session = crypto.randomUUID();
  const authTime = seconds() - ago;
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
  it("keeps the sessions begun before out after they refresh; this one stays, refreshes included", async () => {
    const sub = `others-${crypto.randomUUID()}`;
    const [mine, theirs] = [signIn(sub), signIn(sub, fixture, 120)];
    const myToken = await mine.first;
    await theirs.first;

    expect((await fixture.logout.invoke(bearer(myToken, "others"))).statusCode).toBe(200);

    expect(reasonOf(await fixture.otherFunction(bearer(await mine.refresh())))).toBe(200);
    expect(reasonOf(await fixture.otherFunction(bearer(await theirs.refresh())))).toBe(
      "Token has been revoked",
    );
  });

  it("a stolen token repeating it cannot keep the owner out: every sign-in is in, and the owner ends the thief", async () => {
    const sub = `lockout-${crypto.randomUUID()}`;
    const thief = await signIn(sub, fixture, 600).first;
    const others = (token: string) => fixture.logout.invoke(bearer(token, "others"));
    const check = async (token: string) => reasonOf(await fixture.otherFunction(bearer(token)));
    let stop = false;
    const attacks: number[] = [];
    // The thief says it again and again, as fast as the function answers, on the real clock.
    const loop = (async () => {
      while (!stop) attacks.push((await others(thief)).statusCode);
    })();
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const owner = await fixture.identity.mint("valid", {
          sub,
          origin_jti: crypto.randomUUID(),
          auth_time: seconds(),
          iat: seconds(),
        });
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(await check(owner), `the owner's sign-in ${attempt}`).toBe(200);
        if (attempt === 2) expect((await others(owner)).statusCode).toBe(200);
        else await new Promise((resolve) => setTimeout(resolve, 700));
      }
    } finally {
      stop = true;
      await loop;
    }
    expect(attacks.length).toBeGreaterThan(3);
    expect(attacks.slice(0, 3)).toEqual([200, 200, 200]);
    expect(attacks.at(-1)).toBe(401);
    expect(await check(thief)).toBe("Token has been revoked");
    expect((await others(thief)).statusCode).toBe(401);
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
