/**
 * The Lambda adapter of the authorizer: one function for both kinds of API Gateway Lambda
 * REQUEST authorizer. An HTTP API's (payload 2.0, simple responses) gets `isAuthorized`; a REST
 * API's gets an IAM policy, `Allow`, or `Deny` with what the API's gateway response needs to
 * answer in the contract's 401 envelope (the reason, the time, the path). Either way it verifies
 * with the logout's own verifier, refuses revoked tokens with the same check, throws where it
 * cannot decide, and writes one log line per decision.
 */

import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
  Context,
} from "aws-lambda";
import {
  type BearerCheck,
  type BearerCheckOptions,
  type Environment,
  refusingCheckFromEnvironment,
  requireRevocations,
} from "../bearer-check.js";
import { DEFAULT_API_BASE_PATH } from "../config/config.js";
import type { Logger } from "../config/logger.js";
import type { DecisionLogLine } from "../domain/log-schema.js";
import type { RevocationCheck, VerifyToken } from "../domain/ports.js";
import { nonEmptyString } from "../domain/values.js";
import { headerValues, stripPrefix } from "../http/api-gateway-event.js";
import { causeName, describeFailure, toProblem } from "../http/problems.js";
import { type AuthorizerContext, type AuthorizerDecision, decide } from "./authorizer.js";

export type AuthorizerEvent = APIGatewayRequestAuthorizerEventV2 | APIGatewayRequestAuthorizerEvent;
export type SimpleAuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>;
export type PolicyAuthorizerResult = APIGatewayAuthorizerResult;

export interface AuthorizerHandler {
  (
    event: APIGatewayRequestAuthorizerEventV2,
    context: Pick<Context, "awsRequestId">,
  ): Promise<SimpleAuthorizerResult>;
  (
    event: APIGatewayRequestAuthorizerEvent,
    context: Pick<Context, "awsRequestId">,
  ): Promise<PolicyAuthorizerResult>;
  (
    event: AuthorizerEvent,
    context: Pick<Context, "awsRequestId">,
  ): Promise<SimpleAuthorizerResult | PolicyAuthorizerResult>;
}

export interface AuthorizerDependencies {
  logger: Logger;
  verify: VerifyToken;
  revocations: RevocationCheck;
  /** The base path a REST refusal's `error.path` is relative to, as the logout's. */
  apiBasePath?: string;
}

/** Thrown to API Gateway, which answers 500: its message names no token and no dependency. */
export class AuthorizerUndecidedError extends Error {
  constructor() {
    super("The authorizer could not decide");
    this.name = "AuthorizerUndecidedError";
  }
}

const isRestEvent = (event: AuthorizerEvent): event is APIGatewayRequestAuthorizerEvent =>
  "methodArn" in event;

/**
 * The policy's resource: every method of the API's stage, not the one asked for. The decision
 * is the token's, whatever the route, so a results cache keyed on the token cannot deny (or
 * allow) another route by a policy written for this one.
 */
function stageResources(methodArn: string): string {
  // arn:aws:execute-api:<region>:<account>:<api id>/<stage>/<method>/<path>
  const [api = "", stage = ""] = methodArn.split("/");
  return `${api}/${stage}/*`;
}

function policy(
  effect: "Allow" | "Deny",
  methodArn: string,
  principalId: string,
  context: AuthorizerContext,
): PolicyAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [
        { Action: "execute-api:Invoke", Effect: effect, Resource: stageResources(methodArn) },
      ],
    },
    context,
  };
}

/** What goes between the quotes of a JSON string: a gateway response inserts it verbatim. */
export const jsonStringContents = (text: string) => JSON.stringify(text).slice(1, -1);

/** A field only where it has a value: `exactOptionalPropertyTypes` refuses an undefined one. */
const optional = <Name extends string, Value>(name: Name, value: Value | undefined) =>
  (value === undefined ? {} : { [name]: value }) as { [key in Name]?: Value };

export function createAuthorizerHandler({
  logger,
  verify,
  revocations,
  apiBasePath = DEFAULT_API_BASE_PATH,
}: AuthorizerDependencies): AuthorizerHandler {
  let coldStart = true;
  const handler = async (event: AuthorizerEvent, context: Pick<Context, "awsRequestId">) => {
    const rest = isRestEvent(event);
    const fields: Omit<DecisionLogLine, "decision"> = {
      correlation_id: event.requestContext?.requestId ?? context.awsRequestId,
      function_request_id: context.awsRequestId,
      route: rest ? `${event.httpMethod} ${event.resource}` : event.routeKey,
      cold_start: coldStart,
    };
    coldStart = false;
    const authorization = rest
      ? headerValues(event.headers, "authorization", event.multiValueHeaders)
      : headerValues(event.headers, "authorization");
    let decision: AuthorizerDecision;
    try {
      decision = await decide(authorization, { verify, revocations });
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
      if (!rest) return { isAuthorized: false, context: {} };
      // A gateway response substitutes these, but cannot compute them (nor escape them): they
      // come from here, each as a JSON string's contents, so whatever the path holds the
      // rendered body is JSON with the path as one string.
      return policy("Deny", event.methodArn, "anonymous", {
        reason: jsonStringContents(problem.reason),
        timestamp: new Date().toISOString(),
        path: jsonStringContents(stripPrefix(event.path, apiBasePath)),
      });
    }
    const { sub } = decision.claims;
    const line: DecisionLogLine = {
      ...fields,
      decision: "allow",
      ...optional("sub", typeof sub === "string" ? sub.slice(0, 128) : undefined),
    };
    logger.info("authorization allowed", line);
    if (!rest) return { isAuthorized: true, context: decision.context };
    const principalId = nonEmptyString(sub) ? sub : decision.claims.iss;
    return policy("Allow", event.methodArn, principalId, decision.context);
  };
  return handler as AuthorizerHandler;
}

/** The authorizer on a check already built (one a local server shares with its own code). */
export function authorizerHandlerFor({
  config,
  logger,
  verify,
  revocations,
}: Omit<BearerCheck, "revocations"> & {
  revocations: RevocationCheck | undefined;
}): AuthorizerHandler {
  return createAuthorizerHandler({
    logger,
    verify,
    revocations: requireRevocations(revocations),
    apiBasePath: config.apiBasePath,
  });
}

/**
 * The authorizer as deployed: the logout's configuration variables, read and checked once, and
 * the revocation check alone (it writes nothing).
 */
export function authorizerHandlerFromEnvironment(
  env: Environment,
  options: BearerCheckOptions = {},
): AuthorizerHandler {
  return authorizerHandlerFor(refusingCheckFromEnvironment(env, options));
}
