/**
 * Ways to keep using a token after its logout, tried as an attacker would: another encoding of
 * the same signed token, a lifetime longer than revocations are kept, an `iat` from the future;
 * and a retry that must be recognised as the same logout.
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
// Longer than the local identity's tokens live (an hour), even those dated a little back.
const MAX_LIFETIME = 7200;

beforeAll(async () => {
  fixture = await startRevocationFixture({ maxTokenLifetimeSeconds: MAX_LIFETIME });
});
afterAll(async () => {
  fixture.clock.pinned = undefined;
  await fixture.stop();
});

/** The fixture's clock, which each user-wide logout moves past its second instead of waiting. */
const now = () => fixture.now();
const bearer = (token: string, query = "", headers: Record<string, string> = {}) =>
  eventFor("v2", { authorization: [`Bearer ${token}`], query, headers });
const logout = (token: string, query = "") => fixture.logout.invoke(bearer(token, query));
const check = (token: string) => fixture.otherFunction(bearer(token));
const reasonOf = (response: { body: string }) => JSON.parse(response.body).error?.details.reason;

// P-256's group order: (r, n - s) is a second valid ECDSA signature of the same message.
const P256_ORDER = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

type Variant = "padding" | "low-bits" | "high-s";

/** Another text of the same signed token, which a lenient decoder reads as the same bytes. */
function variantOf(token: string, variant: Variant, pick = 1): string {
  const [header, payload, signature = ""] = token.split(".");
  switch (variant) {
    case "padding": {
      const padded = ["=", "=="][pick % 2] as string;
      const segment = pick % 3;
      const parts = [header, payload, signature].map((part, i) =>
        i === segment ? `${part}${padded}` : part,
      );
      return parts.join(".");
    }
    case "low-bits": {
      // RS256 (256 bytes) and ES256 (64 bytes) signatures leave 4 bits of the last character unused.
      const last = BASE64URL.indexOf(signature.at(-1) as string);
      const other = (last & 0b110000) | (1 + (pick % 15));
      const changed = other === last ? last ^ 0b1 : other;
      return `${header}.${payload}.${signature.slice(0, -1)}${BASE64URL[changed]}`;
    }
    case "high-s": {
      const bytes = Buffer.from(signature, "base64url");
      const s = BigInt(`0x${bytes.subarray(32).toString("hex")}`);
      const flipped = Buffer.from((P256_ORDER - s).toString(16).padStart(64, "0"), "hex");
      return `${header}.${payload}.${Buffer.concat([bytes.subarray(0, 32), flipped]).toString("base64url")}`;
    }
  }
}

describe("another encoding of a revoked token", () => {
  const issuers = () =>
    [
      ["RS256", fixture.identity],
      ["ES256", fixture.partner],
    ] as const;

  it.each(["padding", "low-bits"] as const)(
    "%s: refused as malformed by the endpoint and the check, for RS256 and ES256",
    async (variant) => {
      for (const [, identity] of issuers()) {
        const token = await identity.mint("valid", { jti: undefined });
        const other = variantOf(token, variant);
        expect(other).not.toBe(token);
        expect(reasonOf(await check(other))).toBe("Malformed token");
        expect(reasonOf(await logout(other, "scope=global"))).toBe("Malformed token");
        expect((await check(token)).statusCode).toBe(200);
      }
    },
  );

  it("ES256's second signature (r, n-s) verifies, and is revoked with the token, both ways", async () => {
    const token = await fixture.partner.mint("valid", { jti: undefined });
    const twin = variantOf(token, "high-s");
    expect((await check(twin)).statusCode).toBe(200);

    expect((await logout(token)).statusCode).toBe(200);
    expect(reasonOf(await check(twin))).toBe("Token has been revoked");
    expect(reasonOf(await logout(twin, "scope=global"))).toBe("Token has been revoked");

    // Another signed token (the same claims in the same second would be the same one).
    const second = await fixture.partner.mint("valid", { jti: undefined, sub: "another" });
    expect((await logout(variantOf(second, "high-s"))).statusCode).toBe(200);
    expect(reasonOf(await check(second))).toBe("Token has been revoked");
  });

  it.each([1, 2, 4, 8])(
    "an ES256 signature %i characters too long or short is a 401, never a 503",
    async (delta) => {
      const token = await fixture.partner.mint("valid");
      const [header, payload, signature = ""] = token.split(".");
      for (const other of [`${signature}${"A".repeat(delta)}`, signature.slice(0, -delta)]) {
        const response = await check(`${header}.${payload}.${other}`);
        expect(response.statusCode).toBe(401);
        expect(reasonOf(response)).toMatch(/^(Malformed token|Invalid token signature)$/);
      }
    },
  );

  it("no encoding of a logged-out token is ever accepted again (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 1),
        fc.array(
          fc.record({
            variant: fc.constantFrom<Variant>("padding", "low-bits", "high-s"),
            pick: fc.nat(30),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        fc.constantFrom("", "scope=global", "scope=others"),
        async (issuer, changes, query) => {
          const identity = issuer === 0 ? fixture.identity : fixture.partner;
          const token = await identity.mint("valid", {
            jti: undefined,
            sub: crypto.randomUUID(),
            iat: now() - 30,
            auth_time: now() - 30,
          });
          const revokedSelf = query !== "scope=others";
          expect((await logout(token, query)).statusCode).toBe(200);
          let text = token;
          for (const { variant, pick } of changes) {
            // ECDSA's twin only exists for ES256; RS256 signatures have no second form.
            if (variant === "high-s" && issuer === 0) continue;
            text = variantOf(text, variant, pick);
          }
          // The oracle: the twin is the same signed token; any other text is not a JWS at all.
          const signature = text.split(".")[2] ?? "";
          const canonical =
            !text.includes("=") &&
            Buffer.from(signature, "base64url").toString("base64url") === signature;
          for (const answer of [await check(text), await logout(text, "scope=global")]) {
            if (!canonical) expect(reasonOf(answer)).toBe("Malformed token");
            // Canonical, but perhaps no longer the same signature: refused, for one reason or another.
            else if (revokedSelf) expect(answer.statusCode).toBe(401);
          }
          if (canonical && !revokedSelf) expect((await check(text)).statusCode).toBe(401);
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe("a token that lives longer than revocations are kept", () => {
  it("is refused with its own reason; a token without iat, whose age is unknown, is refused", async () => {
    const long = await fixture.identity.mint("valid", {
      iat: now() - 10,
      exp: now() - 10 + MAX_LIFETIME + 1,
    });
    expect(reasonOf(await check(long))).toBe("Token lifetime exceeds the maximum");
    expect(reasonOf(await logout(long))).toBe("Token lifetime exceeds the maximum");
    const noIat = await fixture.identity.mint("valid", {
      iat: undefined,
      exp: now() + MAX_LIFETIME + 60,
    });
    expect(reasonOf(await check(noIat))).toBe("Token has no issue time");
    expect(reasonOf(await logout(noIat, "scope=global"))).toBe("Token has no issue time");
  });

  it("a token of the longest allowed lifetime stays refused until its own expiry", async () => {
    const sub = crypto.randomUUID();
    const issued = now() - 10;
    const token = await fixture.identity.mint("valid", {
      sub,
      iat: issued,
      exp: issued + MAX_LIFETIME,
    });
    const start = now();
    fixture.clock.pinned = start;
    expect((await logout(token, "scope=global")).statusCode).toBe(200);
    // The store's clock at the last second the token (and its leeway) can be used.
    fixture.clock.pinned = issued + MAX_LIFETIME + 5 - 1;
    try {
      expect(reasonOf(await check(token))).toBe("Token has been revoked");
    } finally {
      fixture.clock.pinned = undefined;
    }
  });

  const MAX_SESSION = 30 * 24 * 3600;

  it("a revoked session with auth_time stays revoked until the session is too old to be accepted", async () => {
    const session = crypto.randomUUID();
    const signedIn = now() - 100;
    const token = await fixture.identity.mint("valid", {
      origin_jti: session,
      auth_time: signedIn,
    });
    fixture.clock.pinned = now();
    try {
      expect((await logout(token)).statusCode).toBe(200);
      // Refreshed at the end of the session's life: a new iat, the same sign-in.
      const late = signedIn + MAX_SESSION;
      const refreshedLate = await fixture.identity.mint("valid", {
        origin_jti: session,
        auth_time: signedIn,
        iat: late - 10,
        exp: late + 3000,
      });
      fixture.clock.pinned = late;
      expect(reasonOf(await check(refreshedLate))).toBe("Token has been revoked");
      fixture.clock.pinned = late + 1;
      expect(reasonOf(await check(refreshedLate))).toBe("Session exceeds the maximum age");
    } finally {
      fixture.clock.pinned = undefined;
    }
  });

  it("a revoked session without auth_time stays revoked for as long as its refresh token can mint tokens", async () => {
    const session = crypto.randomUUID();
    const token = await fixture.identity.mint("valid", { origin_jti: session });
    const start = now();
    fixture.clock.pinned = start;
    try {
      expect((await logout(token)).statusCode).toBe(200);
      // A refresh token that lives the whole bound, minting one last token of the longest life.
      const late = start + MAX_SESSION + MAX_LIFETIME;
      const refreshedLate = await fixture.identity.mint("valid", {
        origin_jti: session,
        iat: late - MAX_LIFETIME,
        exp: late,
      });
      // The last second that token is accepted: its expiry plus the clock leeway.
      fixture.clock.pinned = late + 5;
      expect(reasonOf(await check(refreshedLate))).toBe("Token has been revoked");
    } finally {
      fixture.clock.pinned = undefined;
    }
  });
});

describe("a token from the future", () => {
  it("is refused past the clock leeway, accepted within it", async () => {
    const ahead = await fixture.identity.mint("valid", { iat: now() + 60 });
    expect(reasonOf(await check(ahead))).toBe("Token issued in the future");
    expect(reasonOf(await logout(ahead, "scope=global"))).toBe("Token issued in the future");
    expect((await check(await fixture.identity.mint("valid", { iat: now() + 3 }))).statusCode).toBe(
      200,
    );
  });

  it("cannot sign its user out and stay valid: a global logout covers the leeway", async () => {
    const sub = crypto.randomUUID();
    const ahead = await fixture.identity.mint("valid", { sub, iat: now() + 4 });
    const behind = await fixture.identity.mint("valid", { sub, iat: now() - 60 });
    expect((await logout(ahead, "scope=global")).statusCode).toBe(200);
    expect(reasonOf(await check(ahead))).toBe("Token has been revoked");
    expect(reasonOf(await check(behind))).toBe("Token has been revoked");
  });
});

describe("a retried logout", () => {
  const withKey = (token: string, key: string, query = "") =>
    fixture.logout.invoke(bearer(token, query, { "Idempotency-Key": key }));

  it.each(["", "scope=global", "scope=others"])(
    "with the same Idempotency-Key gets the 200 it was owed (%s); without one, 401",
    async (query) => {
      const token = await fixture.identity.mint("valid", {
        sub: crypto.randomUUID(),
        iat: now() - 10,
        auth_time: now() - 10,
      });
      const key = crypto.randomUUID();
      expect((await withKey(token, key, query)).statusCode).toBe(200);
      expect((await withKey(token, key, query)).statusCode).toBe(200);
      if (query !== "scope=others") {
        expect(reasonOf(await withKey(token, crypto.randomUUID(), query))).toBe(
          "Token has been revoked",
        );
        expect(reasonOf(await logout(token, query))).toBe("Token has been revoked");
      }
    },
  );

  it("the key of another token's logout does not pass for it", async () => {
    const sub = crypto.randomUUID();
    const [first, second] = [
      await fixture.identity.mint("valid", { sub, iat: now() - 10, auth_time: now() - 10 }),
      await fixture.identity.mint("valid", { sub, iat: now() - 10, auth_time: now() - 10 }),
    ];
    expect((await withKey(first, "shared-key", "scope=global")).statusCode).toBe(200);
    expect(reasonOf(await withKey(second, "shared-key", "scope=global"))).toBe(
      "Token has been revoked",
    );
    expect(reasonOf(await withKey(second, "shared-key", "scope=others"))).toBe(
      "Token has been revoked",
    );
  });

  it.each(["", " ", "a".repeat(256), "tab\there", "é"])(
    "refuses the key %j with 400",
    async (key) => {
      const response = await withKey(await fixture.identity.mint(), key);
      expect(response.statusCode).toBe(400);
      expect(reasonOf(response)).toMatch(/Idempotency-Key/);
    },
  );
});

describe("query parameters", () => {
  it.each([
    "SCOPE=global",
    "Scope=global",
    "scope[]=global",
    "scope%5B%5D=global",
    "scopes=global",
    "x=1",
  ])("%s is a 400 naming the parameter, and nothing is revoked", async (query) => {
    const token = await fixture.identity.mint();
    const response = await logout(token, query);
    expect(response.statusCode).toBe(400);
    expect(reasonOf(response)).toMatch(
      /^Unknown query parameter "[^"]+": the only one is "scope"$/,
    );
    expect((await check(token)).statusCode).toBe(200);
  });
});
