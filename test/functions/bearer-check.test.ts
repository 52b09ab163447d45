/**
 * The one place a function requires the revocation table: every entry point that would refuse
 * no revoked token, or revoke nothing, without it fails its cold start the same way.
 */
import { expect, it } from "vitest";
import { authorizerHandlerFromEnvironment } from "../../functions/authorizer/authorizer-handler.js";
import { ConfigurationError } from "../../functions/domain/errors.js";
import { operatorHandlerFromEnvironment } from "../../functions/operator/operator-handler.js";
import { protectedHandler } from "../../functions/protected-handler.js";
import { createLocalIdentity } from "../../scripts/local-identity.js";

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
