/**
 * The logout itself, knowing nothing of Lambda or API Gateway: a verified token and what the
 * request asks in, its outcome out (logged out, or a replay of a logout already done), or an
 * error that says why not. The only module that acts on `scope`: it maps it onto the operations
 * the store and Cognito expose. The contract's success body (`LOGGED_OUT`) is the same for both.
 */
import { randomUUID } from "node:crypto";
import { NoSubjectError } from "../domain/errors.js";
import type {
  LogoutOutcome,
  LogoutScope,
  RevocationRecorder,
  UpstreamSignOut,
} from "../domain/ports.js";
import type { VerifiedToken } from "../domain/verified-token.js";

export const LOGGED_OUT = { success: true, message: "Logged out successfully" } as const;

export interface LogoutRequest {
  scope: LogoutScope;
  refreshToken: string | undefined;
  idempotencyKey: string | undefined;
}

export interface LogoutDependencies {
  /** undefined: revocation is off, and logout is the contract's stateless one. */
  revocations: RevocationRecorder | undefined;
  /** The identity provider's own sign-out (Cognito), where configured. */
  upstream: UpstreamSignOut | undefined;
}

/**
 * The identity provider's part of a logout, if any. `others` has none: Cognito cannot sign
 * out all sessions but one, and the body's refresh token is the session being kept; the other
 * sessions are refused everywhere by their start (`auth_time`), refreshes included.
 */
function upstreamStep(
  scope: LogoutScope,
  refreshToken: string | undefined,
  upstream: UpstreamSignOut | undefined,
): ((token: VerifiedToken) => Promise<void>) | undefined {
  if (upstream === undefined) return undefined;
  if (scope === "global") return (token) => upstream.signOutEverywhere(token);
  if (scope === "local" && refreshToken !== undefined) {
    return (token) => upstream.revokeRefreshToken(token, refreshToken);
  }
  return undefined;
}

/**
 * Upstream first, then the local record: if either fails, the access token is still valid
 * here, so the client can retry with it. Before anything upstream, the store says whether the
 * token may still act and whether this logout is a replay: a refused token, or a replay, causes
 * no upstream call. A token that any revocation covers gets `TokenRevokedError`, whatever the
 * scope.
 */
export async function logOut(
  token: VerifiedToken,
  { scope, refreshToken, idempotencyKey }: LogoutRequest,
  { revocations, upstream }: LogoutDependencies,
): Promise<LogoutOutcome> {
  if (scope !== "local" && (typeof token.claims.sub !== "string" || token.claims.sub === "")) {
    throw new NoSubjectError();
  }
  // Retries of one logout share its id; without a key from the client, every request is new.
  const logoutId = idempotencyKey === undefined ? randomUUID() : `${scope}:${idempotencyKey}`;
  const upstreamSignOut = upstreamStep(scope, refreshToken, upstream);
  if (upstreamSignOut !== undefined) {
    if ((await revocations?.claimLogout(token, logoutId)) === "replayed") return "replayed";
    await upstreamSignOut(token);
  }
  if (revocations === undefined) return "logged_out";
  const recorded =
    scope === "local"
      ? await revocations.revokeSession(token, logoutId)
      : await revocations.revokeUserSessions(token, {
          keepOwnSession: scope === "others",
          logoutId,
        });
  return recorded === "recorded" ? "logged_out" : recorded;
}
