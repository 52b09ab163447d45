/**
 * The Lambda adapter of sign-outs made at the identity provider, one function for the stage's
 * kind of issuer: a generic issuer's OpenID Connect back-channel logout requests (API Gateway,
 * `POST /core/v1/auth/backchannel-logout`), or a Cognito pool's own sign-outs and account
 * changes (EventBridge, CloudTrail's events). One log line per request or event; never a token.
 */
import type { APIGatewayProxyEventV2, Context, EventBridgeEvent } from "aws-lambda";
import { createLogoutTokenVerifier, type VerifyLogoutToken } from "../auth/logout-token.js";
import {
  type BearerCheckOptions,
  type Environment,
  requireRevocations,
  revocationStoreFor,
} from "../bearer-check.js";
import { CLOUDTRAIL_DETAIL_TYPE, cognitoSignOutOf } from "../cognito/cloudtrail-sign-out.js";
import { cognitoUserAdminFor } from "../cognito/cognito-sign-out.js";
import { loadConfig } from "../config/config.js";
import { createLogger, type Logger } from "../config/logger.js";
import { endByLogoutToken, endByProviderSignOut } from "../core/provider-sign-out.js";
import { cognitoIssuer } from "../domain/aws-identifiers.js";
import { InvalidRequestError } from "../domain/errors.js";
import type { ProviderRevocation, UpstreamUserAdmin } from "../domain/ports.js";
import {
  backchannelFailure,
  backchannelRecorded,
  readLogoutToken,
} from "../http/backchannel-request.js";
import type { HttpResponse } from "../http/responses.js";
import { providerRevocationOnTable } from "../revocation/revocation-store.js";

export interface ProviderHandlerDependencies {
  logger: Logger;
  revocations: ProviderRevocation;
  /** A generic issuer that sends back-channel logout tokens: their verifier. */
  verifyLogoutToken?: VerifyLogoutToken | undefined;
  /** A Cognito stage: its pool, its issuer, and the pool's users, to resolve a name. */
  cognito?:
    | { userPoolId: string; issuer: string; users: UpstreamUserAdmin | undefined }
    | undefined;
}

type CloudTrailEvent = EventBridgeEvent<string, unknown>;
export type ProviderEvent = APIGatewayProxyEventV2 | CloudTrailEvent;

export type ProviderHandler = (
  event: ProviderEvent,
  context: Pick<Context, "awsRequestId">,
) => Promise<HttpResponse | undefined>;

const isCloudTrail = (event: ProviderEvent): event is CloudTrailEvent =>
  (event as CloudTrailEvent)["detail-type"] === CLOUDTRAIL_DETAIL_TYPE;

export function createProviderHandler({
  logger,
  revocations,
  verifyLogoutToken,
  cognito,
}: ProviderHandlerDependencies): ProviderHandler {
  async function backchannel(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    const line: Record<string, unknown> = { request_id: event.requestContext?.requestId };
    try {
      // A stage whose issuer sends no logout tokens has no such route; a request is refused.
      if (verifyLogoutToken === undefined) {
        throw new InvalidRequestError("This stage receives no back-channel logout tokens");
      }
      const claims = await verifyLogoutToken(readLogoutToken(event));
      line.sub = claims.sub?.slice(0, 128);
      line.outcome = await endByLogoutToken(claims, revocations);
      logger.info("back-channel logout", { status: 200, ...line });
      return backchannelRecorded();
    } catch (error) {
      const { response, reason } = backchannelFailure(error);
      const level = response.statusCode >= 500 ? "error" : "info";
      logger[level]("back-channel logout", {
        status: response.statusCode,
        reason,
        ...line,
        ...(response.statusCode === 500 ? { error: String(error) } : {}),
      });
      return response;
    }
  }

  /** Throws where the event cannot be applied: Lambda retries it, then parks it. */
  async function cloudTrail(event: CloudTrailEvent): Promise<undefined> {
    if (cognito === undefined) throw new Error("This stage has no Cognito user pool");
    const signOut = cognitoSignOutOf(event, cognito.userPoolId);
    const line = {
      event_id: event.id,
      action: (event.detail as { eventName?: unknown })?.eventName,
    };
    if (typeof signOut === "string") {
      logger.info("provider sign-out", { ...line, outcome: "ignored", reason: signOut });
      return undefined;
    }
    try {
      const outcome = await endByProviderSignOut(signOut, {
        issuer: cognito.issuer,
        revocations,
        users: cognito.users,
      });
      logger.info("provider sign-out", { ...line, outcome, sub: signOut.sub?.slice(0, 128) });
    } catch (error) {
      logger.error("provider sign-out", { ...line, outcome: "failed", reason: String(error) });
      throw error;
    }
    return undefined;
  }

  return async (event) => (isCloudTrail(event) ? cloudTrail(event) : backchannel(event));
}

/** The function as deployed: the stage's configuration, read and checked once. */
export function providerHandlerFromEnvironment(
  env: Environment,
  options: BearerCheckOptions = {},
): ProviderHandler {
  const config = loadConfig(env);
  const { verifier } = config;
  const revocations = requireRevocations(
    revocationStoreFor(env, config, options, providerRevocationOnTable),
  );
  if (verifier.kind === "cognito") {
    return createProviderHandler({
      logger: createLogger(env),
      revocations,
      cognito: {
        userPoolId: verifier.userPoolId,
        issuer: cognitoIssuer(verifier.userPoolId),
        users: cognitoUserAdminFor(verifier, options.waits, env),
      },
    });
  }
  const audience = verifier.backchannelLogoutAudience;
  return createProviderHandler({
    logger: createLogger(env),
    revocations,
    verifyLogoutToken:
      audience === undefined
        ? undefined
        : createLogoutTokenVerifier(
            verifier,
            audience,
            options.clock === undefined ? {} : { clock: options.clock },
          ),
  });
}
