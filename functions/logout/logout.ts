/**
 * The logout itself, knowing nothing of Lambda or API Gateway: a verified token and a scope in,
 * the contract's success body out, or an error that says why not.
 */
import type { RevocationCheck } from "../auth/require-valid-token.js";
import type { VerifiedToken } from "../auth/token-verifier.js";
import type { UpstreamSignOut } from "../cognito/cognito-sign-out.js";
import { ValidationError } from "../http/problems.js";

/** `local`: this token (and its session); `global`: every session of the user; `others`: all but this one. */
export type LogoutScope = "local" | "global" | "others";

const SCOPES: ReadonlySet<string> = new Set<LogoutScope>(["local", "global", "others"]);

export const LOGGED_OUT = { success: true, message: "Logged out successfully" } as const;

export function parseLogoutScope(query: Readonly<Record<string, readonly string[]>>): LogoutScope {
  const values = query.scope ?? [];
  if (values.length === 0) return "local";
  const [scope] = values;
  if (values.length > 1 || scope === undefined || !SCOPES.has(scope)) {
    throw new ValidationError('Query parameter "scope" must be one of: local, global, others');
  }
  return scope as LogoutScope;
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

/** Records a logout so that the revoked tokens are refused from now on. */
export interface RevocationRecorder extends RevocationCheck {
  /**
   * Records the revocation the scope asks for, refusing (401 "Token has been revoked") a token
   * whose own revocation is already recorded; a local logout does both in one conditional
   * write. Throws a 503 when it cannot record it.
   */
  revoke(token: VerifiedToken, scope: LogoutScope): Promise<void>;
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
 * as done.
 */
export async function logOut(
  token: VerifiedToken,
  { scope, refreshToken }: { scope: LogoutScope; refreshToken: string | undefined },
  { revocations, upstream }: LogoutDependencies,
): Promise<typeof LOGGED_OUT> {
  if (upstream) {
    // A revoked token must not get to sign its user out anywhere.
    if (scope !== "local") await revocations?.assertNotRevoked(token);
    await upstream.signOut(token, scope, refreshToken);
  }
  await revocations?.revoke(token, scope);
  return LOGGED_OUT;
}
