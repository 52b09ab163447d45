/**
 * Takes the one bearer token out of the Authorization values (RFC 6750 §2.1, RFC 7235 §2.1).
 * The scheme is case-insensitive; exactly one credential is allowed.
 */
import { AuthenticationError } from "../http/problems.js";

// RFC 6750 b64token: the only characters a bearer credential may hold.
const BEARER = /^bearer(?:[ \t]+(.*))?$/i;
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export function extractBearerToken(authorization: readonly string[]): string {
  if (authorization.length === 0 || authorization.every((value) => value.trim() === "")) {
    throw new AuthenticationError("Missing Authorization header", false);
  }
  // API Gateway's payload 2.0 joins repeated headers with a comma, which no b64token holds.
  if (authorization.length > 1 || authorization[0]?.includes(",")) {
    throw new AuthenticationError("Multiple Authorization values", true);
  }
  const match = BEARER.exec((authorization[0] ?? "").trim());
  if (!match) {
    throw new AuthenticationError("Unsupported authorization scheme", false);
  }
  const token = (match[1] ?? "").trim();
  if (token === "") {
    throw new AuthenticationError("Missing bearer token", false);
  }
  if (!B64TOKEN.test(token)) {
    throw new AuthenticationError("Malformed token", true);
  }
  return token;
}
