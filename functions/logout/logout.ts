/**
 * The logout itself, knowing nothing of Lambda or API Gateway: a verified token and a scope in,
 * the contract's success body out, or an error that says why not.
 */
import type { VerifiedToken } from "../auth/token-verifier.js";
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

/** Records a logout so that the revoked tokens are refused from now on. */
export interface RevocationRecorder {
  /**
   * In one atomic step: refuses a token that is already revoked (401 "Token has been revoked")
   * and records the revocation the scope asks for. Throws a 503 when it cannot record it.
   */
  revoke(token: VerifiedToken, scope: LogoutScope): Promise<void>;
}

export interface LogoutDependencies {
  /** undefined: revocation is off, and logout is the contract's stateless one. */
  revocations: RevocationRecorder | undefined;
}

export async function logOut(
  token: VerifiedToken,
  scope: LogoutScope,
  { revocations }: LogoutDependencies,
): Promise<typeof LOGGED_OUT> {
  await revocations?.revoke(token, scope);
  return LOGGED_OUT;
}
