/**
 * Verifies a JWT with aws-jwt-verify and turns each of its error classes into one stable,
 * safe reason. A token's own fault is a 401; failing to check it (JWKS unreachable) is a 503.
 */
import { CognitoJwtVerifier, JwtVerifier } from "aws-jwt-verify";
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  FetchError,
  JwkInvalidKtyError,
  JwkInvalidUseError,
  JwksNotAvailableInCacheError,
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

export type TokenClaims = JwtPayload & { exp: number };

/** A verified token. The raw value is a private field, so no log or JSON of it holds the token. */
export class VerifiedToken {
  readonly #value: string;

  constructor(
    value: string,
    readonly claims: TokenClaims,
  ) {
    this.#value = value;
  }

  /** The raw token: for hashing and for the identity provider, never for a log. */
  reveal(): string {
    return this.#value;
  }
}

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
  // Raised while verifying only for the token's `iss`: none, or one no verifier is set up for
  // (a Cognito verifier looks its issuer up before checking claims).
  [ParameterValidationError, "Invalid token issuer"],
];

/** Maps a verification failure to the problem the client is told about. */
export function classifyVerificationError(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof FetchError || error instanceof JwksNotAvailableInCacheError) {
    return new ServiceUnavailableError("Signing keys unavailable", { cause: error });
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
  return new SimpleJwksCache({
    fetcher: new SimpleFetcher({ defaultRequestOptions: JWKS_FETCH_TIMEOUTS }),
  });
}

function createVerifier(config: VerifierConfig) {
  const cache = { jwksCache: jwksCache(config) };
  const verifier =
    config.kind === "cognito"
      ? CognitoJwtVerifier.create(
          { userPoolId: config.userPoolId, clientId: config.clientId, tokenUse: config.tokenUse },
          cache,
        )
      : JwtVerifier.create(
          { issuer: config.issuer, audience: config.audience, jwksUri: config.jwksUri },
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

export function createTokenVerifier(config: VerifierConfig): VerifyToken {
  const verifier = createVerifier(config);
  return async (token) => {
    let claims: JwtPayload;
    try {
      claims = await verifier.verify(token);
    } catch (error) {
      throw classifyVerificationError(error);
    }
    // A token that never expires can be neither trusted for a logout nor revoked for a while.
    if (typeof claims.exp !== "number") {
      throw new AuthenticationError("Token has no expiry", true);
    }
    return new VerifiedToken(token, claims as TokenClaims);
  };
}
