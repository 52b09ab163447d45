/**
 * The logout itself, knowing nothing of Lambda or API Gateway: a verified token and what the
 * request asks in, its outcome out (logged out, or a replay of a logout already done), or an
 * error that says why not. The only module that reads `scope`: it maps it onto the operations
 * the store and Cognito expose. The contract's success body (`LOGGED_OUT`) is the same for both.
 */
import { randomUUID } from "node:crypto";
import type { VerifiedToken } from "../auth/verified-token.js";
import type { UpstreamSignOut } from "../cognito/cognito-sign-out.js";
import { ValidationError } from "../http/problems.js";
import {
  LOGOUT_SCOPES,
  type LogoutScope,
  NoSubjectError,
  type RevocationRecorder,
} from "../revocation/revocation.js";

export const LOGGED_OUT = { success: true, message: "Logged out successfully" } as const;

/** The one query parameter the endpoint takes; any other, in any case or form, is refused. */
const SCOPE_PARAMETER = "scope";

export function parseLogoutScope(query: Readonly<Record<string, readonly string[]>>): LogoutScope {
  for (const name of Object.keys(query)) {
    if (name !== SCOPE_PARAMETER) {
      // `SCOPE=global` or `scope[]=global` must not quietly become a local logout.
      throw new ValidationError(
        `Unknown query parameter "${printable(name)}": the only one is "scope"`,
      );
    }
  }
  const values = query[SCOPE_PARAMETER] ?? [];
  if (values.length === 0) return "local";
  const [scope] = values;
  if (values.length > 1 || !LOGOUT_SCOPES.includes(scope as LogoutScope)) {
    throw new ValidationError('Query parameter "scope" must be one of: local, global, others');
  }
  return scope as LogoutScope;
}

/** A client's text, safe to echo in a reason: short, and visible ASCII only. */
function printable(text: string): string {
  const visible = text.replace(/[^\x20-\x7e]/g, "?");
  return visible.length > 40 ? `${visible.slice(0, 40)}…` : visible;
}

/**
 * The optional body, an extension of the contract for Cognito: `{"refreshToken": "…"}`, the
 * refresh token of this session, to revoke at Cognito as well. No body, no refresh token.
 */
export function parseLogoutBody(body: string | undefined): { refreshToken: string | undefined } {
  if (body === undefined || body.trim() === "") return { refreshToken: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new ValidationError("The request body must be JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ValidationError("The request body must be a JSON object");
  }
  const { refreshToken } = parsed as { refreshToken?: unknown };
  if (refreshToken !== undefined && (typeof refreshToken !== "string" || refreshToken === "")) {
    throw new ValidationError('"refreshToken" must be a non-empty string');
  }
  return { refreshToken };
}

// Visible ASCII, as a UUID or any client-made id is; bounded, since it is hashed into a record.
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The optional `Idempotency-Key` header: a client that retries a logout whose answer it lost
 * (a timeout, a 503 after the write landed) sends the same key, and gets the 200 it was owed
 * instead of 401 "Token has been revoked".
 */
export function parseIdempotencyKey(values: readonly string[]): string | undefined {
  if (values.length === 0) return undefined;
  const [key] = values;
  if (values.length > 1 || key === undefined || !IDEMPOTENCY_KEY.test(key)) {
    throw new ValidationError(
      'Header "Idempotency-Key" must be one value of 1 to 255 visible ASCII characters',
    );
  }
  return key;
}

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

/** `replayed`: the same logout (its Idempotency-Key) was done before; nothing changed now. */
export type LogoutOutcome = "logged_out" | "replayed";

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
    if ((await revocations?.findLogout(token, logoutId)) === "replayed") return "replayed";
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
  return recorded === "replayed" ? "replayed" : "logged_out";
}
