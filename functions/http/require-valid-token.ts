/**
 * The reusable check for every function of the API: the bearer token of the request is
 * verified and, where a revocation check is given, refused once revoked. A plain function for
 * any code, and a Middy middleware that puts the verified token on the context.
 */
import type { MiddlewareObj, Request } from "@middy/core";
import type { RevocationCheck, VerifyToken } from "../domain/ports.js";
import type { VerifiedToken } from "../domain/verified-token.js";
import type { ApiContext } from "./api-contract.js";
import { type ApiGatewayEvent, headerValues } from "./api-gateway-event.js";
import { extractBearerToken } from "./bearer-header.js";
import type { HttpResponse } from "./responses.js";

export interface RequireValidTokenOptions {
  verify: VerifyToken;
  /** Omit only where the caller records revocations itself, in the same round trip. */
  revocations?: RevocationCheck | undefined;
}

/** Verifies the one bearer token of `authorization` and refuses it if revoked. */
export async function authenticateBearer(
  authorization: readonly string[],
  { verify, revocations }: RequireValidTokenOptions,
): Promise<VerifiedToken> {
  const token = await verify(extractBearerToken(authorization));
  await revocations?.assertNotRevoked(token);
  return token;
}

export interface AuthenticatedContext extends ApiContext {
  token: VerifiedToken;
}

/**
 * Best after `apiContract`, which reads the request, logs the user and renders the 401 envelope
 * (`httpHandler` puts it there). Alone, it reads the header from the event itself, and its
 * errors are the domain's classes, for the caller's own error handling (`toProblem`).
 */
export function requireValidToken({
  verify,
  revocations,
}: RequireValidTokenOptions): MiddlewareObj<
  ApiGatewayEvent,
  HttpResponse,
  Error,
  AuthenticatedContext
> {
  return {
    async before(request: Request<ApiGatewayEvent, HttpResponse, Error, AuthenticatedContext>) {
      const { context, event } = request;
      const authorization =
        context.httpRequest?.authorization ??
        headerValues(
          event.headers,
          "authorization",
          "multiValueHeaders" in event ? event.multiValueHeaders : undefined,
        );
      const token = await verify(extractBearerToken(authorization));
      // Known from here on, so even a revoked token's refusal names its user in the log.
      // Bounded: a claim is the client's text, and a log line is not the place for 3,000 bytes of it.
      if (typeof token.claims.sub === "string" && context.logFields) {
        context.logFields.sub = token.claims.sub.slice(0, 128);
      }
      await revocations?.assertNotRevoked(token);
      context.token = token;
    },
  };
}
