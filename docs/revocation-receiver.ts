/**
 * revocation-receiver.ts: a WebSocket service's receiver of the revocation events, as
 * `docs/revocation-events.md` describes it. It closes exactly the connections the API would now
 * refuse as revoked. The tests import this file as it is and run it against the API over random
 * histories of every scope, token shape and redelivery.
 */
import { createHash } from "node:crypto";
import type { SessionRevokedDetail } from "@rinne/auth-logout";
import type { EventBridgeEvent } from "aws-lambda";

/** What a connection keeps of the token it was opened with. */
export interface HeldToken {
  iss: string;
  sub?: string;
  sessionIds: string[];
  /** OpenID Connect's session id apart: what the identity provider's events may name alone. */
  sid?: string;
  jti?: string;
  tokenSha256: string;
  start: number;
}

const nonEmpty = (value: unknown) =>
  typeof value === "string" && value !== "" ? value : undefined;

/** `token` as presented, `claims` as verified. */
export function heldToken(token: string, claims: Record<string, unknown>): HeldToken {
  const ids = [nonEmpty(claims.origin_jti), nonEmpty(claims.sid)];
  return {
    iss: claims.iss as string,
    sub: typeof claims.sub === "string" ? claims.sub : undefined,
    sessionIds: [...new Set(ids.filter((id) => id !== undefined))],
    sid: nonEmpty(claims.sid),
    jti: nonEmpty(claims.jti),
    tokenSha256: createHash("sha256")
      .update(token.slice(0, token.lastIndexOf(".")))
      .digest("base64url"),
    start: Math.floor(typeof claims.auth_time === "number" ? claims.auth_time : Number(claims.iat)),
  };
}

/** Whether the event revokes the held token. */
export function reaches({ revocation }: SessionRevokedDetail, held: HeldToken): boolean {
  if (held.iss !== revocation.iss) return false;
  // The identity provider may end a session naming its sid alone: the issuer's own, whoever's.
  if (revocation.session !== undefined && revocation.sub === undefined) {
    return held.sid === revocation.session;
  }
  if (held.sub !== revocation.sub) return false;
  if (revocation.revoked_before !== undefined) return held.start <= revocation.revoked_before;
  if (revocation.session !== undefined) return held.sessionIds.includes(revocation.session);
  // A token of a named session is revoked with its session, never by its own id.
  if (held.sessionIds.length > 0) return false;
  if (revocation.jti !== undefined) return held.jti === revocation.jti;
  return held.jti === undefined && held.tokenSha256 === revocation.token_sha256;
}

/** Your store of connections. */
export interface Connections {
  handled(eventId: string): Promise<boolean>;
  markHandled(eventId: string): Promise<void>;
  /** The connections of the user `sub` of `iss`; `sub` undefined: every connection of `iss`. */
  of(iss: string, sub: string | undefined): Promise<{ id: string; held: HeldToken }[]>;
  close(connectionId: string): Promise<void>; // postToConnection, then DeleteConnection
}

export const revocationHandler =
  (connections: Connections) =>
  async ({ detail }: EventBridgeEvent<"session-revoked", SessionRevokedDetail>) => {
    if (await connections.handled(detail.id)) return; // a duplicate changes nothing
    for (const connection of await connections.of(detail.revocation.iss, detail.revocation.sub)) {
      if (reaches(detail, connection.held)) await connections.close(connection.id);
    }
    // Only now: a failure above fails the invocation, and its retry closes the rest.
    await connections.markHandled(detail.id);
  };
