/**
 * Sign-outs made at the identity provider, in force here too: an OpenID Connect back-channel
 * logout ends the session it names (`sid`), or every session of the user it names (`sub`
 * alone) that began before its `iat`; a Cognito pool's own sign-out or account change ends
 * every session of the user that began before it. None reaches a sign-in made after it.
 */
import { UnresolvedUserError } from "../domain/errors.js";
import type {
  ProviderOrigin,
  ProviderRecord,
  ProviderRevocation,
  ProviderUserSignOut,
  UpstreamUserAdmin,
} from "../domain/ports.js";

const BACKCHANNEL: ProviderOrigin = {
  // The issuer says a session ended, not who ended it.
  initiator: "system",
  reason: "OpenID Connect back-channel logout",
};

/** A back-channel logout, as its token says it (`auth/logout-token.ts` checked it). */
export interface BackchannelLogout {
  iss: string;
  sub?: string;
  sid?: string;
  jti: string;
  iat: number;
}

export function endByLogoutToken(
  { iss, sub, sid, jti, iat }: BackchannelLogout,
  revocations: ProviderRevocation,
): Promise<ProviderRecord> {
  if (sid !== undefined) {
    return revocations.endProviderSession(
      { iss, ...(sub === undefined ? {} : { sub }), sid },
      jti,
      BACKCHANNEL,
    );
  }
  return revocations.endProviderUserSessions({ iss, sub: sub as string }, iat, BACKCHANNEL);
}

/** A user the identity provider signed out, by `sub` or by a name it resolves (Cognito's). */
export async function endByProviderSignOut(
  { at, sub, username, origin }: ProviderUserSignOut,
  {
    issuer,
    revocations,
    users,
  }: { issuer: string; revocations: ProviderRevocation; users: UpstreamUserAdmin | undefined },
): Promise<ProviderRecord> {
  const resolved = sub ?? (username === undefined ? undefined : await users?.subjectOf(username));
  // Never dropped: the event is retried, then parked with its alarm.
  if (resolved === undefined) throw new UnresolvedUserError();
  return revocations.endProviderUserSessions({ iss: issuer, sub: resolved }, at, origin);
}
