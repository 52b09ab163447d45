/** The operator's request: whom (by sub, or by Cognito user name), the issuer, and why. */
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../../functions/domain/errors.js";
import { parseOperatorRequest } from "../../../functions/http/operator-request.js";

const ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Rinne123";
const parse = (body: unknown, byUsername = true) =>
  parseOperatorRequest(
    body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    {
      issuer: ISSUER,
      byUsername,
    },
  );

describe("parseOperatorRequest", () => {
  it("reads whom and why; the deployment's own issuer may be named", () => {
    expect(parse({ sub: "u-1", reason: "INC-1" })).toEqual({
      target: { sub: "u-1" },
      reason: "INC-1",
    });
    expect(parse({ iss: ISSUER, username: "maria", reason: "r".repeat(500) })).toEqual({
      target: { username: "maria" },
      reason: "r".repeat(500),
    });
  });

  it.each([
    [undefined, "The request body must be JSON"],
    ["{", "The request body must be JSON"],
    ["[]", "The request body must be a JSON object"],
    ["null", "The request body must be a JSON object"],
    ['"text"', "The request body must be a JSON object"],
    [
      { sub: "u", reason: "x", scope: "local" },
      'The body takes "sub" or "username", "iss" and "reason" only',
    ],
    [{ sub: "u" }, '"reason" is required: why, in at most 500 characters'],
    [{ sub: "u", reason: " " }, '"reason" is required: why, in at most 500 characters'],
    [{ sub: "u", reason: "r".repeat(501) }, '"reason" is required: why, in at most 500 characters'],
    [{ sub: "u", reason: "a\nb" }, '"reason" is required: why, in at most 500 characters'],
    [{ sub: "u", reason: "a\u007fb" }, '"reason" is required: why, in at most 500 characters'],
    [
      { iss: "https://evil.example", sub: "u", reason: "x" },
      `"iss" must be this deployment's issuer, ${ISSUER}`,
    ],
    [{ reason: "x" }, 'Name the user by exactly one of "sub" and "username"'],
    [
      { sub: "u", username: "u", reason: "x" },
      'Name the user by exactly one of "sub" and "username"',
    ],
    [{ sub: 7, reason: "x" }, '"sub" must be a non-empty string'],
    [{ sub: "s".repeat(257), reason: "x" }, '"sub" must be a non-empty string'],
    [{ username: "", reason: "x" }, '"username" must be a non-empty string'],
  ])("refuses %j: %s", (body, reason) => {
    expect(() => parse(body)).toThrow(new InvalidRequestError(reason));
  });

  it("takes a user name only where a Cognito pool can resolve it", () => {
    expect(() => parse({ username: "maria", reason: "x" }, false)).toThrow(
      new InvalidRequestError('"username" needs a Cognito user pool: name the user by "sub"'),
    );
    expect(parse({ sub: "u", reason: "x" }, false).target).toEqual({ sub: "u" });
  });
});
