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

/**
 * The store refuses what this deployment asks of it (no such table, no permission): retrying
 * cannot help, so it is no 503; someone must fix the deployment.
 */
export class RevocationStoreMisconfiguredError extends Error {
  constructor(options: { cause: unknown }) {
    super("Revocation store misconfigured", options);
    this.name = "RevocationStoreMisconfiguredError";
  }
}

/** Every function that accepts bearer tokens: throws `TokenRevokedError` for a revoked one. */
export interface RevocationCheck {
  assertNotRevoked(token: VerifiedToken): Promise<void>;
}

/**
 * What a logout's write found: `recorded`, it is done now; `replayed`, this very logout (the
 * same `logoutId`) was done before, and nothing changed.
 */
export type LogoutRecord = "recorded" | "replayed";

/**
 * The logout's side: records revocations, by session. `logoutId` names one logout, retries
 * included: the same id from the same session is a replay, which changes nothing and answers as
 * the first did. Every method throws `TokenRevokedError` for a token another revocation covers.
 */
export interface RevocationRecorder extends RevocationCheck {
  /**
   * The check before a logout acts anywhere else (the identity provider): `new`, or
   * `replayed` when this logout was already recorded and nothing more may happen.
   */
  findLogout(token: VerifiedToken, logoutId: string): Promise<"new" | LogoutRecord>;
  /**
   * Revokes the token's session (every token it has minted and will mint), or the token alone
   * where the issuer names no session. A covered token is refused, its record made anyway.
   */
  revokeSession(token: VerifiedToken, logoutId: string): Promise<LogoutRecord>;
  /**
   * Revokes every session of the token's user that began up to now (`sub` required), but the
   * token's own where `keepOwnSession`. Never narrows what an earlier revocation covered.
   * Resolves once a session begun after it can be told apart by its start (the next second).
   */
  revokeUserSessions(
    token: VerifiedToken,
    options: { keepOwnSession: boolean; logoutId: string },
  ): Promise<LogoutRecord>;
}
