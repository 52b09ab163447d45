import { describe, expect, it } from "vitest";
import { extractBearerToken } from "../../../functions/auth/bearer-header.js";
import { AuthenticationError } from "../../../functions/http/problems.js";

function refusal(authorization: string[]): AuthenticationError {
  try {
    extractBearerToken(authorization);
  } catch (error) {
    if (error instanceof AuthenticationError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("extractBearerToken", () => {
  it("returns the one token, with the scheme in any case and spaces around", () => {
    expect(extractBearerToken(["Bearer a.b.c"])).toBe("a.b.c");
    expect(extractBearerToken(["  bEaReR \t x-y_z.1~2+3/4==  "])).toBe("x-y_z.1~2+3/4==");
  });

  it.each([
    [[], "Missing Authorization header", false],
    [["   "], "Missing Authorization header", false],
    [["Bearer a.b.c", "Bearer d.e.f"], "Multiple Authorization values", true],
    [["Bearer a.b.c,Bearer d.e.f"], "Multiple Authorization values", true],
    [["Basic Zm9vOmJhcg=="], "Unsupported authorization scheme", false],
    [["Bearer"], "Missing bearer token", false],
    [["Bearer a.b c"], "Malformed token", true],
    [["Bearer a.b.c\u00e9"], "Malformed token", true],
  ] as const)("refuses %j: %s", (authorization, reason, tokenSent) => {
    const error = refusal([...authorization]);
    expect(error.reason).toBe(reason);
    expect(error.tokenSent).toBe(tokenSent);
    expect(error.statusCode).toBe(401);
  });
});
