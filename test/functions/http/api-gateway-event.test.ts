import { describe, expect, it } from "vitest";
import { readHttpRequest, stripPrefix } from "../../../functions/http/api-gateway-event.js";
import { lambdaContext } from "../../support/kit.js";
import { httpApiEvent, restApiEvent } from "../../support/logout-app.js";

const context = lambdaContext({ awsRequestId: "lambda-request-id" });

describe("readHttpRequest", () => {
  it("reads payload 2.0: path below the API base, repeated query values, request id", () => {
    const event = httpApiEvent({
      authorization: ["Bearer t"],
      query: "scope=global&scope=local",
      headers: { "Idempotency-Key": "k-1" },
    });
    const request = readHttpRequest(event, context, "/core");
    expect(request).toEqual({
      path: "/v1/auth/logout",
      authorization: ["Bearer t"],
      idempotencyKey: ["k-1"],
      query: { scope: ["global", "local"] },
      requestId: event.requestContext.requestId,
      body: undefined,
    });
  });

  it("strips a named stage from a payload 2.0 path", () => {
    const event = httpApiEvent({});
    event.rawPath = "/sandbox/core/v1/auth/logout";
    event.requestContext.stage = "sandbox";
    expect(readHttpRequest(event, context, "/core").path).toBe("/v1/auth/logout");
  });

  it("reads payload 1.0 multi-value headers whatever their case", () => {
    const event = restApiEvent({
      authorization: ["Bearer a", "Bearer b"],
      headerName: "AuThOrIzAtIoN",
    });
    expect(readHttpRequest(event, context, "/core").authorization).toEqual([
      "Bearer a",
      "Bearer b",
    ]);
  });

  it("falls back to the Lambda request id and decodes a base64 body", () => {
    const event = restApiEvent({ body: Buffer.from('{"a":1}').toString("base64") });
    event.isBase64Encoded = true;
    event.requestContext = {} as typeof event.requestContext;
    const request = readHttpRequest(event, context, "/core");
    expect(request.requestId).toBe("lambda-request-id");
    expect(request.body).toBe('{"a":1}');
  });
});

describe("the path relative to the API's base", () => {
  it.each([
    ["/core/v1/auth/logout", "/core", "/v1/auth/logout"],
    ["/core", "/core", "/"],
    ["/corex/v1/auth/logout", "/core", "/corex/v1/auth/logout"],
    ["/v1/auth/logout", "/", "/v1/auth/logout"],
    ["/v1/auth/logout", "", "/v1/auth/logout"],
  ])("%s below %j is %s", (path, base, expected) => {
    expect(stripPrefix(path, base)).toBe(expected);
    const event = httpApiEvent({});
    event.rawPath = path;
    expect(readHttpRequest(event, context, base).path).toBe(expected);
    const rest = restApiEvent({});
    rest.path = path;
    expect(readHttpRequest(rest, context, base).path).toBe(expected);
  });

  it("strips no stage named $default, and reads an event without a request context", () => {
    const event = httpApiEvent({});
    event.rawPath = "/$default/core/v1/auth/logout";
    expect(readHttpRequest(event, context, "/core").path).toBe("/$default/core/v1/auth/logout");
    const bare = httpApiEvent({});
    (bare as { requestContext?: unknown }).requestContext = undefined;
    expect(readHttpRequest(bare, context, "/core").requestId).toBe("lambda-request-id");
  });
});

describe("headers and query values", () => {
  it("takes only the header asked for, in any case, never one whose name merely contains it", () => {
    const event = httpApiEvent({
      headers: { "X-Authorization": "Bearer x", AUTHORIZATION: "Bearer y" },
    });
    expect(readHttpRequest(event, context, "/core").authorization).toEqual(["Bearer y"]);
  });

  it("reads a payload 1.0 query from its single-value map where no multi-value one is given", () => {
    const event = restApiEvent({ query: "scope=global" });
    event.multiValueQueryStringParameters = null;
    expect(readHttpRequest(event, context, "/core").query).toEqual({ scope: ["global"] });
  });

  it("has no query without a query string", () => {
    expect(readHttpRequest(httpApiEvent({}), context, "/core").query).toEqual({});
  });
});
