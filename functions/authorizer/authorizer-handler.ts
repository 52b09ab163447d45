/**
 * The Lambda adapter of the authorizer: an HTTP API Lambda REQUEST authorizer, payload format
 * 2.0 with simple responses. It verifies the bearer token with the logout's own verifier and
 * refuses revoked tokens with the same check, and writes one log line per decision.
 */
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
  Context,
} from "aws-lambda";
import {
  type BearerCheckOptions,
  bearerCheckFromEnvironment,
  type Environment,
} from "../bearer-check.js";
import type { Logger } from "../config/logger.js";
import { ConfigurationError } from "../domain/errors.js";
import type { DecisionLogLine } from "../domain/log-schema.js";
import type { RevocationCheck, VerifyToken } from "../domain/ports.js";
import { headerValues } from "../http/api-gateway-event.js";
import { causeName, describeFailure, toProblem } from "../http/problems.js";
import { type AuthorizerContext, decide } from "./authorizer.js";

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>;
export type AuthorizerHandler = (
  event: APIGatewayRequestAuthorizerEventV2,
  context: Pick<Context, "awsRequestId">,
) => Promise<AuthorizerResult>;

export interface AuthorizerDependencies {
  logger: Logger;
  verify: VerifyToken;
  revocations: RevocationCheck;
}

/** Thrown to API Gateway, which answers 500: its message names no token and no dependency. */
export class AuthorizerUndecidedError extends Error {
  constructor() {
    super("The authorizer could not decide");
    this.name = "AuthorizerUndecidedError";
  }
}

/** A field only where it has a value: `exactOptionalPropertyTypes` refuses an undefined one. */
const optional = <Name extends string, Value>(name: Name, value: Value | undefined) =>
  (value === undefined ? {} : { [name]: value }) as { [key in Name]?: Value };

export function createAuthorizerHandler({
  logger,
  verify,
  revocations,
}: AuthorizerDependencies): AuthorizerHandler {
  let coldStart = true;
  return async (event, context) => {
    const fields: Omit<DecisionLogLine, "decision"> = {
      correlation_id: event.requestContext?.requestId ?? context.awsRequestId,
      function_request_id: context.awsRequestId,
      route: event.routeKey,
      cold_start: coldStart,
    };
    coldStart = false;
    let decision: Awaited<ReturnType<typeof decide>>;
    try {
      decision = await decide(headerValues(event.headers, "authorization"), {
        verify,
        revocations,
      });
    } catch (error) {
      const problem = toProblem(error);
      const line: DecisionLogLine = {
        ...fields,
        decision: "error",
        reason: problem.reason,
        ...optional("error", describeFailure(problem)),
      };
      logger.error("authorization undecided", line);
      throw new AuthorizerUndecidedError();
    }
    if (!decision.isAuthorized) {
      const { problem } = decision;
      const line: DecisionLogLine = {
        ...fields,
        decision: "deny",
        reason: problem.reason,
        ...optional("cause", causeName(problem)),
      };
      logger.info("authorization denied", line);
      return { isAuthorized: false, context: {} };
    }
    const { sub } = decision.claims;
    const line: DecisionLogLine = {
      ...fields,
      decision: "allow",
      ...optional("sub", typeof sub === "string" ? sub.slice(0, 128) : undefined),
    };
    logger.info("authorization allowed", line);
    return { isAuthorized: true, context: decision.context };
  };
}

/** The authorizer as deployed: the logout's configuration variables, read and checked once. */
export function authorizerHandlerFromEnvironment(
  env: Environment,
  options: BearerCheckOptions = {},
): AuthorizerHandler {
  const { logger, verify, revocations } = bearerCheckFromEnvironment(env, options);
  // An authorizer that cannot see revocations would let every logged-out token through.
  if (!revocations) {
    throw new ConfigurationError("REVOCATION_TABLE_NAME", "is required by the authorizer");
  }
  return createAuthorizerHandler({ logger, verify, revocations });
}
