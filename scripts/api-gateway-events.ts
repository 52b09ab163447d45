/**
 * The one way this project builds API Gateway events from an HTTP request, as API Gateway does:
 * HTTP API payload 2.0, REST API proxy payload 1.0, and the Lambda REQUEST authorizers' events
 * of both (payload 2.0 for an HTTP API, the REST API's own). Used by `npm start`, the tests and the bench, so that all of them feed the handlers what
 * Lambda would.
 */
import { randomUUID } from "node:crypto";
import type {
  APIGatewayEventRequestContextV2,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithIAMAuthorizer,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
} from "aws-lambda";

export interface HttpRequestShape {
  method?: string;
  /** The full path, API base included (`/core/v1/auth/logout`). */
  path?: string;
  /** The raw query string, without `?`. */
  query?: string;
  /** Header names as the client sent them; an array is a header repeated. */
  headers?: Record<string, string | readonly string[]>;
  body?: string | undefined;
  sourceIp?: string;
  /** The API Gateway route the request matched; default `<method> <path>`. */
  routeKey?: string;
}

const DEFAULTS = { method: "POST", path: "/core/v1/auth/logout", sourceIp: "127.0.0.1" };

function requestContextV2(
  request: HttpRequestShape,
  routeKey: string,
  userAgent: string,
): APIGatewayEventRequestContextV2 {
  const now = new Date();
  return {
    accountId: "123456789012",
    apiId: "local",
    domainName: "api-sandbox.rinne.com.br",
    domainPrefix: "api-sandbox",
    http: {
      method: request.method ?? DEFAULTS.method,
      path: request.path ?? DEFAULTS.path,
      protocol: "HTTP/1.1",
      sourceIp: request.sourceIp ?? DEFAULTS.sourceIp,
      userAgent,
    },
    requestId: randomUUID(),
    routeKey,
    stage: "$default",
    time: now.toUTCString(),
    timeEpoch: now.getTime(),
  };
}

/** Payload 2.0 lower-cases header names, joins repeated headers with commas, takes out cookies. */
function headersV2(request: HttpRequestShape) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    const key = name.toLowerCase();
    const values = typeof value === "string" ? [value] : [...value];
    headers[key] = headers[key] === undefined ? values.join(",") : `${headers[key]},${values}`;
  }
  const cookies = headers.cookie?.split(/;\s*/);
  delete headers.cookie;
  return { headers, cookies };
}

function queryParameters(query: string): Record<string, string> | undefined {
  if (query === "") return undefined;
  const single: Record<string, string> = {};
  // Payload 2.0 joins repeated parameters with commas.
  for (const [key, value] of new URLSearchParams(query)) {
    single[key] = single[key] === undefined ? value : `${single[key]},${value}`;
  }
  return single;
}

export function httpApiEvent(request: HttpRequestShape): APIGatewayProxyEventV2 {
  const { headers, cookies } = headersV2(request);
  const routeKey =
    request.routeKey ?? `${request.method ?? DEFAULTS.method} ${request.path ?? DEFAULTS.path}`;
  const query = request.query ?? "";
  const queryStringParameters = queryParameters(query);
  return {
    version: "2.0",
    routeKey,
    rawPath: request.path ?? DEFAULTS.path,
    rawQueryString: query,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: requestContextV2(request, routeKey, headers["user-agent"] ?? ""),
    ...(request.body !== undefined && request.body !== "" ? { body: request.body } : {}),
    isBase64Encoded: false,
  };
}

/** The event an HTTP API hands a Lambda REQUEST authorizer (payload 2.0) before the route runs. */
export function httpApiAuthorizerEvent(
  request: HttpRequestShape,
): APIGatewayRequestAuthorizerEventV2 {
  const { body: _body, isBase64Encoded: _encoded, ...event } = httpApiEvent(request);
  const { requestContext } = event;
  return {
    ...event,
    type: "REQUEST",
    routeArn: `arn:aws:execute-api:us-east-1:${requestContext.accountId}:${requestContext.apiId}/${requestContext.stage}/${requestContext.http.method}${requestContext.http.path}`,
    identitySource: event.headers.authorization === undefined ? [] : [event.headers.authorization],
    cookies: event.cookies ?? [],
  };
}

export function restApiEvent(request: HttpRequestShape): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    const values = typeof value === "string" ? [value] : [...value];
    multiValueHeaders[name] = values;
    headers[name] = values.at(-1) as string;
  }
  const query = request.query ?? "";
  const params = new URLSearchParams(query);
  const multiQuery: Record<string, string[]> = {};
  for (const [key, value] of params) multiQuery[key] = [...(multiQuery[key] ?? []), value];
  const path = request.path ?? DEFAULTS.path;
  const method = request.method ?? DEFAULTS.method;
  return {
    resource: path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: query ? Object.fromEntries(params) : null,
    multiValueQueryStringParameters: query ? multiQuery : null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      requestId: randomUUID(),
      stage: "prod",
      httpMethod: method,
      path,
      resourcePath: path,
      identity: { sourceIp: request.sourceIp ?? DEFAULTS.sourceIp },
    } as APIGatewayProxyEvent["requestContext"],
    body: request.body ?? null,
    isBase64Encoded: false,
  };
}

/** The event a REST API hands a Lambda REQUEST authorizer before the method runs. */
export function restApiAuthorizerEvent(
  request: HttpRequestShape,
): APIGatewayRequestAuthorizerEvent {
  const { requestContext, resource, path, httpMethod, ...event } = restApiEvent(request);
  const { body: _body, isBase64Encoded: _encoded, ...rest } = event;
  return {
    ...rest,
    type: "REQUEST",
    methodArn: `arn:aws:execute-api:us-east-1:123456789012:local/${requestContext.stage}/${httpMethod}${path}`,
    resource,
    path,
    httpMethod,
    requestContext: requestContext as unknown as APIGatewayRequestAuthorizerEvent["requestContext"],
  };
}

/**
 * The event a Lambda function URL with IAM auth hands its function (payload 2.0): AWS adds the
 * signer's identity. `callerArn` undefined: none, as under auth type NONE.
 */
export function functionUrlEvent(
  request: HttpRequestShape,
  callerArn: string | undefined,
): APIGatewayProxyEventV2WithIAMAuthorizer {
  const event = httpApiEvent({ path: "/", routeKey: "$default", ...request });
  const iam = {
    accessKey: "ASIALOCAL",
    accountId: "123456789012",
    callerId: "AROALOCAL:operator",
    cognitoIdentity: null,
    principalOrgId: null,
    userArn: callerArn as string,
    userId: "AROALOCAL:operator",
  };
  return {
    ...event,
    requestContext: {
      ...event.requestContext,
      ...(callerArn === undefined ? {} : { authorizer: { iam } }),
    },
  } as unknown as APIGatewayProxyEventV2WithIAMAuthorizer;
}
