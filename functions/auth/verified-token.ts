/**
 * A token the verifier let through: what the modules that act on a token (revocation, the
 * logout's core, the authorizer) take, without depending on how it was verified.
 */
import type { JwtPayload } from "aws-jwt-verify/jwt-model";

/** What the verifier guarantees of every token it lets through. */
export type TokenClaims = JwtPayload & { iss: string; exp: number };

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
