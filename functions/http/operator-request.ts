/**
 * The operator's sign-out request: `{"sub": "…"}` or, with Cognito, `{"username": "…"}`, an
 * optional `iss` that must be the deployment's own, and a required `reason` (why, for the log).
 */

import type { OperatorTarget } from "../core/operator-sign-out.js";
import { InvalidRequestError } from "../domain/errors.js";

export interface OperatorRequest {
  target: OperatorTarget;
  reason: string;
}

const text = (value: unknown, maxLength: number) =>
  typeof value === "string" &&
  value.trim() !== "" &&
  value.length <= maxLength &&
  // No control characters: the reason lands in a log line, which a newline would split.
  [...value].every((character) => character >= " " && character !== "\u007f");

export function parseOperatorRequest(
  body: string | undefined,
  { issuer, byUsername }: { issuer: string; byUsername: boolean },
): OperatorRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? "");
  } catch {
    throw new InvalidRequestError("The request body must be JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InvalidRequestError("The request body must be a JSON object");
  }
  const { iss, sub, username, reason, ...other } = parsed as Record<string, unknown>;
  const unknown = Object.keys(other);
  if (unknown.length > 0) {
    throw new InvalidRequestError('The body takes "sub" or "username", "iss" and "reason" only');
  }
  if (!text(reason, 500)) {
    throw new InvalidRequestError('"reason" is required: why, in at most 500 characters');
  }
  if (iss !== undefined && iss !== issuer) {
    throw new InvalidRequestError(`"iss" must be this deployment's issuer, ${issuer}`);
  }
  if ((sub === undefined) === (username === undefined)) {
    throw new InvalidRequestError('Name the user by exactly one of "sub" and "username"');
  }
  if (sub !== undefined) {
    if (!text(sub, 256)) throw new InvalidRequestError('"sub" must be a non-empty string');
    return { target: { sub: sub as string }, reason: reason as string };
  }
  if (!byUsername) {
    throw new InvalidRequestError('"username" needs a Cognito user pool: name the user by "sub"');
  }
  if (!text(username, 256)) throw new InvalidRequestError('"username" must be a non-empty string');
  return { target: { username: username as string }, reason: reason as string };
}
