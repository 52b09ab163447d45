/**
 * The HTTP plumbing every function's answer goes through: one log line per request, its cold
 * start flag, its name by outcome, a bounded `sub`; the envelope even for an event that cannot
 * be read; each status's public sentence.
 */
import { describe, expect, it } from "vitest";
import { captureOutput } from "../../support/captured-output.js";
import { bodyOf, createLogoutApp, eventFor } from "../../support/logout-app.js";

const output = captureOutput();
const lines = () => output.lines().filter((line) => "status" in line);

describe("apiContract's log line", () => {
  it("says cold_start on the first request of an instance only, and names the line by its outcome", async () => {
    const app = await createLogoutApp();
    const token = await app.identity.mint("valid");
    await app.invoke(eventFor("v2", { authorization: [`Bearer ${token}`] }));
    await app.invoke(eventFor("v2", {}));
    expect(lines().map((line) => [line.message, line.cold_start, line.status])).toEqual([
      ["request completed", true, 200],
      ["request refused", false, 401],
    ]);
  });

  it("keeps a client's long sub to 128 characters", async () => {
    const app = await createLogoutApp();
    const sub = "s".repeat(3000);
    await app.invoke(
      eventFor("v2", { authorization: [`Bearer ${await app.identity.mint("valid", { sub })}`] }),
    );
    expect(lines()[0]?.sub).toBe(sub.slice(0, 128));
  });
});

describe("the envelope", () => {
  it("answers even an event it cannot read: a 500, its path the root, the Lambda request id", async () => {
    const app = await createLogoutApp();
    const response = await app.invoke(null as never);
    expect(response.statusCode).toBe(500);
    const { error } = bodyOf(response);
    expect(error).toMatchObject({
      code: "INTERNAL_ERROR",
      message: "An unexpected error occurred",
      details: { reason: "Unexpected error" },
      path: "/",
    });
    expect(error.requestId).toBe(lines()[0]?.function_request_id);
    expect(lines()[0]).toMatchObject({ message: "request failed", level: "ERROR" });
  });

  it.each([
    [400, "VALIDATION_ERROR", "The request is invalid", { query: "scope=all" }],
    [401, "AUTHENTICATION_ERROR", "Authentication required to access this resource", {}],
  ])("%s %s says %j", async (status, code, message, shape) => {
    const app = await createLogoutApp();
    const token = await app.identity.mint("valid");
    const response = await app.invoke(
      eventFor("v2", {
        ...(status === 400 ? { authorization: [`Bearer ${token}`] } : {}),
        ...shape,
      }),
    );
    expect(response.statusCode).toBe(status);
    expect(bodyOf(response).error).toMatchObject({ code, message, status });
  });
});
