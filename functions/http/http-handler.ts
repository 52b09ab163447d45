/**
 * The one Middy chain of every HTTP function here and of the API's others: the contract's
 * request reading, error envelope and log line (`apiContract`), with `@middy/http-error-handler`
 * behind it as a safety net for what escapes. The logout, the operator's sign-out and
 * `protectedHandler` all start from it, so they cannot drift apart.
 */
import middy from "@middy/core";
import httpErrorHandler from "@middy/http-error-handler";
import { type ApiContext, type ApiContractOptions, apiContract } from "./api-contract.js";
import type { ApiGatewayEvent } from "./api-gateway-event.js";
import type { HttpResponse } from "./responses.js";

export function httpHandler<Context extends ApiContext = ApiContext>(options: ApiContractOptions) {
  // No early-timeout timer (Middy's default fires 5 ms before Lambda's end): every wait has its
  // own bound, and the contract's 503 comes from those, not from a timer per request.
  return middy<ApiGatewayEvent, HttpResponse, Error, Context>({ timeoutEarlyInMillis: 0 })
    .use(httpErrorHandler({ logger: false }))
    .use(apiContract(options));
}
