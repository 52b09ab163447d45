/**
 * The checks revocation relies on, on top of the library's: one encoding per signed token, an
 * `iat`, a bounded lifetime, a bounded session age, and no `iat` or `auth_time` from the future.
 */
import type { JwtPayload } from "aws-jwt-verify/jwt-model";
import type { VerifierConfig } from "../config/config.js";
import { InvalidTokenError } from "../domain/errors.js";
import { CLOCK_LEEWAY_SECONDS, sessionStart, type TokenClaims } from "../domain/verified-token.js";

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** By the signature's length mod 4: the bits of its last character that encode nothing. */
const UNUSED_BITS = [0, -1, 0b1111, 0b11];

/**
 * Refuses the other texts of one signed token that decoders let through: `=` padding, and
 * unused low bits of the last signature character set. Each would otherwise be a new token
 * text; revocation keys do not depend on the text, but one token, one text is cheaper to reason
 * about. (An ECDSA signature's second form `(r, n-s)` is valid and cannot be refused without
 * refusing issuers that produce it: the revocation key ignores the signature for that reason.)
 * The rest of RFC 7515 §7.1's form, three base64url segments, is the library's first check
 * (aws-jwt-verify's JWT_REGEX, which allows only the padding refused here): the token is
 * scanned once, not twice, on every request.
 */
export function assertCanonicalEncoding(token: string): void {
  const signature = token.slice(token.lastIndexOf(".") + 1);
  const unused = UNUSED_BITS[signature.length % 4] as number;
  if (
    token.includes("=") ||
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
export function assertRevocable(
  claims: JwtPayload,
  limits: RevocableLimits,
  now: number,
): TokenClaims {
  // A Security Event Token (a back-channel logout token) tells of a sign-out; it grants nothing.
  if (claims.events !== undefined) throw new InvalidTokenError("Invalid token use");
  // A token that never expires can be neither trusted for a logout nor revoked for a while.
  if (typeof claims.exp !== "number") {
    throw new InvalidTokenError("Token has no expiry");
  }
  if (typeof claims.iss !== "string") throw new InvalidTokenError("Invalid token issuer");
  // Without iat neither its lifetime nor its place before or after a revocation can be known.
  if (typeof claims.iat !== "number") throw new InvalidTokenError("Token has no issue time");
  // The library has read exp already, on the system's clock; this reads it on the one given,
  // first, as the library does: an expired token is "expired" whatever else it lacks.
  if (claims.exp + CLOCK_LEEWAY_SECONDS < now) throw new InvalidTokenError("Token expired");
  if (claims.auth_time === undefined) {
    if (limits.requireAuthTime) throw new InvalidTokenError("Token has no auth_time");
  } else if (typeof claims.auth_time !== "number" || claims.auth_time > claims.iat) {
    // A sign-in cannot come after the token it issued: a revocation by time would miss it.
    throw new InvalidTokenError("Invalid token claims");
  }
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
