/**
 * The logout itself, knowing nothing of Lambda or API Gateway: a verified token and what the
 * request asks in, the contract's success body out, or an error that says why not. The only
 * module that reads `scope`: it maps it onto the operations the store and Cognito expose.
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

/**
 * Upstream first, then the local record: if either fails, the access token is still valid
 * here, so the client can retry with it, and the upstream step treats "already signed out"
 * as done. A token that any revocation covers gets `TokenRevokedError`, whatever the scope.
 */
export async function logOut(
  token: VerifiedToken,
  { scope, refreshToken, idempotencyKey }: LogoutRequest,
  { revocations, upstream }: LogoutDependencies,
): Promise<typeof LOGGED_OUT> {
  // Retries of one logout share its id; without a key from the client, every request is new.
  const logoutId = idempotencyKey === undefined ? randomUUID() : `${scope}:${idempotencyKey}`;
  if (scope === "local") {
    if (refreshToken !== undefined) await upstream?.revokeRefreshToken(token, refreshToken);
    // Checks and records in one round trip.
    await revocations?.revokeToken(token, logoutId);
    return LOGGED_OUT;
  }
  if (typeof token.claims.sub !== "string" || token.claims.sub === "") throw new NoSubjectError();
  // A revoked token must not get to sign its user out anywhere: checked before anything moves.
  await revocations?.assertNotRevokedBefore(token, logoutId);
  if (scope === "global") await upstream?.signOutEverywhere(token);
  else if (refreshToken !== undefined) await upstream?.revokeRefreshToken(token, refreshToken);
  await revocations?.revokeUserTokens(token, { keepOwnSession: scope === "others", logoutId });
  return LOGGED_OUT;
}
