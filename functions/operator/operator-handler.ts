/**
 * The Lambda adapter of the operator's sign-out: a Lambda function URL with IAM auth, so that
 * every call is signed and AWS tells the function who made it. No API Gateway route; who may
 * call it is the stage's `operators`. One log line per call: who, why, whom, what came of it.
 */
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2WithIAMAuthorizer, Context } from "aws-lambda";
import {
  type BearerCheckOptions,
  type Environment,
  requireRevocations,
  revocationStoreFor,
} from "../bearer-check.js";
import { cognitoUserAdminFor } from "../cognito/cognito-sign-out.js";
import { loadConfig } from "../config/config.js";
import { createLogger, type Logger } from "../config/logger.js";
import { signOutUser } from "../core/operator-sign-out.js";
import { cognitoIssuer } from "../domain/aws-identifiers.js";
import { CallerUnknownError } from "../domain/errors.js";
import { redactTokenLike } from "../domain/log-schema.js";
import type { OperatorRevocation, UpstreamUserAdmin } from "../domain/ports.js";
import type { ApiContext } from "../http/api-contract.js";
import { httpHandler } from "../http/http-handler.js";
import { parseIdempotencyKey } from "../http/logout-request.js";
import { parseOperatorRequest } from "../http/operator-request.js";
import { OPERATOR_PROBLEMS } from "../http/problems.js";
import { type HttpResponse, jsonResponse } from "../http/responses.js";
import { operatorRevocationOnTable } from "../revocation/revocation-store.js";

export interface OperatorHandlerDependencies {
  logger: Logger;
  issuer: string;
  revocations: OperatorRevocation;
  upstream: UpstreamUserAdmin | undefined;
}

export type OperatorHandler = (
  event: APIGatewayProxyEventV2WithIAMAuthorizer,
  context: Context,
) => Promise<HttpResponse>;

export function createOperatorHandler({
  logger,
  issuer,
  revocations,
  upstream,
}: OperatorHandlerDependencies): OperatorHandler {
  const edge = { logger, apiBasePath: "/", problems: OPERATOR_PROBLEMS };
  const handler = httpHandler(edge).handler(async (event, context) => {
    // Set by AWS from the request's signature: the caller cannot choose it.
    const caller = (event as APIGatewayProxyEventV2WithIAMAuthorizer).requestContext?.authorizer
      ?.iam?.userArn;
    if (typeof caller !== "string" || caller === "") throw new CallerUnknownError();
    context.logFields.caller = caller;
    const { target, reason } = parseOperatorRequest(context.httpRequest.body, {
      issuer,
      byUsername: upstream !== undefined,
    });
    const justification = redactTokenLike(reason);
    context.logFields.justification = justification;
    const key = parseIdempotencyKey(context.httpRequest.idempotencyKey) ?? randomUUID();
    const { sub, outcome } = await signOutUser(
      target,
      `operator:${key}`,
      { issuer, revocations, upstream },
      justification,
    );
    context.logFields.sub = sub.slice(0, 128);
    context.logFields.outcome = outcome;
    return jsonResponse(200, { success: true, message: "User signed out", sub, outcome });
  });
  return (event, context) => handler(event, context as ApiContext);
}

/**
 * The function as deployed: the logout's configuration variables, read and checked once. It
 * verifies no token (AWS authenticates the caller), so it builds no verifier.
 */
export function operatorHandlerFromEnvironment(
  env: Environment,
  options: BearerCheckOptions = {},
): OperatorHandler {
  const config = loadConfig(env);
  const { verifier } = config;
  return createOperatorHandler({
    logger: createLogger(env),
    issuer: verifier.kind === "cognito" ? cognitoIssuer(verifier.userPoolId) : verifier.issuer,
    revocations: requireRevocations(
      revocationStoreFor(env, config, options, operatorRevocationOnTable),
    ),
    upstream: cognitoUserAdminFor(verifier, options.waits, env),
  });
}
