/**
 * The authorizer's decision, knowing nothing of Lambda: the request's Authorization values in,
 * allow (with what a backend needs of the token) or deny out; or an error when it cannot
 * decide, so that API Gateway answers 500 rather than let a possibly revoked token through or
 * tell a valid client it is forbidden.
 */
import { authenticateBearer, type RequireValidTokenOptions } from "../auth/require-valid-token.js";
import type { TokenClaims } from "../auth/verified-token.js";
import { type HttpProblem, toHttpProblem } from "../http/problems.js";

/** What a backend reads at `event.requestContext.authorizer.lambda.*`: plain values only. */
export type AuthorizerContext = Record<string, string | number | boolean>;

export type AuthorizerDecision =
  | { isAuthorized: true; context: AuthorizerContext; claims: TokenClaims }
  | { isAuthorized: false; problem: HttpProblem };

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

/** Throws what it cannot decide on (a 5xx problem): the caller must not answer for it. */
export async function decide(
  authorization: readonly string[],
  check: RequireValidTokenOptions,
): Promise<AuthorizerDecision> {
  try {
    const { claims } = await authenticateBearer(authorization, check);
    return { isAuthorized: true, context: authorizerContext(claims), claims };
  } catch (error) {
    const problem = toHttpProblem(error);
    // Every reason the logout answers 401 for is a refusal; anything else is undecided.
    if (problem.statusCode === 401) return { isAuthorized: false, problem };
    throw problem;
  }
}
