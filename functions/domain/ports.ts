/**
 * The ports: what the logout's core, the authorizer and the HTTP edge ask of the verifier, the
 * revocation store and the identity provider, without knowing how any of them works. Each
 * throws the classes of `errors.ts`.
 */
import type { VerifiedToken } from "./verified-token.js";

/** Checks a JWT: `InvalidTokenError` for the token's faults, `DependencyUnavailableError` else. */
export type VerifyToken = (token: string) => Promise<VerifiedToken>;

/** `local`: this token (and its session); `global`: every session of the user; `others`: all but this one. */
export type LogoutScope = "local" | "global" | "others";

export const LOGOUT_SCOPES: readonly LogoutScope[] = ["local", "global", "others"];

/** Every function that accepts bearer tokens: throws `TokenRevokedError` for a revoked one. */
export interface RevocationCheck {
  assertNotRevoked(token: VerifiedToken): Promise<void>;
}

/**
 * What a logout did: `replayed`, the same logout (its Idempotency-Key) was done before;
 * `unchanged`, what it asks was revoked already (an `others` said again), and nothing was written.
 */
export type LogoutOutcome = "logged_out" | "replayed" | "unchanged";

/**
 * What a logout's write found: `recorded`, it is done now; `replayed`, this very logout (the
 * same `logoutId`) was done before, and nothing changed; `unchanged`, an earlier revocation
 * covers all it asks, and nothing was written.
 */
export type LogoutRecord = "recorded" | "replayed" | "unchanged";

/**
 * The logout's side: records revocations, by session. `logoutId` names one logout, retries
 * included: the same id from the same session is a replay, which changes nothing and answers as
 * the first did. Every method throws `TokenRevokedError` for a token another revocation covers.
 */
export interface RevocationRecorder extends RevocationCheck {
  /**
   * The step before a logout acts anywhere else (the identity provider): `new` where this
   * request may go on, holding the logout's claim for a few seconds so that no replay racing it
   * calls the identity provider too; `replayed` when this logout was recorded already and
   * nothing more may happen (answered as every replay is). `LogoutInProgressError` while
   * another request of the same logout holds the claim.
   */
  claimLogout(token: VerifiedToken, logoutId: string): Promise<"new" | LogoutRecord>;
  /**
   * Revokes the token's session (every token it has minted and will mint), or the token alone
   * where the issuer names no session. A covered token is refused, its record made anyway.
   */
  revokeSession(token: VerifiedToken, logoutId: string): Promise<LogoutRecord>;
  /**
   * Revokes every session of the token's user (`sub` required) that began up to now, or, where
   * `keepOwnSession`, every one that began in a second before the token's own session
   * (`SessionStartUnknownError` without `auth_time`). Never narrows what an earlier revocation
   * covered. A revocation at now resolves once a session begun after it can be told apart by
   * its start, by the issuer's clock too; one that covers nothing new resolves at once.
   */
  revokeUserSessions(
    token: VerifiedToken,
    options: { keepOwnSession: boolean; logoutId: string },
  ): Promise<LogoutRecord>;
}

/** The operator's side: a user signed out with no token of theirs (account takeover). */
export interface OperatorRevocation {
  /**
   * Every session of `sub` at `iss` that began up to now, as a global logout does; the same
   * `logoutId` again is a replay. Resolves when a global logout does. `reason`: the operator's,
   * as logged, which the revocation's event carries.
   */
  revokeUser(
    user: { iss: string; sub: string },
    logoutId: string,
    reason?: string,
  ): Promise<LogoutRecord>;
}

/** A session the identity provider ended: its `sid`, and its user where it names one. */
export interface ProviderSession {
  iss: string;
  sub?: string;
  sid: string;
}

/** Who began an identity provider's sign-out (CAEP's `initiating_entity`), and what it was. */
export interface ProviderOrigin {
  initiator: "user" | "admin" | "system";
  /** What the provider did, as the event says it: `Cognito AdminDisableUser`. */
  reason: string;
}

/** A user signed out at the identity provider at `at` (epoch seconds): by `sub`, or by name. */
export interface ProviderUserSignOut {
  at: number;
  sub?: string;
  username?: string;
  origin: ProviderOrigin;
}

/** What an identity provider's sign-out did: revoked something new, or nothing (it was already). */
export type ProviderRecord = Extract<LogoutRecord, "recorded" | "unchanged">;

/**
 * The identity provider's side: sign-outs made there (an OpenID Connect back-channel logout, a
 * Cognito pool's own actions), in force here too. `recorded`: it revoked something new;
 * `unchanged`: what it asks was revoked already (the same message again, or our own logout's
 * sign-out reported back), and nothing was written.
 */
export interface ProviderRevocation {
  /** Every token of the session, refreshes included. `messageId`: the provider's (a `jti`). */
  endProviderSession(
    session: ProviderSession,
    messageId: string,
    origin: ProviderOrigin,
  ): Promise<ProviderRecord>;
  /** Every session of the user that began in a second before `at` (epoch seconds). */
  endProviderUserSessions(
    user: { iss: string; sub: string },
    at: number,
    origin: ProviderOrigin,
  ): Promise<ProviderRecord>;
}

/** The identity provider's own sign-out (Cognito's), so its refresh tokens mint nothing more. */
export interface UpstreamSignOut {
  /** Ends every session of the token's user: no refresh token of theirs mints tokens again. */
  signOutEverywhere(token: VerifiedToken): Promise<void>;
  /** Revokes one refresh token of the token's app client. */
  revokeRefreshToken(token: VerifiedToken, refreshToken: string): Promise<void>;
}

/** The identity provider's administrator side: a user signed out, or found, by name. */
export interface UpstreamUserAdmin {
  /** Ends every session of the user at the provider (Cognito: AdminUserGlobalSignOut). */
  signOutUser(username: string): Promise<void>;
  /** The user's `sub`, or undefined where the provider knows no such user. */
  subjectOf(username: string): Promise<string | undefined>;
}
