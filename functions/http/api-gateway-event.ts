/**
 * Reads what the endpoint needs from either API Gateway payload, so nothing past this module
 * knows which one arrived: HTTP API (payload 2.0) or REST API proxy (payload 1.0).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from "aws-lambda";

export type ApiGatewayEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

export interface HttpRequest {
  /** Path relative to the API's base URL (`/v1/auth/logout`), as the contract's `error.path`. */
  readonly path: string;
  /** Every Authorization value the client sent (header names are case-insensitive). */
  readonly authorization: readonly string[];
  /** Every Idempotency-Key value the client sent. */
  readonly idempotencyKey: readonly string[];
  /** Every value of each query parameter. */
  readonly query: Readonly<Record<string, readonly string[]>>;
  /** The API Gateway request id, else the Lambda request id. */
  readonly requestId: string;
  readonly body: string | undefined;
}

function isPayloadV2(event: ApiGatewayEvent): event is APIGatewayProxyEventV2 {
  return (event as APIGatewayProxyEventV2).version === "2.0";
}

function valuesOf(
  single: Record<string, string | undefined> | null | undefined,
  multi: Record<string, string[] | undefined> | null | undefined,
  name: string,
): string[] {
  const values: string[] = [];
  // A v1 event repeats single values in the multi-value map; read the latter where it exists.
  for (const [key, value] of Object.entries(multi ?? single ?? {})) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    values.push(...(Array.isArray(value) ? value : [value]));
  }
  return values;
}

/**
 * Every value of one header, any case of its name: of a payload 2.0 event (an authorizer's
 * too), or of a REST API's, whose multi-value map holds each repeat.
 */
export function headerValues(
  headers: Record<string, string | undefined> | null | undefined,
  name: string,
  multiValueHeaders?: Record<string, string[] | undefined> | null,
): string[] {
  return valuesOf(headers, multiValueHeaders, name);
}

/** The path relative to a base path (`/core/v1/x` → `/v1/x`); as it is where it lies outside. */
export function stripPrefix(path: string, prefix: string): string {
  if (prefix === "" || prefix === "/") return path;
  if (path === prefix) return "/";
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
}

/** @param apiBasePath the path part of the API's base URL (the contract's servers: `/core`). */
export function readHttpRequest(
  event: ApiGatewayEvent,
  context: Pick<Context, "awsRequestId">,
  apiBasePath: string,
): HttpRequest {
  const rawBody = event.body ?? undefined;
  const body =
    rawBody !== undefined && event.isBase64Encoded
      ? Buffer.from(rawBody, "base64").toString("utf8")
      : rawBody;

  if (isPayloadV2(event)) {
    const stage = event.requestContext?.stage;
    const withoutStage =
      stage && stage !== "$default" ? stripPrefix(event.rawPath, `/${stage}`) : event.rawPath;
    const query: Record<string, string[]> = {};
    // Payload 2.0 joins repeated parameters with commas; rawQueryString keeps them apart.
    if (event.rawQueryString) {
      for (const [key, value] of new URLSearchParams(event.rawQueryString)) {
        query[key] = [...(query[key] ?? []), value];
      }
    }
    return {
      path: stripPrefix(withoutStage ?? "/", apiBasePath),
      // Payload 2.0 lower-cases header names and joins repeated headers with commas.
      authorization: headerValues(event.headers, "authorization"),
      idempotencyKey: headerValues(event.headers, "idempotency-key"),
      query,
      requestId: event.requestContext?.requestId ?? context.awsRequestId,
      body,
    };
  }

  const query: Record<string, string[]> = {};
  const multiQuery = event.multiValueQueryStringParameters ?? {};
  const singleQuery = event.queryStringParameters ?? {};
  for (const key of new Set([...Object.keys(multiQuery), ...Object.keys(singleQuery)])) {
    const values = multiQuery[key] ?? [singleQuery[key]];
    query[key] = values.filter((value): value is string => value !== undefined);
  }
  return {
    path: stripPrefix(event.path ?? "/", apiBasePath),
    authorization: valuesOf(event.headers, event.multiValueHeaders, "authorization"),
    idempotencyKey: valuesOf(event.headers, event.multiValueHeaders, "idempotency-key"),
    query,
    requestId: event.requestContext?.requestId ?? context.awsRequestId,
    body,
  };
}
