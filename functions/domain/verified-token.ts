/**
 * A token the verifier let through: what the modules that act on a token (revocation, the
 * logout's core, the authorizer) take, without depending on how it was verified. Also what a
 * session is, since every revocation is stated in terms of sessions.
 */
import type { JwtPayload } from "aws-jwt-verify/jwt-model";
import { nonEmptyString } from "./values.js";

/** What the verifier guarantees of every token it lets through. */
export type TokenClaims = JwtPayload & { iss: string; exp: number; iat: number };

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

/**
 * How far the issuer's clock may run ahead of ours: `nbf` and `exp` are read with this much
 * grace, and an `iat` or `auth_time` later than now plus this is refused.
 */
export const CLOCK_LEEWAY_SECONDS = 5;

/**
 * The ids every token of one sign-in shares, refreshes included: Cognito's `origin_jti`, and
 * OpenID Connect's `sid`, each where present (a token may carry both, and a sibling token of the
 * same sign-in only one). Empty: the issuer names no session, and each token is its own.
 */
export function sessionIds(claims: TokenClaims): string[] {
  const ids = [claims.origin_jti, claims.sid].filter(nonEmptyString);
  return ids[0] === ids[1] ? ids.slice(0, 1) : ids;
}

/**
 * When the token's session began: `auth_time`, the sign-in, which Cognito and most OpenID
 * Connect issuers keep across refreshes; else `iat`, which a refresh moves (so a revocation by
 * time cannot reach tokens that a refresh token the issuer keeps alive mints later).
 */
export function sessionStart(claims: TokenClaims): number {
  return typeof claims.auth_time === "number" ? claims.auth_time : claims.iat;
}
