/**
 * Verifies a JWT with aws-jwt-verify and turns each of its error classes into one stable,
 * safe reason. A token's own fault is a 401; failing to check it (the issuer's keys cannot be
 * had, or make no sense) is a 503. On top of the library's checks, those that revocation relies
 * on: one encoding per signed token, an `iat`, a bounded lifetime, a bounded session age, and no
 * `iat` or `auth_time` from the future.
 */
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
import { SimpleJwksCache } from "aws-jwt-verify/jwk";
import type { JwtPayload } from "aws-jwt-verify/jwt-model";
import { ConfigurationError, type VerifierConfig } from "../config.js";
import { AuthenticationError, HttpProblem, ServiceUnavailableError } from "../http/problems.js";
import {
  CLOCK_LEEWAY_SECONDS,
  sessionStart,
  type TokenClaims,
  VerifiedToken,
} from "./verified-token.js";

export { type TokenClaims, VerifiedToken };

/** Seconds since the epoch, fractional: the checks of this module read it (tests move it). */
export type Clock = () => number;
const systemClock: Clock = () => Date.now() / 1000;

export type VerifyToken = (token: string) => Promise<VerifiedToken>;

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
  [JwkInvalidKtyError, "Unsupported token algorithm"],
  [JwkInvalidUseError, "Invalid token signature"],
  [JwtInvalidSignatureError, "Invalid token signature"],
  [JwtWithoutValidKidError, "Token has no valid key id"],
  [KidNotFoundInJwksError, "Unknown signing key"],
  // The kid is unknown and the JWKS was fetched too recently to fetch it again.
  [WaitPeriodNotYetEndedJwkError, "Unknown signing key"],
  [JwtParseError, "Malformed token"],
  // JWKS and JWK validation errors are the issuer's keys' fault, not the token's: 503 above.
  // Raised while verifying only for the token's `iss`: none, or one no verifier is set up for
  // (a Cognito verifier looks its issuer up before checking claims).
  [ParameterValidationError, "Invalid token issuer"],
];

/** Maps a verification failure to the problem the client is told about. */
export function classifyVerificationError(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (
    error instanceof FetchError ||
    error instanceof JwksNotAvailableInCacheError ||
    error instanceof JwksValidationError ||
    error instanceof JwkValidationError
  ) {
    return new ServiceUnavailableError("Signing keys unavailable", { cause: error });
  }
  // Node's ECDSA verify throws, rather than answers false, for a signature of the wrong length.
  if ((error as { code?: unknown } | null)?.code === "ERR_CRYPTO_OPERATION_FAILED") {
    return new AuthenticationError("Invalid token signature", true, { cause: error });
  }
  for (const [errorClass, reason] of TOKEN_FAULTS) {
    if (error instanceof errorClass) return new AuthenticationError(reason, true, { cause: error });
  }
  if (error instanceof JwtBaseError) {
    return new AuthenticationError("Invalid token", true, { cause: error });
  }
  // Not the token's fault (a JWKS fetch that failed in an unforeseen way, a bug): say so.
  return new ServiceUnavailableError("Token verification unavailable", { cause: error });
}

// A failing JWKS endpoint costs at most two tries of 1.5 s (the library retries once), well
// inside the function's timeout, instead of the library's default 2 x 3 s.
const JWKS_FETCH_TIMEOUTS = { timeout: 1000, responseTimeout: 1500 };

function jwksCache(config: VerifierConfig): SimpleJwksCache {
  if (config.jwksPinned && config.jwks) {
    // Pinned keys: a token with another kid is refused (401) without any network call.
    const pinned = new TextEncoder().encode(JSON.stringify(config.jwks)).buffer as ArrayBuffer;
    return new SimpleJwksCache({ fetcher: { fetch: async () => pinned } });
  }
  const fetcher = new SimpleFetcher({ defaultRequestOptions: JWKS_FETCH_TIMEOUTS });
  return new SimpleJwksCache({
    fetcher: {
      async fetch(uri) {
        const body = await fetcher.fetch(uri);
        assertJwksHasKeys(body);
        return body;
      },
    },
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
    throw new AuthenticationError("Malformed token", true);
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
    throw new AuthenticationError("Token has no expiry", true);
  }
  if (typeof claims.iss !== "string") throw new AuthenticationError("Invalid token issuer", true);
  // Without iat neither its lifetime nor its place before or after a revocation can be known.
  if (typeof claims.iat !== "number")
    throw new AuthenticationError("Token has no issue time", true);
  if (claims.auth_time === undefined) {
    if (limits.requireAuthTime) throw new AuthenticationError("Token has no auth_time", true);
  } else if (typeof claims.auth_time !== "number" || claims.auth_time > claims.iat) {
    // A sign-in cannot come after the token it issued: a revocation by time would miss it.
    throw new AuthenticationError("Invalid token claims", true);
  }
  // The library has read exp already, on the system's clock; this reads it on the one given.
  if (claims.exp + CLOCK_LEEWAY_SECONDS < now) throw new AuthenticationError("Token expired", true);
  if (claims.iat > now + CLOCK_LEEWAY_SECONDS) {
    throw new AuthenticationError("Token issued in the future", true);
  }
  // Revocations are kept as long as a token may live: one that lives longer would outlive them.
  if (claims.exp - claims.iat > limits.maxTokenLifetimeSeconds) {
    throw new AuthenticationError("Token lifetime exceeds the maximum", true);
  }
  // And as long as a session may mint tokens: an older session would outlive its revocation.
  const verified = claims as TokenClaims;
  if (now - sessionStart(verified) > limits.maxSessionSeconds) {
    throw new AuthenticationError("Session exceeds the maximum age", true);
  }
  return verified;
}

function createVerifier(config: VerifierConfig) {
  const cache = { jwksCache: jwksCache(config) };
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
      verifier.cacheJwks(config.jwks as never);
    } catch (error) {
      throw new ConfigurationError("JWKS", `is not a valid JWKS: ${(error as Error).message}`);
    }
  }
  return verifier;
}

/** @param clock for this module's own checks; the library reads `exp` and `nbf` on the system's. */
export function createTokenVerifier(
  config: VerifierConfig,
  clock: Clock = systemClock,
): VerifyToken {
  const verifier = createVerifier(config);
  return async (token) => {
    assertCanonicalEncoding(token);
    let claims: JwtPayload;
    try {
      claims = await verifier.verify(token);
    } catch (error) {
      throw classifyVerificationError(error);
    }
    return new VerifiedToken(token, assertRevocable(claims, config, clock()));
  };
}
