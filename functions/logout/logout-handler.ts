/**
 * The Lambda adapter of the logout: Middy middleware around `logOut`. Event in (either API
 * Gateway payload), the verified token and scope to the core, the contract's response out.
 */
import type { Context } from "aws-lambda";
import {
  type BearerCheckOptions,
  bearerCheckFromEnvironment,
  type Environment,
} from "../bearer-check.js";
import { cognitoSignOutFor } from "../cognito/cognito-sign-out.js";
import type { Logger } from "../config/logger.js";
import { LOGGED_OUT, logOut } from "../core/logout.js";
import type { RevocationRecorder, UpstreamSignOut, VerifyToken } from "../domain/ports.js";
import type { ApiGatewayEvent } from "../http/api-gateway-event.js";
import { httpHandler } from "../http/http-handler.js";
import { parseIdempotencyKey, parseLogoutBody, parseLogoutScope } from "../http/logout-request.js";
import { type AuthenticatedContext, requireValidToken } from "../http/require-valid-token.js";
import { type HttpResponse, jsonResponse } from "../http/responses.js";

export interface LogoutHandlerDependencies {
  logger: Logger;
  verify: VerifyToken;
  revocations: RevocationRecorder | undefined;
  /** Cognito's own sign-out, when the function verifies a Cognito user pool's tokens. */
  upstream?: UpstreamSignOut | undefined;
  apiBasePath: string;
}

/** What Lambda calls: the context is Lambda's own; the middleware adds the rest. */
export type LogoutHandler = (event: ApiGatewayEvent, context: Context) => Promise<HttpResponse>;

export function createLogoutHandler({
  logger,
  verify,
  revocations,
  upstream,
  apiBasePath,
}: LogoutHandlerDependencies): LogoutHandler {
  const handler = httpHandler<AuthenticatedContext>({ logger, apiBasePath })
    // No separate revocation read: `revoke` checks and records in one round trip.
    .use(requireValidToken({ verify }))
    .handler(async (_event, context) => {
      const { httpRequest } = context;
      const scope = parseLogoutScope(httpRequest.query);
      context.logFields.scope = scope;
      const idempotencyKey = parseIdempotencyKey(httpRequest.idempotencyKey);
      // The body matters only to Cognito's sign-out; elsewhere it is ignored, as the contract has
      // it. With `others` it names the session being kept, and is never sent upstream.
      const { refreshToken } = upstream
        ? parseLogoutBody(httpRequest.body)
        : { refreshToken: undefined };
      context.logFields.outcome = await logOut(
        context.token,
        { scope, refreshToken, idempotencyKey },
        { revocations, upstream },
      );
      // Only once it happened: a failure before it is logged without it.
      if (refreshToken && scope === "local" && context.logFields.outcome === "logged_out") {
        context.logFields.refreshTokenRevoked = true;
      }
      return jsonResponse(200, LOGGED_OUT);
    });
  return (event, context) => handler(event, context as AuthenticatedContext);
}

export interface LogoutHandlerOptions extends BearerCheckOptions {
  /** false: no sign-out at Cognito (a local run without credentials for the pool). */
  signOutUpstream?: boolean;
}

/** The handler as deployed: configuration read and checked, clients made, once. */
export function logoutHandlerFromEnvironment(
  env: Environment,
  { signOutUpstream = true, ...options }: LogoutHandlerOptions = {},
): LogoutHandler {
  const { config, logger, verify, revocations } = bearerCheckFromEnvironment(env, options);
  return createLogoutHandler({
    logger,
    verify,
    revocations,
    upstream: signOutUpstream ? cognitoSignOutFor(config.verifier, options.waits, env) : undefined,
    apiBasePath: config.apiBasePath,
  });
}
