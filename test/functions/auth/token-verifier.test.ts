/**
 * The verifier on its own, on a clock the test sets: every refusal's reason and that it says a
 * token was sent (the header a client reads), the boundaries of each time check, the algorithms
 * an issuer may sign with, inline keys beside a JWKS URI, and the classifier's answer for each
 * of the library's error classes, those it does not name included.
 */
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
import {
  classifyVerificationError,
  createTokenVerifier,
  type VerifyToken,
} from "../../../functions/auth/token-verifier.js";
import { loadConfig } from "../../../functions/config.js";
import {
  AuthenticationError,
  type HttpProblem,
  ServiceUnavailableError,
} from "../../../functions/http/problems.js";
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
    () => clock,
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

async function refusal(token: string, using = verify): Promise<HttpProblem | undefined> {
  try {
    await using(token);
    return undefined;
  } catch (error) {
    return error as HttpProblem;
  }
}

/** The reason of a refused token, which must say that a token was sent. */
async function reasonFor(token: string, using = verify): Promise<string | undefined> {
  const error = await refusal(token, using);
  if (error === undefined) return undefined;
  expect(error).toBeInstanceOf(AuthenticationError);
  expect((error as AuthenticationError).tokenSent).toBe(true);
  expect(error.headers()).toEqual({ "WWW-Authenticate": 'Bearer error="invalid_token"' });
  return error.reason;
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
    const token = await rs256.sign(claims());
    const { exp } = claims();
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

  it("a JWKS endpoint slower than the fetch budget (1.5 s an answer) is a 503, not a wait", async () => {
    const slow = await signer("RS256", "slow");
    jwks.answer(200, JSON.stringify({ keys: [slow.jwk] }), "application/json", 2000);
    const viaUri = createTokenVerifier(
      loadConfig({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWKS_URI: jwks.uri }).verifier,
    );
    const error = await refusal(await slow.sign(claims()), viaUri);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error?.reason).toBe("Signing keys unavailable");
  }, 20_000);
});

describe("classifyVerificationError", () => {
  it.each([
    [new JwtParseError("x"), "Malformed token"],
    [new JwkInvalidKtyError("x", "oct", "RSA"), "Unsupported token algorithm"],
    [new JwkInvalidUseError("x", "enc", "sig"), "Invalid token signature"],
    [new JwtInvalidSignatureError("x"), "Invalid token signature"],
    [new JwtWithoutValidKidError("x"), "Token has no valid key id"],
    [new JwtInvalidScopeError("x", "a", "b"), "Invalid token claims"],
    [new NotSupportedError("x"), "Invalid token"],
    [
      Object.assign(new Error("x"), { code: "ERR_CRYPTO_OPERATION_FAILED" }),
      "Invalid token signature",
    ],
  ])("%s: a 401 naming its reason, the library's error as its cause", (error, reason) => {
    const problem = classifyVerificationError(error);
    expect(problem).toBeInstanceOf(AuthenticationError);
    expect(problem.reason).toBe(reason);
    expect((problem as AuthenticationError).tokenSent).toBe(true);
    expect(problem.cause).toBe(error);
  });

  it.each([
    [new FetchError("https://x", "down"), "Signing keys unavailable"],
    [new JwksValidationError("x"), "Signing keys unavailable"],
    [new TypeError("a bug in the fetch"), "Token verification unavailable"],
  ])("%s: a 503 (we could not check), its cause kept for the log", (error, reason) => {
    const problem = classifyVerificationError(error);
    expect(problem).toBeInstanceOf(ServiceUnavailableError);
    expect(problem.reason).toBe(reason);
    expect(problem.cause).toBe(error);
  });
});
