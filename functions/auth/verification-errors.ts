/**
 * aws-jwt-verify's errors, and Node's crypto's, in the domain's terms: the token's own faults
 * are `InvalidTokenError`s with one stable, safe reason each; failing to check it (the issuer's
 * keys cannot be had, or cannot be used) is a `SigningKeysUnavailableError`; a key id the JWKS
 * lacked a moment ago is a `SigningKeyNotYetKnownError`.
 */
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
  NonRetryableFetchError,
  ParameterValidationError,
  WaitPeriodNotYetEndedJwkError,
} from "aws-jwt-verify/error";
import {
  InvalidTokenError,
  SigningKeyNotYetKnownError,
  SigningKeysUnavailableError,
} from "../domain/errors.js";

import { JWKS_REFETCH_WAIT_SECONDS } from "./signing-keys.js";

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

/** Node's crypto refusing to verify with a key (an RS256 signature against an Ed25519 key). */
const isCryptoFailure = (error: unknown) =>
  /^ERR_(CRYPTO|OSSL)_/.test(String((error as { code?: unknown } | null)?.code));

/**
 * The library's classes this module tells apart, by their names: a minified bundle renames
 * classes, and the name is what a log line gives as its `cause`. Another class is named as the
 * nearest of these it extends (`JwtBaseError` at least), never by its minified name.
 */
const LIBRARY_ERROR_NAMES = new Map<unknown, string>(
  Object.entries({
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
    // What the fetcher throws for a JWKS answered with another status than 200.
    NonRetryableFetchError,
    ParameterValidationError,
    WaitPeriodNotYetEndedJwkError,
  }).map(([name, errorClass]) => [errorClass, name]),
);

function libraryErrorName(error: JwtBaseError): string {
  let errorClass: unknown = error.constructor;
  while (!LIBRARY_ERROR_NAMES.has(errorClass)) errorClass = Object.getPrototypeOf(errorClass);
  return LIBRARY_ERROR_NAMES.get(errorClass) as string;
}

/** Maps a verification failure onto the domain's errors; those pass unchanged. */
export function classifyVerificationError(error: unknown): Error {
  if (error instanceof JwtBaseError) error.name = libraryErrorName(error);
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
