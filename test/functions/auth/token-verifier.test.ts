/**
 * The verifier on its own, on a clock the test sets: every refusal's reason and that it says a
 * token was sent (the header a client reads), the boundaries of each time check, the algorithms
 * an issuer may sign with, inline keys beside a JWKS URI, and the classifier's answer for each
 * of the library's error classes, those it does not name included.
 */

import * as libraryErrors from "aws-jwt-verify/error";
import {
  FetchError,
  JwkInvalidKtyError,
  JwkInvalidUseError,
  JwksValidationError,
  JwtInvalidScopeError,
  JwtInvalidSignatureError,
  JwtParseError,
  JwtWithoutValidKidError,
  NotSupportedError,
} from "aws-jwt-verify/error";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { JWKS_REFETCH_WAIT_SECONDS } from "../../../functions/auth/signing-keys.js";
import { createTokenVerifier } from "../../../functions/auth/token-verifier.js";
import { classifyVerificationError } from "../../../functions/auth/verification-errors.js";
import { loadConfig } from "../../../functions/config/config.js";
import {
  InvalidTokenError,
  SigningKeyNotYetKnownError,
  SigningKeysUnavailableError,
} from "../../../functions/domain/errors.js";
import type { VerifyToken } from "../../../functions/domain/ports.js";
import { toProblem } from "../../../functions/http/problems.js";
import { type JwksServer, startJwksServer } from "../../support/jwks-server.js";

const ISSUER = "https://issuer.rinne.local.invalid";
const AUDIENCE = "rinne-api";
const LIFETIME = 3600;
const SESSION = 7200;

interface Signer {
  alg: string;
  kid: string;
  jwk: JWK;
  sign(claims: JWTPayload, header?: Record<string, unknown>): Promise<string>;
}

async function signer(alg: string, kid: string, modulusLength?: number): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(modulusLength ? { modulusLength } : {}),
  });
  return {
    alg,
    kid,
    jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" },
    sign: (claims, header = {}) =>
      new SignJWT(claims).setProtectedHeader({ alg, kid, typ: "JWT", ...header }).sign(privateKey),
  };
}

const realNow = () => Math.floor(Date.now() / 1000);
let clock = realNow();
let rs256: Signer;
let verify: VerifyToken;

const verifierFor = (keys: Signer[], environment: Record<string, string> = {}) =>
  createTokenVerifier(
    loadConfig({
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      JWKS: JSON.stringify({ keys: keys.map(({ jwk }) => jwk) }),
      MAX_TOKEN_LIFETIME_SECONDS: String(LIFETIME),
      MAX_SESSION_SECONDS: String(SESSION),
      ...environment,
    }).verifier,
    { clock: { now: () => clock } },
  );

/** Claims the library accepts on the real clock; the verifier's own checks read `clock`. */
const claims = (extra: Record<string, unknown> = {}): JWTPayload => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: "user-1",
  iat: realNow(),
  exp: realNow() + 600,
  ...extra,
});

async function refusal(token: string, using = verify): Promise<Error | undefined> {
  try {
    await using(token);
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

/** The reason of a refused token, which must say that a token was sent. */
async function reasonFor(token: string, using = verify): Promise<string | undefined> {
  const error = await refusal(token, using);
  if (error === undefined) return undefined;
  expect(error).toBeInstanceOf(InvalidTokenError);
  expect(toProblem(error).headers).toEqual({ "WWW-Authenticate": 'Bearer error="invalid_token"' });
  return error.message;
}

beforeAll(async () => {
  rs256 = await signer("RS256", "rs256");
  verify = verifierFor([rs256]);
});
beforeEach(() => {
  clock = realNow();
});

describe("the checks revocation relies on, on the verifier's clock", () => {
  it("exp: accepted up to exp plus the leeway, refused a second later", async () => {
    // One set of claims for the token and its exp: a second may tick between two calls.
    const signed = claims();
    const token = await rs256.sign(signed);
    const { exp } = signed;
    clock = (exp as number) + 5;
    expect(await reasonFor(token)).toBeUndefined();
    clock = (exp as number) + 6;
    expect(await reasonFor(token)).toBe("Token expired");
    clock = realNow();
  });

  it("iat: accepted up to now plus the leeway, refused beyond; and required", async () => {
    clock = realNow();
    expect(await reasonFor(await rs256.sign(claims({ iat: clock + 5 })))).toBeUndefined();
    expect(await reasonFor(await rs256.sign(claims({ iat: clock + 6 })))).toBe(
      "Token issued in the future",
    );
    expect(await reasonFor(await rs256.sign(claims({ iat: undefined })))).toBe(
      "Token has no issue time",
    );
  });

  it("lifetime: exactly the maximum is accepted, a second more refused", async () => {
    const iat = realNow();
    expect(await reasonFor(await rs256.sign(claims({ iat, exp: iat + LIFETIME })))).toBeUndefined();
    expect(await reasonFor(await rs256.sign(claims({ iat, exp: iat + LIFETIME + 1 })))).toBe(
      "Token lifetime exceeds the maximum",
    );
  });

  it("session age: auth_time up to the bound ago is accepted, a second older refused; else by iat", async () => {
    const iat = realNow();
    clock = iat;
    const signedIn = (authTime: number) => rs256.sign(claims({ iat, auth_time: authTime }));
    expect(await reasonFor(await signedIn(iat - SESSION))).toBeUndefined();
    expect(await reasonFor(await signedIn(iat - SESSION - 1))).toBe(
      "Session exceeds the maximum age",
    );
  });

  it("auth_time: a number no later than iat, and required where the stage says so", async () => {
    const iat = realNow();
    expect(await reasonFor(await rs256.sign(claims({ iat, auth_time: iat })))).toBeUndefined();
    for (const authTime of [iat + 1, "yesterday", null]) {
      expect(
        await reasonFor(await rs256.sign(claims({ iat, auth_time: authTime }))),
        String(authTime),
      ).toBe("Invalid token claims");
    }
    const strict = verifierFor([rs256], { REQUIRE_AUTH_TIME: "true" });
    expect(await reasonFor(await rs256.sign(claims()), strict)).toBe("Token has no auth_time");
    expect(await reasonFor(await rs256.sign(claims({ auth_time: iat })), strict)).toBeUndefined();
  });

  it("exp: required", async () => {
    expect(await reasonFor(await rs256.sign(claims({ exp: undefined })))).toBe(
      "Token has no expiry",
    );
  });
});

describe("the algorithms an issuer may sign with", () => {
  it.each([
    ["ES384", undefined],
    ["ES512", undefined],
    ["RS384", 3072],
    ["RS512", 4096],
  ])(
    "%s tokens verify (signatures of every length the encoding check must allow)",
    async (alg, modulusLength) => {
      const key = await signer(alg, `key-${alg}`, modulusLength);
      // A 4096-bit key takes seconds to make on a loaded machine: the verifier's clock is set
      // after it, or the token's iat would lie beyond the leeway of a clock set before it.
      clock = realNow();
      const token = await key.sign(claims());
      expect(await reasonFor(token, verifierFor([key]))).toBeUndefined();
      // And any other signature of the same length is refused as a signature, not a format.
      const [header, payload, signature = ""] = token.split(".");
      const other = `${header}.${payload}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`;
      expect(await reasonFor(other, verifierFor([key]))).toBe("Invalid token signature");
    },
    30_000,
  );

  it("a signature of a length no byte string encodes to (4n + 1 characters) is malformed", async () => {
    const token = await rs256.sign(claims());
    const length = (token.split(".")[2] ?? "").length;
    const extra = "A".repeat((((1 - length) % 4) + 4) % 4);
    expect((length + extra.length) % 4).toBe(1);
    expect(await reasonFor(`${token}${extra}`)).toBe("Malformed token");
  });
});

describe("keys", () => {
  let jwks: JwksServer;
  beforeAll(async () => {
    jwks = await startJwksServer();
  });
  afterAll(async () => {
    await jwks.close();
  });

  it("inline keys beside a JWKS URI: the inline ones serve without a fetch, others are fetched", async () => {
    const fetched = await signer("RS256", "fetched");
    jwks.answer(500, "down");
    const both = verifierFor([rs256], { JWKS_URI: jwks.uri });
    expect(await reasonFor(await rs256.sign(claims()), both)).toBeUndefined();
    expect(jwks.fetches()).toBe(0);
    jwks.answer(200, JSON.stringify({ keys: [fetched.jwk] }));
    expect(await reasonFor(await fetched.sign(claims()), both)).toBeUndefined();
    expect(jwks.fetches()).toBe(1);
  });

  it("inline keys alone are pinned: another kid is refused without any fetch", async () => {
    const stranger = await signer("RS256", "stranger");
    expect(await reasonFor(await stranger.sign(claims()))).toBe("Unknown signing key");
  });

  it("a JWKS endpoint slower than the fetch budget is a 503 after two tries, not a wait", async () => {
    const slow = await signer("RS256", "slow");
    const jwksFetchMs = 300;
    jwks.answer(200, JSON.stringify({ keys: [slow.jwk] }), "application/json", jwksFetchMs * 4);
    const viaUri = createTokenVerifier(
      loadConfig({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWKS_URI: jwks.uri }).verifier,
      { jwksFetchMs },
    );
    const fetchesBefore = jwks.fetches();
    const error = await refusal(await slow.sign(claims()), viaUri);
    expect(error).toBeInstanceOf(SigningKeysUnavailableError);
    expect(error?.message).toBe("Signing keys unavailable");
    expect(jwks.fetches() - fetchesBefore).toBe(2);
  });
});

describe("a key that cannot be used is the issuer's fault; a signature that cannot be checked, the token's", () => {
  let jwks: JwksServer;
  beforeAll(async () => {
    jwks = await startJwksServer();
  });
  afterAll(async () => {
    await jwks.close();
  });
  const fetching = () =>
    createTokenVerifier(
      loadConfig({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWKS_URI: jwks.uri }).verifier,
    );

  // Each breaks the key the token names, and nothing else: a valid user's token meets it.
  const BROKEN: ReadonlyArray<readonly [string, (jwk: JWK) => Record<string, unknown>]> = [
    ["kty oct", ({ kid }) => ({ kty: "oct", k: "c2VjcmV0", kid, use: "sig" })],
    ["an unknown kty", (jwk) => ({ ...jwk, kty: "XYZ" })],
    ["n with characters base64url lacks", (jwk) => ({ ...jwk, n: `${jwk.n}+/` })],
    ["n padded", (jwk) => ({ ...jwk, n: `${jwk.n}==` })],
    ["n that is not text", (jwk) => ({ ...jwk, n: "!!!" })],
    ["e not base64url", (jwk) => ({ ...jwk, e: "AQ AB" })],
    [
      "an EC key on an unknown curve",
      ({ kid }) => ({ kty: "EC", crv: "P-999", x: "AAAA", y: "AAAA", kid }),
    ],
  ];

  it.each(BROKEN)(
    "%s: 503 Signing key unusable, for a token the issuer really signed",
    async (_name, breakKey) => {
      jwks.answer(200, JSON.stringify({ keys: [breakKey(rs256.jwk)] }));
      const error = await refusal(await rs256.sign(claims()), fetching());
      expect(error).toBeInstanceOf(SigningKeysUnavailableError);
      expect(toProblem(error).status).toBe(503);
    },
  );

  it.each(BROKEN)("%s inline: the cold start fails, naming JWKS", (_name, breakKey) => {
    expect(() => verifierFor([{ ...rs256, jwk: breakKey(rs256.jwk) as JWK }])).toThrow(
      /Invalid configuration: JWKS/,
    );
  });

  // Keys published without `alg`: the library lets any alg of the token meet any key type.
  const KEY_TYPES = [
    ["RS256", undefined],
    ["ES256", undefined],
    ["ES384", undefined],
    ["EdDSA", undefined],
  ] as const;
  const TOKEN_ALGS = ["RS256", "RS384", "ES256", "ES512", "EdDSA"];
  const pairs = KEY_TYPES.flatMap(([keyAlg]) =>
    TOKEN_ALGS.filter((alg) => alg !== keyAlg).map((alg) => [keyAlg, alg] as const),
  );

  it.each(pairs)(
    "a %s key without alg and a token that says %s: 401 Invalid token signature, never a 503",
    async (keyAlg, tokenAlg) => {
      const key = await signer(keyAlg, "no-alg");
      const { alg: _alg, ...withoutAlg } = key.jwk;
      const other = await signer(tokenAlg, "no-alg");
      const forged = await other.sign(claims());
      expect(await reasonFor(forged, verifierFor([{ ...key, jwk: withoutAlg }]))).toBe(
        "Invalid token signature",
      );
    },
    30_000,
  );

  it("an unknown kid just after a fetch: retry (503, Retry-After of the wait), not a 401 for good", async () => {
    const known = await signer("RS256", "known");
    const rotated = await signer("RS256", "rotated-in");
    jwks.answer(200, JSON.stringify({ keys: [known.jwk] }));
    const viaUri = fetching();
    const fetchesBefore = jwks.fetches();
    // The first meeting fetches, and the JWKS does not hold the key yet: a plain unknown key.
    expect(await reasonFor(await rotated.sign(claims()), viaUri)).toBe("Unknown signing key");
    jwks.answer(200, JSON.stringify({ keys: [known.jwk, rotated.jwk] }));
    const error = await refusal(await rotated.sign(claims()), viaUri);
    expect(error).toBeInstanceOf(SigningKeyNotYetKnownError);
    const problem = toProblem(error);
    expect(problem.status).toBe(503);
    expect(problem.headers).toEqual({ "Retry-After": String(JWKS_REFETCH_WAIT_SECONDS) });
    expect(jwks.fetches()).toBe(fetchesBefore + 1);
  });

  it("an unknown kid with pinned keys is refused every time: those keys never change", async () => {
    const stranger = await signer("RS256", "stranger");
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect(await reasonFor(await stranger.sign(claims()))).toBe("Unknown signing key");
    }
  });
});

describe("classifyVerificationError", () => {
  it.each([
    [new JwtParseError("x"), "Malformed token"],
    [new JwkInvalidUseError("x", "enc", "sig"), "Invalid token signature"],
    [new JwtInvalidSignatureError("x"), "Invalid token signature"],
    [new JwtWithoutValidKidError("x"), "Token has no valid key id"],
    [new JwtInvalidScopeError("x", "a", "b"), "Invalid token claims"],
    [new NotSupportedError("x"), "Invalid token"],
    [
      Object.assign(new Error("x"), { code: "ERR_CRYPTO_OPERATION_FAILED" }),
      "Invalid token signature",
    ],
    [
      Object.assign(new Error("x"), { code: "ERR_CRYPTO_UNSUPPORTED_OPERATION" }),
      "Invalid token signature",
    ],
    [
      Object.assign(new Error("x"), { code: "ERR_OSSL_EVP_BAD_SIGNATURE" }),
      "Invalid token signature",
    ],
  ])(
    "%s: the token's fault, naming its reason, the library's error as its cause",
    (error, reason) => {
      const classified = classifyVerificationError(error);
      expect(classified).toBeInstanceOf(InvalidTokenError);
      expect(classified.message).toBe(reason);
      expect(classified.cause).toBe(error);
    },
  );

  it.each([
    [new FetchError("https://x", "down"), "Signing keys unavailable"],
    [new JwksValidationError("x"), "Signing keys unavailable"],
    [new JwkInvalidKtyError("x", "oct", "RSA"), "Signing keys unavailable"],
    [new TypeError("a bug in the fetch"), "Token verification unavailable"],
    [
      Object.assign(new Error("x"), { code: "ERR_INVALID_ARG_TYPE" }),
      "Token verification unavailable",
    ],
  ])("%s: we could not check (503), its cause kept for the log", (error, reason) => {
    const classified = classifyVerificationError(error);
    expect(classified).toBeInstanceOf(SigningKeysUnavailableError);
    expect(classified.message).toBe(reason);
    expect(classified.cause).toBe(error);
  });

  it("names every library error as exported, or as the nearest it extends, minified or not", () => {
    const exportNames = new Map<unknown, string>(
      Object.entries(libraryErrors).map(([name, errorClass]) => [errorClass, name]),
    );
    const namesOf = (errorClass: unknown): string[] =>
      exportNames.has(errorClass)
        ? [exportNames.get(errorClass) as string, ...namesOf(Object.getPrototypeOf(errorClass))]
        : [];
    const named = new Map<string, string>();
    for (const [exported, value] of Object.entries(libraryErrors)) {
      const errorClass = value as unknown as new (...args: string[]) => Error;
      if (typeof errorClass !== "function" || !(errorClass.prototype instanceof Error)) continue;
      // As a minifier leaves it: the class's own name a letter.
      const own = Object.getOwnPropertyDescriptor(errorClass, "name") as PropertyDescriptor;
      Object.defineProperty(errorClass, "name", { value: "e" });
      try {
        const error = Reflect.construct(errorClass, ["m", "a", "b"]) as Error;
        classifyVerificationError(error);
        expect(namesOf(errorClass)).toContain(error.name);
        named.set(exported, error.name);
      } finally {
        Object.defineProperty(errorClass, "name", own);
      }
    }
    // Those a request meets: named exactly (an expired token, a JWKS endpoint's 500).
    for (const exported of [
      "JwtExpiredError",
      "NonRetryableFetchError",
      "KidNotFoundInJwksError",
    ]) {
      expect(named.get(exported)).toBe(exported);
    }
  });

  it("passes the domain's errors through as they are", () => {
    for (const error of [
      new InvalidTokenError("Token expired"),
      new SigningKeysUnavailableError("Signing key unusable"),
    ]) {
      expect(classifyVerificationError(error)).toBe(error);
    }
  });
});
