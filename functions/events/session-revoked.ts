/**
 * A revocation that took effect, as the event other systems act on. Its `sub_id`, `events` and
 * `txn` are a Security Event Token's claims (RFC 8417; subjects in the formats of RFC 9493 and
 * the Shared Signals Framework 1.0), so a transmitter of SETs signs them and adds `iss`, `aud`
 * and `iat`; `revocation` is the same in this API's own terms, what a receiver matches on.
 * - One session (a local logout): CAEP 1.0's `session-revoked`, its subject the session. Where
 *   the issuer names no session, the token is its own: by its `jti` (SSF's `jwt_id`), else by
 *   its digest. Never an empty or a user-only subject, which would mean "every session".
 * - Every session of the user begun at or before an instant (`global`, `others`, the
 *   operator's, the identity provider's for a user): `SESSIONS_REVOKED_BEFORE`, its subject the
 *   user. The identity provider's end of one session (back-channel, by `sid`) is the first kind.
 * Schema: `api/session-revoked.schema.json`. Identifiers only: no token, signature or refresh
 * token.
 */
import { createHash } from "node:crypto";
import { CAEP_SESSION_REVOKED, SESSIONS_REVOKED_BEFORE } from "../domain/revocation-event.js";
import type { Revocation } from "./revocation-changes.js";

export {
  CAEP_SESSION_REVOKED,
  DETAIL_TYPE,
  EVENT_SOURCE,
  SESSIONS_REVOKED_BEFORE,
} from "../domain/revocation-event.js";

type IssSub = { format: "iss_sub"; iss: string; sub: string };
type SessionSubject =
  | { format: "opaque"; id: string }
  | { format: "jwt_id"; iss: string; jti: string };

/** What every event type says (CAEP 1.0, section 2). */
interface EventClaims {
  /** When the revocation was written, in seconds since the epoch. */
  event_timestamp: number;
  initiating_entity: "user" | "admin" | "system";
  reason_admin?: { en: string };
}

export interface SessionRevokedDetail {
  /** The same on every delivery of one revocation, republished too: drop duplicates by it. */
  id: string;
  /** The events one logout made (a token that named two session ids) share it. */
  txn?: string;
  sub_id:
    | { format: "complex"; user?: IssSub; session: SessionSubject }
    | (IssSub & { format: "iss_sub" });
  events:
    | { [CAEP_SESSION_REVOKED]: EventClaims }
    | { [SESSIONS_REVOKED_BEFORE]: EventClaims & { revoked_before: number } };
  revocation: {
    scope: Revocation["notice"]["scope"];
    iss: string;
    /** The token's `sub`, where it had one (always, for a user-wide revocation). */
    sub?: string;
    /** `local`: exactly one of `session`, `jti` and `token_sha256` names what was revoked. */
    session?: string;
    jti?: string;
    token_sha256?: string;
    /** User-wide: every session of the user that began at or before this second. */
    revoked_before?: number;
    /** When it was written (ms, the writer's clock). */
    recorded_at: number;
  };
}

const digest = (value: unknown) =>
  createHash("sha256").update(JSON.stringify(value)).digest("base64url");

/**
 * The event's id: what makes the revocation unique, and only that. A session or token item is
 * written again only once it has lapsed, so its write's instant; a user's revocations are its
 * `revokedBefore`s, which only grow. So every delivery, and a republish from the item, has one
 * id, and two revocations never share one.
 */
const eventId = ({ key, notice, revokedBefore }: Revocation) =>
  digest(revokedBefore === undefined ? [key, null, notice.at] : [key, revokedBefore]);

/** The subject of a local logout's event: the session, or the token standing for one. */
function sessionSubject({ notice }: Revocation): SessionSubject {
  if (notice.session !== undefined) return { format: "opaque", id: notice.session };
  if (notice.jti !== undefined) return { format: "jwt_id", iss: notice.iss, jti: notice.jti };
  if (notice.tokenSha256 !== undefined) return { format: "opaque", id: notice.tokenSha256 };
  throw new UnnamedRevocationError();
}

/**
 * A notice that names nothing a receiver holds: a local one without a session, a token id or a
 * digest (an item of the release before digests), a user-wide one without a `sub`.
 */
export class UnnamedRevocationError extends Error {
  constructor() {
    super("The revocation's notice names nothing a receiver holds");
    this.name = "UnnamedRevocationError";
  }
}

export function sessionRevokedDetail(revocation: Revocation): SessionRevokedDetail {
  const { notice, revokedBefore, writer } = revocation;
  const claims: EventClaims = {
    event_timestamp: Math.floor(notice.at / 1000),
    initiating_entity: notice.initiator ?? (notice.scope === "operator" ? "admin" : "user"),
    ...(notice.reason === undefined ? {} : { reason_admin: { en: notice.reason } }),
  };
  const user =
    notice.sub === undefined
      ? undefined
      : { format: "iss_sub" as const, iss: notice.iss, sub: notice.sub };
  const common = {
    scope: notice.scope,
    iss: notice.iss,
    ...(notice.sub === undefined ? {} : { sub: notice.sub }),
  };
  if (revokedBefore !== undefined) {
    if (user === undefined) throw new UnnamedRevocationError();
    return {
      id: eventId(revocation),
      sub_id: user,
      events: { [SESSIONS_REVOKED_BEFORE]: { ...claims, revoked_before: revokedBefore } },
      revocation: { ...common, revoked_before: revokedBefore, recorded_at: notice.at },
    };
  }
  const session = sessionSubject(revocation);
  return {
    id: eventId(revocation),
    // A session item always has its writer; hashed again, since a replay is recognised by it.
    txn: digest(writer as string),
    sub_id: { format: "complex", ...(user === undefined ? {} : { user }), session },
    events: { [CAEP_SESSION_REVOKED]: claims },
    revocation: {
      ...common,
      ...(notice.session !== undefined
        ? { session: notice.session }
        : notice.jti !== undefined
          ? { jti: notice.jti }
          : { token_sha256: notice.tokenSha256 as string }),
      recorded_at: notice.at,
    },
  };
}
