/**
 * What another function of the Rinne API wraps its handler with to refuse logged-out tokens
 * in-process, and answer every refusal in the contract's envelope: the verifier and the
 * revocation store built once from its environment (the logout's own variables), the request
 * read, the token verified and checked, one log line per request.
 *
 *   export const handler = protectedHandler(async (event, context) =>
 *     jsonResponse(200, { sub: context.token.claims.sub }));
 */
import type { Context } from "aws-lambda";
import {
  type BearerCheck,
  type BearerCheckOptions,
  bearerCheckFromEnvironment,
  type Environment,
  requireRevocations,
} from "./bearer-check.js";
import type { ApiGatewayEvent } from "./http/api-gateway-event.js";
import { httpHandler } from "./http/http-handler.js";
import { type AuthenticatedContext, requireValidToken } from "./http/require-valid-token.js";
import type { HttpResponse } from "./http/responses.js";

export type ProtectedHandler = (
  event: ApiGatewayEvent,
  context: AuthenticatedContext,
) => Promise<HttpResponse>;

export interface ProtectedHandlerOptions extends BearerCheckOptions {
  /** Default `process.env`, read once, when the handler is made (the cold start). */
  env?: Environment;
  /** A check already built (several handlers of one function share it). */
  check?: BearerCheck;
}

/** @throws ConfigurationError where no revocation table is named: that would refuse nothing. */
export function protectedHandler(
  handler: ProtectedHandler,
  { env = process.env, check, ...options }: ProtectedHandlerOptions = {},
): (event: ApiGatewayEvent, context: Context) => Promise<HttpResponse> {
  // Its log lines are the consumer's function's, not the logout's: named after it by default.
  const named = {
    POWERTOOLS_SERVICE_NAME: env.AWS_LAMBDA_FUNCTION_NAME ?? "protected-route",
    ...env,
  };
  const { config, logger, verify, ...rest } = check ?? bearerCheckFromEnvironment(named, options);
  const revocations = requireRevocations(rest.revocations);
  const wrapped = httpHandler<AuthenticatedContext>({ logger, apiBasePath: config.apiBasePath })
    .use(requireValidToken({ verify, revocations }))
    .handler(handler);
  return (event, context) => wrapped(event, context as AuthenticatedContext);
}
