/**
 * The functions' log lines, as the stack's metric filters, alarms and dashboard read them: one
 * JSON line per logout request and one per authorizer decision, their field names and the
 * values that are a small fixed set. Written here once: the writers are typed by it, and
 * `infra/monitoring.ts` builds its filter patterns from it, so a renamed field fails to compile
 * rather than silently empty a dashboard.
 */
import { TokenRevokedError } from "./errors.js";
import type { LogoutOutcome, LogoutScope } from "./ports.js";

/** What the logger itself adds to every line (Powertools' fields, laid out flat). */
export type LoggerFields = {
  level: string;
  message: string;
  timestamp: string;
  service: string;
};

type RequestIdentity = {
  /** API Gateway's request id: the one a client and the access log see. */
  correlation_id: string;
  function_request_id: string;
  cold_start: boolean;
  /** The user, bounded: known once the token verified, so even a refusal may name it. */
  sub?: string;
};

/** A 5xx's line: what failed, the dependency's own words included. */
export type FailureField = {
  name: string;
  message: string;
};

/** The logout's one line per request, written by `apiContract`. */
export type RequestLogLine = RequestIdentity & {
  status: number;
  path: string;
  scope?: LogoutScope;
  outcome?: LogoutOutcome;
  refreshTokenRevoked?: boolean;
  /** Refusals and failures: the contract's code and reason. */
  code?: string;
  reason?: string;
  /** A refusal's: the class of what the library or the store raised, never its message. */
  cause?: string;
  error?: FailureField;
  /** The operator's sign-out: who asked (their IAM identity), and why. */
  caller?: string;
  justification?: string;
};

/** The revocation events' publisher: one line per batch of the table's change records. */
export type PublishLogLine = {
  records: number;
  published: number;
  /** What the bus refused after every try, by error code, or why a record was unreadable. */
  failures: Record<string, number>;
  /** The record Lambda delivers again, where one failed. */
  retry_from?: string;
};

export const DECISIONS = ["allow", "deny", "error"] as const;
export type Decision = (typeof DECISIONS)[number];

/** The authorizer's one line per decision. */
export type DecisionLogLine = RequestIdentity & {
  route: string;
  decision: Decision;
  reason?: string;
  cause?: string;
  error?: FailureField;
};

/**
 * Text a person typed (an operator's reason, a request's path), as a log line may hold it: each
 * run of 20 or more characters that a token, a key or a signature is written in (base64 and
 * base64url, with JWTs' dots) becomes `[redacted]`, so no credential reaches a log, whoever
 * pasted it. A UUID (a `sub`, a request id) is kept; so are words, ticket ids and short paths.
 * A URL's path is long enough to be redacted too: cite a ticket by its id.
 */
export function redactTokenLike(text: string): string {
  return text.replace(TOKEN_LIKE, (run) => (UUID.test(run) ? run : "[redacted]"));
}

const TOKEN_LIKE = /[A-Za-z0-9_.~+/=-]{20,}/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The reason of every refusal of a revoked token, at the logout and at the authorizer. */
export const REVOKED_REASON = new TokenRevokedError().message;

/** The service names the stack gives each function's logger (`POWERTOOLS_SERVICE_NAME`). */
export const SERVICE_NAMES = {
  logout: "auth-logout",
  authorizer: "auth-authorizer",
  operator: "auth-operator-sign-out",
  publisher: "auth-revocation-events",
  provider: "auth-provider-sign-out",
} as const;
