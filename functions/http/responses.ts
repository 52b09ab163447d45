/**
 * The contract's two bodies: the JSON success and the error envelope of
 * `AuthenticationErrorResponse`. Every response is private to its caller: `no-store`.
 */
import type { APIGatewayProxyResult } from "aws-lambda";
import type { Problem } from "./problems.js";

export type HttpResponse = APIGatewayProxyResult & { headers: Record<string, string> };

const BASE_HEADERS = {
  "Content-Type": "application/json",
  "Cache-Control": "no-store",
} as const;

export function jsonResponse(statusCode: number, body: unknown): HttpResponse {
  return { statusCode, headers: { ...BASE_HEADERS }, body: JSON.stringify(body) };
}

export interface ErrorEnvelope {
  error: {
    code: string;
    message: string;
    status: number;
    details: { reason: string };
    path: string;
    timestamp: string;
    requestId: string;
  };
}

export function errorResponse(
  problem: Problem,
  request: { path: string; requestId: string },
  now: Date = new Date(),
): HttpResponse {
  const envelope: ErrorEnvelope = {
    error: {
      code: problem.code,
      message: problem.message,
      status: problem.status,
      details: { reason: problem.reason },
      path: request.path,
      timestamp: now.toISOString(),
      requestId: request.requestId,
    },
  };
  const response = jsonResponse(problem.status, envelope);
  Object.assign(response.headers, problem.headers);
  return response;
}
