/**
 * What the logout's request may hold beyond its bearer token, read and refused here, at the
 * HTTP edge: the `scope` query parameter, the `Idempotency-Key` header and the optional body.
 */
import { InvalidRequestError } from "../domain/errors.js";
import { LOGOUT_SCOPES, type LogoutScope } from "../domain/ports.js";

/** The one query parameter the endpoint takes; any other, in any case or form, is refused. */
const SCOPE_PARAMETER = "scope";

export function parseLogoutScope(query: Readonly<Record<string, readonly string[]>>): LogoutScope {
  for (const name of Object.keys(query)) {
    if (name !== SCOPE_PARAMETER) {
      // `SCOPE=global` or `scope[]=global` must not quietly become a local logout.
      throw new InvalidRequestError(
        `Unknown query parameter "${printable(name)}": the only one is "scope"`,
      );
    }
  }
  const values = query[SCOPE_PARAMETER] ?? [];
  if (values.length === 0) return "local";
  const [scope] = values;
  if (values.length > 1 || !LOGOUT_SCOPES.includes(scope as LogoutScope)) {
    throw new InvalidRequestError('Query parameter "scope" must be one of: local, global, others');
  }
  return scope as LogoutScope;
}

/** A client's text, safe to echo in a reason: short, and visible ASCII only. */
function printable(text: string): string {
  const visible = text.replace(/[^\x20-\x7e]/g, "?");
  return visible.length > 40 ? `${visible.slice(0, 40)}…` : visible;
}

/**
 * The optional body, an extension of the contract for Cognito: `{"refreshToken": "…"}`, the
 * refresh token of this session, to revoke at Cognito as well. No body, no refresh token.
 */
export function parseLogoutBody(body: string | undefined): { refreshToken: string | undefined } {
  if (body === undefined || body.trim() === "") return { refreshToken: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidRequestError("The request body must be JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InvalidRequestError("The request body must be a JSON object");
  }
  const { refreshToken } = parsed as { refreshToken?: unknown };
  if (refreshToken !== undefined && (typeof refreshToken !== "string" || refreshToken === "")) {
    throw new InvalidRequestError('"refreshToken" must be a non-empty string');
  }
  return { refreshToken };
}

// Visible ASCII but the comma, as a UUID or any client-made id is; bounded, since it is hashed
// into a record. No comma: payload 2.0 joins two values of a header with one, so "a,b" may be
// two keys, and is refused as payload 1.0's two values are.
const IDEMPOTENCY_KEY = /^[\x21-\x2b\x2d-\x7e]{1,255}$/;

/**
 * The optional `Idempotency-Key` header: a client that retries a logout whose answer it lost
 * (a timeout, a 503 after the write landed) sends the same key, and gets the 200 it was owed
 * instead of 401 "Token has been revoked".
 */
export function parseIdempotencyKey(values: readonly string[]): string | undefined {
  if (values.length === 0) return undefined;
  const [key] = values;
  if (values.length > 1 || key === undefined || !IDEMPOTENCY_KEY.test(key)) {
    throw new InvalidRequestError(
      'Header "Idempotency-Key" must be one value of 1 to 255 visible ASCII characters, no comma',
    );
  }
  return key;
}
