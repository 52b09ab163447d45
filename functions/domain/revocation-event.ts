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
/**
 * This API's event type for a user-wide revocation: every session of the user that began at or
 * before `revoked_before`. Not CAEP's `session-revoked`, whose subject naming a user alone means
 * every session of the user (CAEP 1.0, section 3.1): a receiver that reads only CAEP would end
 * the sessions begun after it. It does not know this type, so it ends nothing by it.
 */
export const SESSIONS_REVOKED_BEFORE =
  "https://api.rinne.com.br/secevent/event-type/sessions-revoked-before";
