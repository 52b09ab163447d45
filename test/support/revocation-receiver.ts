/**
 * A receiver of the revocation events, as `docs/revocation-events.md` tells one to be: it drops
 * duplicates by `id`, keeps each session (or token) revoked, and per user the latest
 * `revoked_before`; a token is refused where any of them covers it. Applying the events in any
 * order gives the same state. The tests hold it to the API's own check.
 */
import {
  CAEP_SESSION_REVOKED,
  type SessionRevokedDetail,
} from "../../functions/events/session-revoked.js";

const keyOf = (...parts: unknown[]) => JSON.stringify(parts);

export class EventReceiver {
  private readonly seen = new Set<string>();
  private readonly sessions = new Set<string>();
  private readonly tokens = new Set<string>();
  private readonly revokedBefore = new Map<string, number>();

  /** Applies one event: whether it changed what the receiver refuses (a duplicate never does). */
  apply(detail: SessionRevokedDetail): boolean {
    if (this.seen.has(detail.id)) return false;
    this.seen.add(detail.id);
    const { sub_id: subject, revocation } = detail;
    const sub = subject.user?.sub ?? null;
    if (revocation.revoked_before !== undefined) {
      const user = keyOf(revocation.iss, sub);
      const before = this.revokedBefore.get(user) ?? Number.NEGATIVE_INFINITY;
      this.revokedBefore.set(user, Math.max(before, revocation.revoked_before));
      return revocation.revoked_before > before;
    }
    const target = subject.session
      ? { set: this.sessions, id: subject.session.id }
      : { set: this.tokens, id: revocation.jti };
    const key = keyOf(revocation.iss, sub, target.id);
    const fresh = !target.set.has(key);
    target.set.add(key);
    return fresh && detail.events[CAEP_SESSION_REVOKED].initiating_entity === "user";
  }

  refuses(claims: Record<string, unknown>): boolean {
    const { iss } = claims;
    const sub = typeof claims.sub === "string" ? claims.sub : null;
    const ids = [claims.origin_jti, claims.sid].filter((id) => typeof id === "string" && id !== "");
    const revoked =
      ids.length > 0
        ? ids.some((id) => this.sessions.has(keyOf(iss, sub, id)))
        : this.tokens.has(keyOf(iss, sub, claims.jti));
    const start = Math.floor(Number(claims.auth_time ?? claims.iat));
    return (
      revoked || start <= (this.revokedBefore.get(keyOf(iss, sub)) ?? Number.NEGATIVE_INFINITY)
    );
  }
}
