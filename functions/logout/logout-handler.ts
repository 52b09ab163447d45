/**
 * The Lambda adapter of the logout: Middy middleware around `logOut`. Event in (either API
 * Gateway payload), the verified token and scope to the core, the contract's response out.
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import httpErrorHandler from "@middy/http-error-handler";
import type { Context } from "aws-lambda";
import { type AuthenticatedContext, requireValidToken } from "../auth/require-valid-token.js";
import type { VerifyToken } from "../auth/token-verifier.js";
import { apiContract } from "../http/api-contract.js";
import type { ApiGatewayEvent } from "../http/api-gateway-event.js";
import { type HttpResponse, jsonResponse } from "../http/responses.js";
import type { Logger } from "../logger.js";
import { logOut, parseLogoutScope, type RevocationRecorder } from "./logout.js";

export interface LogoutHandlerDependencies {
  logger: Logger;
  verify: VerifyToken;
  revocations: RevocationRecorder | undefined;
  apiBasePath: string;
}

/** What Lambda calls: the context is Lambda's own; the middleware adds the rest. */
export type LogoutHandler = (event: ApiGatewayEvent, context: Context) => Promise<HttpResponse>;

export function createLogoutHandler({
  logger,
  verify,
  revocations,
  apiBasePath,
}: LogoutHandlerDependencies): LogoutHandler {
  const handler = middy<ApiGatewayEvent, HttpResponse, Error, AuthenticatedContext>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    // Renders what apiContract's onError (which runs first) shapes; a safety net for the rest.
    .use(httpErrorHandler({ logger: false }))
    .use(apiContract({ logger, apiBasePath }))
    // No separate revocation read: `revoke` checks and records in one round trip.
    .use(requireValidToken({ verify }))
    .handler(async (_event, context) => {
      const scope = parseLogoutScope(context.httpRequest.query);
      context.logFields.scope = scope;
      const body = await logOut(context.token, scope, { revocations });
      context.logFields.outcome = "logged_out";
      return jsonResponse(200, body);
    });
  return (event, context) => handler(event, context as AuthenticatedContext);
}
