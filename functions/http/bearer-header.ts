/**
 * Takes the one bearer token out of the Authorization values (RFC 6750 §2.1, RFC 7235 §2.1).
 * The scheme is case-insensitive; exactly one credential is allowed. Linear in the header's
 * length: no pattern here backtracks over a client's run of spaces.
 */
import { CredentialsMissingError, InvalidTokenError } from "../domain/errors.js";

const SCHEME = "bearer";
// RFC 6750 b64token: the only characters a bearer credential may hold.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const isBlank = (character: string | undefined) => character === " " || character === "\t";

export function extractBearerToken(authorization: readonly string[]): string {
  if (authorization.length === 0 || authorization.every((value) => value.trim() === "")) {
    throw new CredentialsMissingError("Missing Authorization header");
  }
  // API Gateway's payload 2.0 joins repeated headers with a comma, which no b64token holds.
  if (authorization.length > 1 || authorization[0]?.includes(",")) {
    throw new InvalidTokenError("Multiple Authorization values");
  }
  const value = (authorization[0] ?? "").trim();
  const scheme = value.slice(0, SCHEME.length).toLowerCase();
  if (scheme !== SCHEME || (value.length > SCHEME.length && !isBlank(value[SCHEME.length]))) {
    throw new CredentialsMissingError("Unsupported authorization scheme");
  }
  const token = value.slice(SCHEME.length).trim();
  if (token === "") throw new CredentialsMissingError("Missing bearer token");
  if (!B64TOKEN.test(token)) throw new InvalidTokenError("Malformed token");
  return token;
}
