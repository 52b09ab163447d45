/**
 * Middy middleware that gives a handler the contract's HTTP behaviour: the event read once into
 * an `HttpRequest`, every error turned into the contract's error envelope, and one structured
 * log line per request. (@middy/http-error-handler, used before it, renders only what escapes.)
 */
import type { MiddlewareObj, Request } from "@middy/core";
import type { Context } from "aws-lambda";
import type { Logger } from "../config/logger.js";
import { type RequestLogLine, redactTokenLike } from "../domain/log-schema.js";
import { type ApiGatewayEvent, type HttpRequest, readHttpRequest } from "./api-gateway-event.js";
import { causeName, describeFailure, type ProblemRow, toProblem } from "./problems.js";
import { errorResponse, type HttpResponse } from "./responses.js";

export interface ApiContext extends Context {
  httpRequest: HttpRequest;
  /** Fields for the request's one log line (the user's `sub`, the outcome), added on the way. */
  logFields: Partial<RequestLogLine>;
}

type ApiRequest = Request<ApiGatewayEvent, HttpResponse, Error, ApiContext>;

export interface ApiContractOptions {
  logger: Logger;
  apiBasePath: string;
  /** The edge's own rows of the problem table, before the shared ones. */
  problems?: readonly ProblemRow[];
}

export function apiContract({
  logger,
  apiBasePath,
  problems = [],
}: ApiContractOptions): MiddlewareObj<ApiGatewayEvent, HttpResponse, Error, ApiContext> {
  let coldStart = true;
  return {
    before(request: ApiRequest) {
      const { context } = request;
      const httpRequest = readHttpRequest(request.event, context, apiBasePath);
      context.httpRequest = httpRequest;
      // The request's identity goes into its one log line, rather than into the logger's
      // state (injectLambdaContext, setCorrelationId): half the logging cost on the warm path.
      context.logFields = {
        correlation_id: httpRequest.requestId,
        function_request_id: context.awsRequestId,
        cold_start: coldStart,
      };
      coldStart = false;
    },
    after(request: ApiRequest) {
      const line: Partial<RequestLogLine> = {
        status: request.response?.statusCode ?? 200,
        path: redactTokenLike(request.context.httpRequest.path),
        ...request.context.logFields,
      };
      logger.info("request completed", line);
    },
    onError(request: ApiRequest) {
      if (request.response !== undefined) return;
      const problem = toProblem(request.error, problems);
      // The event may have failed to parse before `before` finished: the line still names it.
      const httpRequest = request.context.httpRequest ?? {
        path: "/",
        requestId: request.context.awsRequestId ?? "unknown",
      };
      request.context.logFields ??= {
        correlation_id: httpRequest.requestId,
        function_request_id: request.context.awsRequestId,
        cold_start: coldStart,
      };
      coldStart = false;
      const fields: Partial<RequestLogLine> = {
        status: problem.status,
        code: problem.code,
        // Both may quote what the client sent (a parameter's name): never a token of it.
        reason: redactTokenLike(problem.reason),
        path: redactTokenLike(httpRequest.path),
        ...request.context.logFields,
      };
      if (problem.status >= 500) {
        // What failed (a dependency's error) is ours to see; a token's faults are not logged
        // beyond their class, since a parse error may quote the decoded token.
        logger.error("request failed", { ...fields, error: describeFailure(problem) });
      } else {
        logger.info("request refused", { ...fields, cause: causeName(problem) });
      }
      request.response = errorResponse(problem, httpRequest);
    },
  };
}
