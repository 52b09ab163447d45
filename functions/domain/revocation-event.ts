/**
 * The names of the revocation events on EventBridge, which a receiver's rule matches: the
 * publisher puts them, the stacks subscribe to them. Kept apart from the event's making
 * (`events/session-revoked.ts`) so the constructs a receiver installs carry none of it.
 */
export const EVENT_SOURCE = "rinne.auth";
export const DETAIL_TYPE = "session-revoked";
/** CAEP 1.0's event type, the key of the event in the detail's `events`. */
export const CAEP_SESSION_REVOKED =
  "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
