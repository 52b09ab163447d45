/**
 * The one place a function requires the revocation table: every entry point that would refuse
 * no revoked token, or revoke nothing, without it fails its cold start the same way; and what
 * the in-process check logs as, in a consumer's function.
 */
import { describe, expect, it } from "vitest";
import { authorizerHandlerFromEnvironment } from "../../functions/authorizer/authorizer-handler.js";
import { ConfigurationError } from "../../functions/domain/errors.js";
import { operatorHandlerFromEnvironment } from "../../functions/operator/operator-handler.js";
import { protectedHandler } from "../../functions/protected-handler.js";
import { captureOutput } from "../support/captured-output.js";
import { createLocalIdentity, httpApiEvent, lambdaContext } from "../support/kit.js";

const { environment } = await createLocalIdentity();

it.each([
  ["the authorizer", () => authorizerHandlerFromEnvironment(environment)],
  ["the operator's sign-out", () => operatorHandlerFromEnvironment(environment)],
  ["protectedHandler", () => protectedHandler(async () => ({}) as never, { env: environment })],
])("%s refuses to start without REVOCATION_TABLE_NAME, naming it", (_name, start) => {
  expect(start).toThrow(ConfigurationError);
  expect(start).toThrow(
    "Invalid configuration: REVOCATION_TABLE_NAME is required: without it no revoked token is refused",
  );
});

describe("protectedHandler's log lines", () => {
  const output = captureOutput();
  const consumer = {
    ...environment,
    REVOCATION_TABLE_NAME: "consumer-revocations",
    AWS_REGION: "sa-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
  };
  const refuseWithoutToken = async (env: Record<string, string>) => {
    const handler = protectedHandler(async () => ({}) as never, { env });
    const response = await handler(httpApiEvent({ headers: {} }), lambdaContext());
    expect(response.statusCode).toBe(401);
    return output.lines().map((line) => line.service);
  };

  it.each([
    [{ AWS_LAMBDA_FUNCTION_NAME: "payments-backend" }, "payments-backend"],
    [
      { AWS_LAMBDA_FUNCTION_NAME: "payments-backend", POWERTOOLS_SERVICE_NAME: "payments" },
      "payments",
    ],
    [{}, "protected-route"],
  ])("name the consumer's function, never the logout (%j)", async (names, service) => {
    expect(await refuseWithoutToken({ ...consumer, ...names })).toContain(service);
    expect(output.text()).not.toContain("auth-logout");
  });
});
