/**
 * The authorizer's decision, knowing nothing of Lambda: the request's Authorization values in,
 * allow (with what a backend needs of the token) or deny out; or an error when it cannot
 * decide, so that API Gateway answers 500 rather than let a possibly revoked token through or
 * tell a valid client it is forbidden.
 */
import {
  CredentialsMissingError,
  InvalidRequestError,
  InvalidTokenError,
  SigningKeyNotYetKnownError,
} from "../domain/errors.js";
import type { TokenClaims } from "../domain/verified-token.js";
import { type Problem, toProblem } from "../http/problems.js";
import { authenticateBearer, type RequireValidTokenOptions } from "../http/require-valid-token.js";

/** What a backend reads at `event.requestContext.authorizer.lambda.*`: plain values only. */
export type AuthorizerContext = Record<string, string | number | boolean>;

export type AuthorizerDecision =
  | { isAuthorized: true; context: AuthorizerContext; claims: TokenClaims }
  | { isAuthorized: false; problem: Problem };

/** The claims passed on: who, for whom, until when, with what rights. */
const PASSED_ON = ["sub", "iss", "exp", "scope", "client_id", "token_use", "jti"] as const;

export function authorizerContext(claims: TokenClaims): AuthorizerContext {
  const context: AuthorizerContext = {};
  for (const name of PASSED_ON) {
    const value = claims[name];
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      context[name] = value;
    }
  }
  return context;
}

/**
 * Denied, by class: the request's own faults (no token, a bad or revoked one, a malformed
 * header), and a key id the JWKS did not hold a moment ago. That one is no verdict on the
 * token, but any client can send a made-up kid, and an undecided answer raises an alarm: a key
 * rotated in is known within the refetch wait. Everything else is undecided.
 */
const DENIED = [
  CredentialsMissingError,
  InvalidTokenError,
  InvalidRequestError,
  SigningKeyNotYetKnownError,
] as const;
const isDenial = (error: unknown) => DENIED.some((denied) => error instanceof denied);

/** Throws what it cannot decide on: the caller must not answer for it. */
export async function decide(
  authorization: readonly string[],
  check: RequireValidTokenOptions,
): Promise<AuthorizerDecision> {
  try {
    const { claims } = await authenticateBearer(authorization, check);
    return { isAuthorized: true, context: authorizerContext(claims), claims };
  } catch (error) {
    if (isDenial(error)) return { isAuthorized: false, problem: toProblem(error) };
    throw error;
  }
}
