/**
 * The failures a client may be told about, one class per kind, each with its HTTP status,
 * the contract's stable `code` and a safe `reason` (never a token, a claim value or a stack).
 * One place (`responses.ts`) turns them into the contract's error envelope.
 */

import {
  NoSubjectError,
  RevocationStoreMisconfiguredError,
  RevocationStoreUnavailableError,
  TokenRevokedError,
} from "../revocation/revocation.js";

export type ProblemCode =
  | "AUTHENTICATION_ERROR"
  | "VALIDATION_ERROR"
  | "SERVICE_UNAVAILABLE"
  | "INTERNAL_ERROR";

export abstract class HttpProblem extends Error {
  abstract readonly statusCode: number;
  abstract readonly code: ProblemCode;
  /** The generic sentence of `error.message`. */
  abstract readonly publicMessage: string;
  /** Read by @middy/http-error-handler: this error may reach the client. */
  readonly expose = true;

  /** @param reason specific and safe: it becomes `error.details.reason`. */
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = new.target.name;
  }

  headers(): Record<string, string> {
    return {};
  }
}

/** 401: the credentials are missing or bad. */
export class AuthenticationError extends HttpProblem {
  readonly statusCode = 401;
  readonly code = "AUTHENTICATION_ERROR";
  readonly publicMessage = "Authentication required to access this resource";

  /** @param tokenSent whether a bearer token was presented at all (RFC 6750 §3.1). */
  constructor(
    reason: string,
    readonly tokenSent: boolean,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }

  override headers(): Record<string, string> {
    return { "WWW-Authenticate": this.tokenSent ? 'Bearer error="invalid_token"' : "Bearer" };
  }
}

/** 400: a request parameter or body is not what the endpoint accepts. */
export class ValidationError extends HttpProblem {
  readonly statusCode = 400;
  readonly code = "VALIDATION_ERROR";
  readonly publicMessage = "The request is invalid";
}

/**
 * 503: the token could not be checked or the logout could not be recorded, through no fault
 * of the client's. Never a 401 (that would call a valid token bad), never a 200 (nothing lost).
 */
export class ServiceUnavailableError extends HttpProblem {
  readonly statusCode = 503;
  readonly code = "SERVICE_UNAVAILABLE";
  readonly publicMessage = "The service is temporarily unavailable, please retry";

  override headers(): Record<string, string> {
    return { "Retry-After": "1" };
  }
}

/** 500: a bug. The client sees only a generic sentence; the log has the cause. */
export class InternalError extends HttpProblem {
  readonly statusCode = 500;
  readonly code = "INTERNAL_ERROR";
  readonly publicMessage = "An unexpected error occurred";
}

/** The one place where the other modules' errors get their HTTP status and reason. */
export function toHttpProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof TokenRevokedError || error instanceof NoSubjectError) {
    return new AuthenticationError(error.message, true, { cause: error });
  }
  if (error instanceof RevocationStoreUnavailableError) {
    return new ServiceUnavailableError(error.message, { cause: error.cause });
  }
  // A 500, which pages someone (the API's 5xx alarm), rather than a 503 retried for ever.
  if (error instanceof RevocationStoreMisconfiguredError) {
    return new InternalError("Unexpected error", { cause: error.cause });
  }
  return new InternalError("Unexpected error", { cause: error });
}

/**
 * For a refusal's log line: the class of its cause, never its message (a parse error may quote
 * the decoded token). An error's own name where it sets one (the AWS SDK's do), else its class's.
 */
export function causeName(problem: HttpProblem): string | undefined {
  const { cause } = problem;
  if (!(cause instanceof Error)) return undefined;
  return cause.name !== "Error" ? cause.name : cause.constructor.name;
}

/** For a 5xx's log line: a dependency's error is ours to see, name and message. */
export function describeCause(problem: HttpProblem): { name: string; message: string } | undefined {
  const name = causeName(problem);
  return name === undefined ? undefined : { name, message: (problem.cause as Error).message };
}
