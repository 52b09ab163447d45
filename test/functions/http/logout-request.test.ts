/** The logout's request beyond its token: `scope`, `Idempotency-Key` and the body, each refused clearly. */
import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../../functions/domain/errors.js";
import {
  parseIdempotencyKey,
  parseLogoutBody,
  parseLogoutScope,
} from "../../../functions/http/logout-request.js";

describe("parseLogoutScope", () => {
  it("is local without a scope, else the one scope given", () => {
    expect(parseLogoutScope({})).toBe("local");
    expect(parseLogoutScope({ scope: [] })).toBe("local");
    for (const scope of ["local", "global", "others"]) {
      expect(parseLogoutScope({ scope: [scope] })).toBe(scope);
    }
  });

  it.each([[["everywhere"]], [["global", "local"]], [[""]]])("refuses scope=%j", (values) => {
    expect(() => parseLogoutScope({ scope: values })).toThrow(
      new InvalidRequestError('Query parameter "scope" must be one of: local, global, others'),
    );
  });

  it.each([
    ["SCOPE", "SCOPE"],
    ["scopé\u0000", "scop??"],
    ["x".repeat(40), "x".repeat(40)],
    ["y".repeat(41), `${"y".repeat(40)}…`],
  ])("names an unknown parameter %j safely: %j", (name, shown) => {
    expect(() => parseLogoutScope({ [name]: ["global"] })).toThrow(
      new InvalidRequestError(`Unknown query parameter "${shown}": the only one is "scope"`),
    );
  });
});

describe("parseLogoutBody", () => {
  it.each([undefined, "", "   \n", "{}"])("%j holds no refresh token", (body) => {
    expect(parseLogoutBody(body)).toEqual({ refreshToken: undefined });
  });

  it("reads the refresh token", () => {
    expect(parseLogoutBody('{"refreshToken":"r-1"}')).toEqual({ refreshToken: "r-1" });
  });

  it.each([
    ["{", "The request body must be JSON"],
    ["[]", "The request body must be a JSON object"],
    ["null", "The request body must be a JSON object"],
    ["1", "The request body must be a JSON object"],
    ['"text"', "The request body must be a JSON object"],
    ['{"refreshToken":""}', '"refreshToken" must be a non-empty string'],
    ['{"refreshToken":7}', '"refreshToken" must be a non-empty string'],
  ])("refuses %j: %s", (body, reason) => {
    expect(() => parseLogoutBody(body)).toThrow(new InvalidRequestError(reason));
  });
});

describe("parseIdempotencyKey", () => {
  it("is none without the header, else its one value", () => {
    expect(parseIdempotencyKey([])).toBeUndefined();
    expect(parseIdempotencyKey(["k".repeat(255)])).toBe("k".repeat(255));
  });

  // "a,b": two values as payload 2.0 delivers them, joined with a comma.
  it.each([[["a", "b"]], [["a,b"]], [[""]], [["a b"]], [["k".repeat(256)]]])(
    "refuses %j",
    (values) => {
      expect(() => parseIdempotencyKey(values)).toThrow(InvalidRequestError);
    },
  );
});
