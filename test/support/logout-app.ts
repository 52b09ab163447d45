/**
 * Builds the real logout handler (real verifier, real middleware) on the local development
 * identity, and sends it events of either payload version.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from "aws-lambda";
import { createTokenVerifier } from "../../functions/auth/token-verifier.js";
import { loadConfig } from "../../functions/config/config.js";
import { createLogger } from "../../functions/config/logger.js";
import type { RevocationRecorder, VerifyToken } from "../../functions/domain/ports.js";
import type { ApiGatewayEvent } from "../../functions/http/api-gateway-event.js";
import type { HttpResponse } from "../../functions/http/responses.js";
import { createLogoutHandler } from "../../functions/logout/logout-handler.js";
import {
  httpApiEvent as buildHttpApiEvent,
  restApiEvent as buildRestApiEvent,
  createLocalIdentity,
  type HttpRequestShape,
  type LocalIdentity,
  lambdaContext,
} from "./kit.js";

export type PayloadVersion = "v1" | "v2";

export interface RequestShape {
  /** Authorization values; each becomes one header line (v2 joins repeats with a comma). */
  authorization?: string[];
  query?: string;
  body?: string;
  headerName?: string;
  /** Other headers, as the client names them. */
  headers?: Record<string, string>;
}

function requestOf({
  authorization = [],
  query = "",
  body,
  headerName = "authorization",
  headers = {},
}: RequestShape): HttpRequestShape {
  return {
    query,
    body,
    headers: {
      "content-type": "application/json",
      ...headers,
      ...(authorization.length > 0 ? { [headerName]: authorization } : {}),
    },
  };
}

export const httpApiEvent = (shape: RequestShape): APIGatewayProxyEventV2 =>
  buildHttpApiEvent(requestOf(shape));

export const restApiEvent = (shape: RequestShape): APIGatewayProxyEvent =>
  buildRestApiEvent(requestOf({ headerName: "Authorization", ...shape }));

export function eventFor(version: PayloadVersion, shape: RequestShape): ApiGatewayEvent {
  return version === "v2" ? httpApiEvent(shape) : restApiEvent(shape);
}

export interface LogoutApp {
  identity: LocalIdentity;
  invoke(event: ApiGatewayEvent): Promise<HttpResponse>;
}

export async function createLogoutApp(
  options: {
    identity?: LocalIdentity;
    environment?: Record<string, string>;
    revocations?: RevocationRecorder;
    /** Another verifier than the identity's own (one that accepts several issuers). */
    verify?: VerifyToken;
    /** One try at a JWKS endpoint, shorter than deployed where the test makes one hang. */
    jwksFetchMs?: number;
  } = {},
): Promise<LogoutApp> {
  const identity = options.identity ?? (await createLocalIdentity());
  const config = loadConfig({ ...identity.environment, ...options.environment });
  const handler = createLogoutHandler({
    logger: createLogger(),
    verify:
      options.verify ??
      createTokenVerifier(
        config.verifier,
        options.jwksFetchMs === undefined ? {} : { jwksFetchMs: options.jwksFetchMs },
      ),
    revocations: options.revocations,
    apiBasePath: config.apiBasePath,
  });
  return {
    identity,
    invoke: async (event) => (await handler(event, lambdaContext())) as HttpResponse,
  };
}

export function bodyOf(response: HttpResponse): Record<string, unknown> & {
  error: { code: string; status: number; details: { reason: string }; [key: string]: unknown };
} {
  return JSON.parse(response.body);
}
