/**
 * A revocation that took effect, as the event other systems act on: the OpenID Continuous Access
 * Evaluation Profile's `session-revoked` (CAEP 1.0), its subject in the Shared Signals
 * Framework's formats (RFC 9493 and SSF's complex subjects). The detail holds what a Security
 * Event Token's claims `sub_id` and `events` hold, so a transmitter of SETs signs it and adds
 * `iss`, `aud` and `iat`; and `revocation`, this API's own terms. Schema:
 * `api/session-revoked.schema.json`. Identifiers only: no token, signature or refresh token.
 */
import { createHash } from "node:crypto";
import { CAEP_SESSION_REVOKED } from "../domain/revocation-event.js";
import type { Revocation } from "../revocation/revocation-changes.js";

export { CAEP_SESSION_REVOKED, DETAIL_TYPE, EVENT_SOURCE } from "../domain/revocation-event.js";

type IssSub = { format: "iss_sub"; iss: string; sub: string };

export interface SessionRevokedDetail {
  /** The same on every delivery of one revocation: a receiver drops the duplicates by it. */
  id: string;
  /** The user, and the session where the revocation is of one session. */
  sub_id: {
    format: "complex";
    user?: IssSub;
    session?: { format: "opaque"; id: string };
  };
  events: {
    [CAEP_SESSION_REVOKED]: {
      /** The revocation's instant (seconds): every session that began at or before it, for a user's. */
      event_timestamp: number;
      initiating_entity: "user" | "admin";
      reason_admin?: { en: string };
    };
  };
  revocation: {
    scope: Revocation["notice"]["scope"];
    iss: string;
    /** The token revoked, where the issuer names no session and the token its own id. */
    jti?: string;
    /** User-wide: every session of the user that began at or before this second is revoked. */
    revoked_before?: number;
    /** User-wide: one user's revocations in the order they were written. */
    sequence?: number;
    /** When it was written (ms, the writer's clock): the order of one user's events. */
    recorded_at: number;
  };
}

/**
 * The event's id: a digest of what makes the write unique (its item, its version for a user
 * item, the writer's instant), so every delivery of one change record has one id, and two
 * revocations of one item, however far apart, never share one.
 */
const eventId = ({ key, version, notice }: Revocation) =>
  createHash("sha256")
    .update(JSON.stringify([key, version ?? null, notice.at]))
    .digest("base64url");

export function sessionRevokedDetail(revocation: Revocation): SessionRevokedDetail {
  const { notice, instant, version } = revocation;
  const userWide = notice.scope !== "local";
  return {
    id: eventId(revocation),
    sub_id: {
      format: "complex",
      ...(notice.sub === undefined
        ? {}
        : { user: { format: "iss_sub", iss: notice.iss, sub: notice.sub } }),
      ...(notice.session === undefined
        ? {}
        : { session: { format: "opaque", id: notice.session } }),
    },
    events: {
      [CAEP_SESSION_REVOKED]: {
        event_timestamp: instant,
        initiating_entity: notice.scope === "operator" ? "admin" : "user",
        ...(notice.reason === undefined ? {} : { reason_admin: { en: notice.reason } }),
      },
    },
    revocation: {
      scope: notice.scope,
      iss: notice.iss,
      ...(notice.jti === undefined ? {} : { jti: notice.jti }),
      ...(userWide ? { revoked_before: instant } : {}),
      ...(version === undefined ? {} : { sequence: version }),
      recorded_at: notice.at,
    },
  };
}
