/**
 * An operator's sign-out of a user, for incident response (an account taken over): with no
 * token of the user's, what the user's own `?scope=global` logout does. The identity provider
 * ends every session first (Cognito: AdminUserGlobalSignOut), then every session that began up
 * to now is refused everywhere, refreshes included; a sign-in after the answer is not.
 */
import { UnknownUserError } from "../domain/errors.js";
import type { LogoutOutcome, OperatorRevocation, UpstreamUserAdmin } from "../domain/ports.js";

/** Whom to sign out: a `sub` of the deployment's issuer, or (Cognito) a user name. */
export type OperatorTarget = { sub: string } | { username: string };

export interface OperatorSignOutDependencies {
  /** The issuer every token of the user names: the deployment's own. */
  issuer: string;
  revocations: OperatorRevocation;
  /** undefined: the issuer has no administrator's sign-out here (a generic issuer). */
  upstream: UpstreamUserAdmin | undefined;
}

export async function signOutUser(
  target: OperatorTarget,
  /** The same id again (the operator's retry) is a replay: nothing changes. */
  logoutId: string,
  { issuer, revocations, upstream }: OperatorSignOutDependencies,
  /** Why, as logged: the revocation's event carries it to other systems. */
  reason?: string,
): Promise<{ sub: string; outcome: LogoutOutcome }> {
  let sub: string;
  if ("sub" in target) {
    sub = target.sub;
  } else {
    const found = upstream && (await upstream.subjectOf(target.username));
    if (found === undefined) throw new UnknownUserError();
    sub = found;
  }
  // Upstream first: if the record then fails, the operator retries and both are done.
  await upstream?.signOutUser("username" in target ? target.username : sub);
  const recorded = await revocations.revokeUser({ iss: issuer, sub }, logoutId, reason);
  return { sub, outcome: recorded === "recorded" ? "logged_out" : recorded };
}
