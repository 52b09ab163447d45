/**
 * The vocabulary that the logout, the authorizer and the revocation store share: what a logout
 * may revoke, the two interfaces over the store, and the store's own errors. It knows nothing
 * of HTTP: `http/problems.ts` maps these errors onto the contract's statuses.
 */
import type { VerifiedToken } from "../auth/verified-token.js";

/** `local`: this token (and its session); `global`: every session of the user; `others`: all but this one. */
export type LogoutScope = "local" | "global" | "others";

export const LOGOUT_SCOPES: readonly LogoutScope[] = ["local", "global", "others"];

/** A revocation covers the token: it must be refused, everywhere. */
export class TokenRevokedError extends Error {
  constructor() {
    super("Token has been revoked");
    this.name = "TokenRevokedError";
  }
}

/** The token cannot be revoked for all of a user's sessions: it names no user (`sub`). */
export class NoSubjectError extends Error {
  constructor() {
    super("Token has no subject to sign out");
    this.name = "NoSubjectError";
  }
}

/** The store could not answer (unreachable, throttled, slow): nothing may be assumed. */
export class RevocationStoreUnavailableError extends Error {
  constructor(options: { cause: unknown }) {
    super("Revocation store unavailable", options);
    this.name = "RevocationStoreUnavailableError";
  }
}

/** Every function that accepts bearer tokens: throws `TokenRevokedError` for a revoked one. */
export interface RevocationCheck {
  assertNotRevoked(token: VerifiedToken): Promise<void>;
}

/**
 * The logout's side: records revocations. `logoutId` names one logout, retries included: a
 * revocation made under the same id by the same token's session is that logout's own, so a retry
 * whose first answer was lost is recognised, not refused as a second logout.
 */
export interface RevocationRecorder extends RevocationCheck {
  /** The check before a logout moves the user's revocations: its own earlier write does not count. */
  assertNotRevokedBefore(token: VerifiedToken, logoutId: string): Promise<void>;
  /**
   * Revokes this token, or its whole session where it has one, until it can no longer be used.
   * Throws `TokenRevokedError` when another revocation already covered it: the record is made
   * either way, in the same round trip as the check.
   */
  revokeToken(token: VerifiedToken, logoutId: string): Promise<void>;
  /**
   * Revokes every token of the token's user issued up to now, but those of this token's own
   * session where `keepOwnSession`. The caller has checked the token first.
   */
  revokeUserTokens(
    token: VerifiedToken,
    options: { keepOwnSession: boolean; logoutId: string },
  ): Promise<void>;
}
