/**
 * The back-channel logout's HTTP edge, as OpenID Connect Back-Channel Logout 1.0 section 2.5
 * and 2.8 say: a form-encoded body with one `logout_token`; `200` once the logout is recorded,
 * `400` with a JSON `error` for a request or a token that is no good, and (this API's word) `503`
 * with `Retry-After` when it could not be recorded, so the issuer tries again. Every answer is
 * `Cache-Control: no-store`. Not the contract's envelope: the caller is the issuer, which reads
 * OAuth's error objects.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from "aws-lambda";
import {
  DependencyMisconfiguredError,
  DependencyUnavailableError,
  InvalidRequestError,
  InvalidTokenError,
} from "../domain/errors.js";
import { headerValues } from "./api-gateway-event.js";
import type { HttpResponse } from "./responses.js";

/** A logout token is about 1 KB; a body past this is no logout request, and is not read. */
export const MAX_BACKCHANNEL_BODY_BYTES = 16 * 1024;

/** The logout token of a back-channel logout request. */
export function readLogoutToken(event: APIGatewayProxyEvent | APIGatewayProxyEventV2): string {
  const contentType = headerValues(
    event.headers,
    "content-type",
    (event as APIGatewayProxyEvent).multiValueHeaders,
  );
  const mediaType = contentType[0]?.split(";")[0]?.trim().toLowerCase();
  if (contentType.length !== 1 || mediaType !== "application/x-www-form-urlencoded") {
    throw new InvalidRequestError("The body must be application/x-www-form-urlencoded");
  }
  const raw = event.body ?? "";
  // Measured before decoding: base64 only grows it.
  if (
    raw.length >
    (event.isBase64Encoded ? (MAX_BACKCHANNEL_BODY_BYTES * 4) / 3 : MAX_BACKCHANNEL_BODY_BYTES)
  ) {
    throw new InvalidRequestError(`The body is larger than ${MAX_BACKCHANNEL_BODY_BYTES} bytes`);
  }
  const body = event.isBase64Encoded ? Buffer.from(raw, "base64").toString("utf8") : raw;
  const tokens = new URLSearchParams(body).getAll("logout_token");
  if (tokens.length !== 1 || tokens[0] === "") {
    throw new InvalidRequestError('The body must hold one "logout_token"');
  }
  return tokens[0] as string;
}

const NO_STORE = { "Cache-Control": "no-store" } as const;

const errorObject = (statusCode: number, error: string, description: string): HttpResponse => ({
  statusCode,
  headers: {
    ...NO_STORE,
    "Content-Type": "application/json",
    ...(statusCode === 503 ? { "Retry-After": "1" } : {}),
  },
  body: JSON.stringify({ error, error_description: description }),
});

export const backchannelRecorded = (): HttpResponse => ({
  statusCode: 200,
  headers: { ...NO_STORE },
  body: "",
});

/** The answer to a failure, by its class, and the reason the log line gives. */
export function backchannelFailure(error: unknown): { response: HttpResponse; reason: string } {
  if (error instanceof InvalidRequestError || error instanceof InvalidTokenError) {
    return { response: errorObject(400, "invalid_request", error.message), reason: error.message };
  }
  if (error instanceof DependencyUnavailableError) {
    return {
      response: errorObject(503, "temporarily_unavailable", "The logout could not be recorded"),
      reason: error.message,
    };
  }
  const reason = error instanceof DependencyMisconfiguredError ? error.message : "Unexpected error";
  return { response: errorObject(500, "server_error", "The logout could not be recorded"), reason };
}
