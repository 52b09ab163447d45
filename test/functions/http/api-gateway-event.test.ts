import { describe, expect, it } from "vitest";
import { readHttpRequest } from "../../../functions/http/api-gateway-event.js";
import { lambdaContext } from "../../../scripts/lambda-context.js";
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
