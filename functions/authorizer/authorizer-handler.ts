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
import { bearerCheckFromEnvironment, type Environment } from "../bearer-check.js";
import type { Logger } from "../config/logger.js";
import { ConfigurationError } from "../domain/errors.js";
import type { RevocationCheck, VerifyToken } from "../domain/ports.js";
import { headerValues } from "../http/api-gateway-event.js";
import { causeName, describeFailure, toProblem } from "../http/problems.js";
import type { DynamoDbClient } from "../revocation/dynamodb-client.js";
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

export function createAuthorizerHandler({
  logger,
  verify,
  revocations,
}: AuthorizerDependencies): AuthorizerHandler {
  let coldStart = true;
  return async (event, context) => {
    const fields = {
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
      logger.error("authorization undecided", {
        ...fields,
        decision: "error",
        reason: problem.reason,
        error: describeFailure(problem),
      });
      throw new AuthorizerUndecidedError();
    }
    if (!decision.isAuthorized) {
      const { problem } = decision;
      logger.info("authorization denied", {
        ...fields,
        decision: "deny",
        reason: problem.reason,
        cause: causeName(problem),
      });
      return { isAuthorized: false, context: {} };
    }
    const { sub } = decision.claims;
    logger.info("authorization allowed", {
      ...fields,
      decision: "allow",
      ...(typeof sub === "string" ? { sub: sub.slice(0, 128) } : {}),
    });
    return { isAuthorized: true, context: decision.context };
  };
}

/** The authorizer as deployed: the logout's configuration variables, read and checked once. */
export function authorizerHandlerFromEnvironment(
  env: Environment,
  dynamoDbClient?: (env: Environment) => DynamoDbClient,
): AuthorizerHandler {
  const { logger, verify, revocations } = bearerCheckFromEnvironment(env, dynamoDbClient);
  // An authorizer that cannot see revocations would let every logged-out token through.
  if (!revocations) {
    throw new ConfigurationError("REVOCATION_TABLE_NAME", "is required by the authorizer");
  }
  return createAuthorizerHandler({ logger, verify, revocations });
}
