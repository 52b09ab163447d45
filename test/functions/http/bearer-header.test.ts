import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { extractBearerToken } from "../../../functions/http/bearer-header.js";
import { type Problem, toProblem } from "../../../functions/http/problems.js";

function refusal(authorization: string[]): Problem {
  try {
    extractBearerToken(authorization);
  } catch (error) {
    return toProblem(error);
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
    [["Bearerx.y.z"], "Unsupported authorization scheme", false],
    [["Bear"], "Unsupported authorization scheme", false],
    [["Bearer\u00a0a.b.c"], "Unsupported authorization scheme", false],
    [["Bearer"], "Missing bearer token", false],
    [["Bearer a.b c"], "Malformed token", true],
    [["Bearer a.b.c\u00e9"], "Malformed token", true],
  ] as const)("refuses %j: %s", (authorization, reason, tokenSent) => {
    const error = refusal([...authorization]);
    expect(error.reason).toBe(reason);
    expect(error.status).toBe(401);
    // RFC 6750 §3.1: an error code only where a token was sent.
    expect(error.headers["WWW-Authenticate"]).toBe(
      tokenSent ? 'Bearer error="invalid_token"' : "Bearer",
    );
  });
});

/**
 * The rule as the regular expression it was first written as: quadratic on runs of spaces, but
 * plain to read. (`s`: a line break inside is no HTTP header's, so it reads as any character.)
 */
function byPattern(value: string): string | { refused: string } {
  const match = /^bearer(?:[ \t]+(.*))?$/is.exec(value.trim());
  if (!match) return { refused: "Unsupported authorization scheme" };
  const token = (match[1] ?? "").trim();
  if (token === "") return { refused: "Missing bearer token" };
  return /^[A-Za-z0-9\-._~+/]+=*$/.test(token) ? token : { refused: "Malformed token" };
}

describe("extractBearerToken, against the pattern it replaced", () => {
  const pieces = fc.constantFrom(
    "bearer",
    "Bearer",
    "BEARER",
    " ",
    "\t",
    "\u00a0",
    "\n",
    "a.b",
    "=",
    "é",
    "x",
    "  ",
  );
  it("reads every single value as the pattern does", () => {
    fc.assert(
      fc.property(
        fc.array(pieces, { maxLength: 12 }).map((parts) => parts.join("")),
        (value) => {
          fc.pre(value.trim() !== "" && !value.includes(","));
          let actual: string | { refused: string };
          try {
            actual = extractBearerToken([value]);
          } catch (error) {
            actual = { refused: (error as Error).message };
          }
          expect(actual).toEqual(byPattern(value));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
