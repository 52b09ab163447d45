/**
 * Builds the real logout handler (real verifier, real middleware) on the local development
 * identity, and sends it events of either payload version.
 */
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from "aws-lambda";
import { createTokenVerifier, type VerifyToken } from "../../functions/auth/token-verifier.js";
import { loadConfig } from "../../functions/config.js";
import type { ApiGatewayEvent } from "../../functions/http/api-gateway-event.js";
import type { HttpResponse } from "../../functions/http/responses.js";
import { createLogger } from "../../functions/logger.js";
import { createLogoutHandler } from "../../functions/logout/logout-handler.js";
import type { RevocationRecorder } from "../../functions/revocation/revocation.js";
import { lambdaContext } from "../../scripts/lambda-context.js";
import { createLocalIdentity, type LocalIdentity } from "../../scripts/local-identity.js";

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

export function httpApiEvent({
  authorization = [],
  query = "",
  body,
  headerName = "authorization",
  headers: extraHeaders = {},
}: RequestShape): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { "content-type": "application/json" };
  for (const [name, value] of Object.entries(extraHeaders)) headers[name.toLowerCase()] = value;
  // API Gateway lower-cases names in payload 2.0 and joins repeats with commas.
  if (authorization.length > 0) headers[headerName.toLowerCase()] = authorization.join(",");
  return {
    version: "2.0",
    routeKey: "POST /core/v1/auth/logout",
    rawPath: "/core/v1/auth/logout",
    rawQueryString: query,
    headers,
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "api-sandbox.rinne.com.br",
      domainPrefix: "api-sandbox",
      http: {
        method: "POST",
        path: "/core/v1/auth/logout",
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: "vitest",
      },
      requestId: `v2-${randomUUID()}`,
      routeKey: "POST /core/v1/auth/logout",
      stage: "$default",
      time: "24/Nov/2026:10:00:00 +0000",
      timeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}

export function restApiEvent({
  authorization = [],
  query = "",
  body,
  headerName = "Authorization",
  headers = {},
}: RequestShape): APIGatewayProxyEvent {
  const params = new URLSearchParams(query);
  const multiQuery: Record<string, string[]> = {};
  for (const [key, value] of params) multiQuery[key] = [...(multiQuery[key] ?? []), value];
  return {
    resource: "/core/v1/auth/logout",
    path: "/core/v1/auth/logout",
    httpMethod: "POST",
    headers: {
      ...headers,
      ...(authorization.length > 0 ? { [headerName]: authorization.at(-1) as string } : {}),
    },
    multiValueHeaders: {
      ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
      ...(authorization.length > 0 ? { [headerName]: authorization } : {}),
    },
    queryStringParameters: query ? Object.fromEntries(params) : null,
    multiValueQueryStringParameters: query ? multiQuery : null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { requestId: `v1-${randomUUID()}`, stage: "prod" },
    body: body ?? null,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEvent;
}

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
  } = {},
): Promise<LogoutApp> {
  const identity = options.identity ?? (await createLocalIdentity());
  const config = loadConfig({ ...identity.environment, ...options.environment });
  const handler = createLogoutHandler({
    logger: createLogger(),
    verify: options.verify ?? createTokenVerifier(config.verifier),
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
