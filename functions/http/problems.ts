/**
 * The one table of the HTTP edge: each failure the functions name (`domain/errors.ts`) gets its
 * status, the contract's stable `code`, a safe `reason` and its headers here, and nowhere else
 * (the operator's two rows are a table of their own, here too).
 * A failure of no class below is a bug: a 500 whose reason says nothing.
 */
import {
  CallerUnknownError,
  CredentialsMissingError,
  DependencyMisconfiguredError,
  DependencyUnavailableError,
  InvalidRequestError,
  InvalidTokenError,
  LogoutInProgressError,
  SigningKeyNotYetKnownError,
  UnknownUserError,
} from "../domain/errors.js";

export type ProblemCode =
  | "AUTHENTICATION_ERROR"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "VALIDATION_ERROR"
  | "TOO_MANY_REQUESTS"
  | "SERVICE_UNAVAILABLE"
  | "INTERNAL_ERROR";

/** What the client is told of a failure, and what its log line holds. */
export interface Problem {
  readonly status: 400 | 401 | 403 | 404 | 429 | 500 | 503;
  readonly code: ProblemCode;
  /** The code's generic sentence: `error.message`. */
  readonly message: string;
  /** Specific and safe: `error.details.reason`. */
  readonly reason: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The failure itself, for the log. */
  readonly error: unknown;
}

/** What a status says, whatever failure it is for: the table's rows, and the REST gateway's. */
type Answer = Omit<Problem, "reason" | "error">;

/** Each answer the edge gives, by what it means: the gateway responses take theirs from here. */
export const ANSWERS = {
  /** RFC 6750 §3.1: no error code when the request held no token. */
  credentialsMissing: {
    status: 401,
    code: "AUTHENTICATION_ERROR",
    message: "Authentication required to access this resource",
    headers: { "WWW-Authenticate": "Bearer" },
  },
  invalidToken: {
    status: 401,
    code: "AUTHENTICATION_ERROR",
    message: "Authentication required to access this resource",
    headers: { "WWW-Authenticate": 'Bearer error="invalid_token"' },
  },
  invalidRequest: {
    status: 400,
    code: "VALIDATION_ERROR",
    message: "The request is invalid",
    headers: {},
  },
  /** Another logout of the user is completing: nothing was done, ask again after it. */
  busy: {
    status: 429,
    code: "TOO_MANY_REQUESTS",
    message: "Too many requests, please retry later",
    headers: { "Retry-After": "1" },
  },
  /** Never a 401 (that would call a valid token bad), never a 200 (nothing lost): retry. */
  unavailable: {
    status: 503,
    code: "SERVICE_UNAVAILABLE",
    message: "The service is temporarily unavailable, please retry",
    headers: { "Retry-After": "1" },
  },
  /** A 500, which pages someone (the API's 5xx alarm), rather than a 503 retried for ever. */
  internal: {
    status: 500,
    code: "INTERNAL_ERROR",
    message: "An unexpected error occurred",
    headers: {},
  },
} as const satisfies Record<string, Answer>;

/** A 500's reason: the client learns nothing of what broke; the log has it. */
export const UNEXPECTED = "Unexpected error";

export type ProblemRow = readonly [
  abstract new (...args: never[]) => Error,
  (error: never) => Omit<Problem, "error">,
];

const withMessage = (answer: Answer) => (error: Error) => ({ ...answer, reason: error.message });
/** For a failure that knows when to ask again: its own `Retry-After`. */
const withRetryAfter = (answer: Answer) => (error: Error & { retryAfterSeconds: number }) => ({
  ...answer,
  reason: error.message,
  headers: { "Retry-After": String(error.retryAfterSeconds) },
});

// Ordered: subclasses before the classes they extend.
const PROBLEMS: readonly ProblemRow[] = [
  [CredentialsMissingError, withMessage(ANSWERS.credentialsMissing)],
  [InvalidTokenError, withMessage(ANSWERS.invalidToken)],
  [InvalidRequestError, withMessage(ANSWERS.invalidRequest)],
  [LogoutInProgressError, withRetryAfter(ANSWERS.busy)],
  [SigningKeyNotYetKnownError, withRetryAfter(ANSWERS.unavailable)],
  [DependencyUnavailableError, withMessage(ANSWERS.unavailable)],
  [DependencyMisconfiguredError, () => ({ ...ANSWERS.internal, reason: UNEXPECTED })],
];

const FORBIDDEN: Answer = {
  status: 403,
  code: "FORBIDDEN",
  message: "The request is not allowed",
  headers: {},
};
const NOT_FOUND: Answer = {
  status: 404,
  code: "NOT_FOUND",
  message: "The user was not found",
  headers: {},
};

/**
 * The operator's sign-out's own rows, before the table's: it has no token to refuse, but a
 * caller and a user to find. Apart, so that no other function bundles them.
 */
export const OPERATOR_PROBLEMS: readonly ProblemRow[] = [
  [CallerUnknownError, /* @__PURE__ */ withMessage(FORBIDDEN)],
  [UnknownUserError, /* @__PURE__ */ withMessage(NOT_FOUND)],
];

/** `edgeRows`: an edge's own rows, tried first (`OPERATOR_PROBLEMS`). */
export function toProblem(error: unknown, edgeRows: readonly ProblemRow[] = []): Problem {
  for (const [errorClass, problem] of [...edgeRows, ...PROBLEMS]) {
    if (error instanceof errorClass) return { ...problem(error as never), error };
  }
  return { ...ANSWERS.internal, reason: UNEXPECTED, error };
}

/**
 * For a refusal's log line: the class of what the library or the store raised, never its
 * message (a parse error may quote the decoded token): its name, which ours, aws-jwt-verify's
 * (named in `verification-errors.ts`) and the AWS SDK's all set, minified or not.
 */
export function causeName(problem: Problem): string | undefined {
  const { error } = problem;
  if (!(error instanceof Error)) return undefined;
  const cause = error.cause instanceof Error ? error.cause : error;
  return cause.name;
}

/** For a 5xx's log line: what failed, name and message, the dependency's own words included. */
export function describeFailure(problem: Problem): { name: string; message: string } | undefined {
  const { error } = problem;
  if (!(error instanceof Error)) return undefined;
  const cause = error.cause instanceof Error ? error.cause : error;
  return { name: causeName(problem) as string, message: cause.message };
}
