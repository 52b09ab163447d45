/**
 * Verifies a JWT with aws-jwt-verify and turns each of its error classes into one stable,
 * safe reason: the token's own faults are `InvalidTokenError`s; failing to check it (the
 * issuer's keys cannot be had, or cannot be used) is a `SigningKeysUnavailableError`. On top of
 * the library's checks, those that revocation relies on: one encoding per signed token, an
 * `iat`, a bounded lifetime, a bounded session age, and no `iat` or `auth_time` from the future.
 */
import { createPublicKey } from "node:crypto";
import { CognitoJwtVerifier, JwtVerifier } from "aws-jwt-verify";
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  FetchError,
  JwkInvalidKtyError,
  JwkInvalidUseError,
  JwksNotAvailableInCacheError,
  JwksValidationError,
  JwkValidationError,
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidClaimError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
  ParameterValidationError,
  WaitPeriodNotYetEndedJwkError,
} from "aws-jwt-verify/error";
import { SimpleFetcher } from "aws-jwt-verify/https";
import {
  type Jwk,
  type JwksCache,
  type PenaltyBox,
  SimpleJwksCache,
  SimplePenaltyBox,
} from "aws-jwt-verify/jwk";
import type { JwtPayload } from "aws-jwt-verify/jwt-model";
import type { VerifierConfig } from "../config/config.js";
import { WAIT_BUDGETS } from "../config/wait-budgets.js";
import { type Clock, systemClock } from "../domain/clock.js";
import {
  ConfigurationError,
  InvalidTokenError,
  SigningKeyNotYetKnownError,
  SigningKeysUnavailableError,
} from "../domain/errors.js";
import type { VerifyToken } from "../domain/ports.js";
import {
  CLOCK_LEEWAY_SECONDS,
  sessionStart,
  type TokenClaims,
  VerifiedToken,
} from "../domain/verified-token.js";

// Ordered: subclasses before the classes they extend.
const TOKEN_FAULTS: ReadonlyArray<readonly [abstract new (...args: never[]) => Error, string]> = [
  [JwtExpiredError, "Token expired"],
  [JwtNotBeforeError, "Token not yet valid"],
  [JwtInvalidIssuerError, "Invalid token issuer"],
  [JwtInvalidAudienceError, "Invalid token audience"],
  [CognitoJwtInvalidClientIdError, "Token was not issued to an allowed client"],
  [CognitoJwtInvalidTokenUseError, "Invalid token use"],
  [JwtInvalidClaimError, "Invalid token claims"],
  [JwtInvalidSignatureAlgorithmError, "Unsupported token algorithm"],
  // A key the issuer publishes for encryption: no token it signed names it.
  [JwkInvalidUseError, "Invalid token signature"],
  [JwtInvalidSignatureError, "Invalid token signature"],
  [JwtWithoutValidKidError, "Token has no valid key id"],
  [KidNotFoundInJwksError, "Unknown signing key"],
  [JwtParseError, "Malformed token"],
  // Raised while verifying only for the token's `iss`: none, or one no verifier is set up for
  // (a Cognito verifier looks its issuer up before checking claims).
  [ParameterValidationError, "Invalid token issuer"],
];

/**
 * How long an unknown `kid` waits for the next JWKS fetch (the library's penalty box): the
 * JWKS endpoint is not fetched on every forged key id, and a key just rotated in is known after.
 */
export const JWKS_REFETCH_WAIT_SECONDS = 10;

/** Node's crypto refusing to verify with a key (an RS256 signature against an Ed25519 key). */
const isCryptoFailure = (error: unknown) =>
  /^ERR_(CRYPTO|OSSL)_/.test(String((error as { code?: unknown } | null)?.code));

/** Maps a verification failure onto the domain's errors; those pass unchanged. */
export function classifyVerificationError(error: unknown): Error {
  if (error instanceof InvalidTokenError || error instanceof SigningKeysUnavailableError) {
    return error;
  }
  if (error instanceof WaitPeriodNotYetEndedJwkError) {
    return new SigningKeyNotYetKnownError(JWKS_REFETCH_WAIT_SECONDS, { cause: error });
  }
  if (
    error instanceof FetchError ||
    error instanceof JwksNotAvailableInCacheError ||
    error instanceof JwksValidationError ||
    error instanceof JwkValidationError ||
    // Raised for the key's kty (the library checks it before the token's alg): an `oct` key.
    error instanceof JwkInvalidKtyError
  ) {
    return new SigningKeysUnavailableError("Signing keys unavailable", { cause: error });
  }
  // The key is usable (checked when it was found) yet the signature cannot be checked with it:
  // the token's alg and the key's type disagree, or the signature has the wrong length.
  if (isCryptoFailure(error)) {
    return new InvalidTokenError("Invalid token signature", { cause: error });
  }
  for (const [errorClass, reason] of TOKEN_FAULTS) {
    if (error instanceof errorClass) return new InvalidTokenError(reason, { cause: error });
  }
  if (error instanceof JwtBaseError)
    return new InvalidTokenError("Invalid token", { cause: error });
  // Not the token's fault (a JWKS fetch that failed in an unforeseen way, a bug): say so.
  return new SigningKeysUnavailableError("Token verification unavailable", { cause: error });
}

const BASE64URL_TEXT = /^[A-Za-z0-9_-]+$/;
/** The key material of each key type (RFC 7518 §6): base64url text, all of it. */
const KEY_MATERIAL: Readonly<Record<string, readonly string[]>> = {
  RSA: ["n", "e"],
  EC: ["x", "y"],
  OKP: ["x"],
};

/**
 * Refuses a key that no token could ever be verified with: a type no JWS signature uses
 * (`oct`), key material that is not base64url (Node would decode it leniently into another key,
 * and every valid token would fail as badly signed), a key Node cannot import. That is the
 * issuer's fault, not the token's: 503, and an alarm at the authorizer.
 */
function assertUsableKey(jwk: Jwk): void {
  const material = KEY_MATERIAL[String(jwk.kty)];
  const readable =
    material?.every((name) => typeof jwk[name] === "string" && BASE64URL_TEXT.test(jwk[name])) ??
    false;
  try {
    if (readable) createPublicKey({ key: jwk as never, format: "jwk" });
  } catch (error) {
    throw new SigningKeysUnavailableError("Signing key unusable", { cause: error });
  }
  if (!readable) throw new SigningKeysUnavailableError("Signing key unusable");
}

/** The library's cache, which checks each key it hands out once (by identity) for use. */
class UsableKeysJwksCache extends SimpleJwksCache {
  readonly #usable = new WeakSet<Jwk>();

  override async getJwk(...args: Parameters<JwksCache["getJwk"]>): ReturnType<JwksCache["getJwk"]> {
    const jwk = await super.getJwk(...args);
    if (!this.#usable.has(jwk)) {
      assertUsableKey(jwk);
      this.#usable.add(jwk);
    }
    return jwk;
  }
}

/** Pinned keys never change: an unknown kid is unknown for good, and is refused at once. */
const NEVER_WAIT: PenaltyBox = {
  wait: async () => {},
  registerFailedAttempt: () => {},
  registerSuccessfulAttempt: () => {},
};

function jwksCache(config: VerifierConfig, jwksFetchMs: number): SimpleJwksCache {
  if (config.jwksPinned && config.jwks) {
    // Pinned keys: a token with another kid is refused (401) without any network call.
    const pinned = new TextEncoder().encode(JSON.stringify(config.jwks)).buffer as ArrayBuffer;
    return new UsableKeysJwksCache({
      fetcher: { fetch: async () => pinned },
      penaltyBox: NEVER_WAIT,
    });
  }
  // A socket idle for the whole try is as good as a try that ran out.
  const fetcher = new SimpleFetcher({
    defaultRequestOptions: { timeout: jwksFetchMs, responseTimeout: jwksFetchMs },
  });
  return new UsableKeysJwksCache({
    fetcher: {
      async fetch(uri) {
        const body = await fetcher.fetch(uri);
        assertJwksHasKeys(body);
        return body;
      },
    },
    penaltyBox: new SimplePenaltyBox({ waitSeconds: JWKS_REFETCH_WAIT_SECONDS }),
  });
}

/**
 * The library accepts a JWKS without keys, and then calls every token's key unknown (401).
 * A JWKS endpoint that publishes no key is broken, not the tokens: make it the library's own
 * validation error, which is a 503. Runs once per fetch, not per token.
 */
function assertJwksHasKeys(body: ArrayBuffer): void {
  let keys: unknown;
  try {
    keys = (JSON.parse(new TextDecoder().decode(body)) as { keys?: unknown } | null)?.keys;
  } catch {
    return; // not JSON: the library says so in its own words
  }
  if (Array.isArray(keys) && keys.length === 0) throw new JwksValidationError("JWKS has no keys");
}

// Three base64url segments without padding: the only encoding RFC 7515 §7.1 allows.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)$/;
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** By the signature's length mod 4: the bits of its last character that encode nothing. */
const UNUSED_BITS = [0, -1, 0b1111, 0b11];

/**
 * Refuses the other texts of one signed token that decoders let through: `=` padding, and
 * unused low bits of the last signature character set. Each would otherwise be a new token
 * text; revocation keys do not depend on the text, but one token, one text is cheaper to reason
 * about. (An ECDSA signature's second form `(r, n-s)` is valid and cannot be refused without
 * refusing issuers that produce it: the revocation key ignores the signature for that reason.)
 */
function assertCanonicalEncoding(token: string): void {
  const signature = COMPACT_JWS.exec(token)?.[1];
  const unused = UNUSED_BITS[(signature?.length ?? 1) % 4] as number;
  if (
    signature === undefined ||
    unused < 0 ||
    (BASE64URL.indexOf(signature.at(-1) as string) & unused) !== 0
  ) {
    throw new InvalidTokenError("Malformed token");
  }
}

type RevocableLimits = Pick<
  VerifierConfig,
  "maxTokenLifetimeSeconds" | "maxSessionSeconds" | "requireAuthTime"
>;

/** The checks revocation relies on, after the signature and the library's claim checks. */
function assertRevocable(claims: JwtPayload, limits: RevocableLimits, now: number): TokenClaims {
  // A token that never expires can be neither trusted for a logout nor revoked for a while.
  if (typeof claims.exp !== "number") {
    throw new InvalidTokenError("Token has no expiry");
  }
  if (typeof claims.iss !== "string") throw new InvalidTokenError("Invalid token issuer");
  // Without iat neither its lifetime nor its place before or after a revocation can be known.
  if (typeof claims.iat !== "number") throw new InvalidTokenError("Token has no issue time");
  if (claims.auth_time === undefined) {
    if (limits.requireAuthTime) throw new InvalidTokenError("Token has no auth_time");
  } else if (typeof claims.auth_time !== "number" || claims.auth_time > claims.iat) {
    // A sign-in cannot come after the token it issued: a revocation by time would miss it.
    throw new InvalidTokenError("Invalid token claims");
  }
  // The library has read exp already, on the system's clock; this reads it on the one given.
  if (claims.exp + CLOCK_LEEWAY_SECONDS < now) throw new InvalidTokenError("Token expired");
  if (claims.iat > now + CLOCK_LEEWAY_SECONDS) {
    throw new InvalidTokenError("Token issued in the future");
  }
  // Revocations are kept as long as a token may live: one that lives longer would outlive them.
  if (claims.exp - claims.iat > limits.maxTokenLifetimeSeconds) {
    throw new InvalidTokenError("Token lifetime exceeds the maximum");
  }
  // And as long as a session may mint tokens: an older session would outlive its revocation.
  const verified = claims as TokenClaims;
  if (now - sessionStart(verified) > limits.maxSessionSeconds) {
    throw new InvalidTokenError("Session exceeds the maximum age");
  }
  return verified;
}

function createVerifier(config: VerifierConfig, jwksFetchMs: number) {
  const cache = { jwksCache: jwksCache(config, jwksFetchMs) };
  const verifier =
    config.kind === "cognito"
      ? CognitoJwtVerifier.create(
          {
            userPoolId: config.userPoolId,
            clientId: config.clientId,
            tokenUse: config.tokenUse,
            graceSeconds: CLOCK_LEEWAY_SECONDS,
          },
          cache,
        )
      : JwtVerifier.create(
          {
            issuer: config.issuer,
            audience: config.audience,
            jwksUri: config.jwksUri,
            graceSeconds: CLOCK_LEEWAY_SECONDS,
          },
          cache,
        );
  if (config.jwks) {
    try {
      for (const key of config.jwks.keys) assertUsableKey(key as Jwk);
      verifier.cacheJwks(config.jwks as never);
    } catch (error) {
      const problem = (error as Error).cause ?? error;
      throw new ConfigurationError("JWKS", `is not a valid JWKS: ${(problem as Error).message}`);
    }
  }
  return verifier;
}

export interface TokenVerifierOptions {
  /** For this module's own checks; the library reads `exp` and `nbf` on the system's. */
  clock?: Pick<Clock, "now">;
  /** One try at the JWKS (the library tries twice). */
  jwksFetchMs?: number;
}

export function createTokenVerifier(
  config: VerifierConfig,
  { clock = systemClock, jwksFetchMs = WAIT_BUDGETS.jwksFetchMs }: TokenVerifierOptions = {},
): VerifyToken {
  const verifier = createVerifier(config, jwksFetchMs);
  return async (token) => {
    assertCanonicalEncoding(token);
    let claims: JwtPayload;
    try {
      claims = await verifier.verify(token);
    } catch (error) {
      throw classifyVerificationError(error);
    }
    return new VerifiedToken(token, assertRevocable(claims, config, clock.now()));
  };
}
