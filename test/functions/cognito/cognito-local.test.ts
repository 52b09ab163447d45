import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogoutHandler } from "../../../functions/logout/logout-handler.js";
import { logoutHandlerFromEnvironment } from "../../../functions/logout/logout-handler.js";
import { captureOutput } from "../../support/captured-output.js";
import { type CognitoLocal, startCognitoLocal } from "../../support/cognito-local.js";
import { type LocalDynamoDb, lambdaContext, startLocalDynamoDb } from "../../support/kit.js";
import { httpApiEvent } from "../../support/logout-app.js";

const output = captureOutput();
let cognito: CognitoLocal;
let dynamodb: LocalDynamoDb;
let handler: LogoutHandler;
let environment: Record<string, string>;

beforeAll(async () => {
  [cognito, dynamodb] = await Promise.all([startCognitoLocal(), startLocalDynamoDb()]);
  await dynamodb.createRevocationTable("cognito-revocations");
  // The function's environment, passed down: the AWS SDK inside it finds the emulator there.
  environment = {
    ...dynamodb.environment,
    AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: cognito.endpoint,
    COGNITO_USER_POOL_ID: cognito.userPoolId,
    COGNITO_CLIENT_ID: cognito.clientId,
    JWKS: cognito.jwks,
    REVOCATION_TABLE_NAME: "cognito-revocations",
  };
  handler = logoutHandlerFromEnvironment(environment);
}, 60_000);

afterAll(async () => {
  await Promise.all([cognito?.stop(), dynamodb?.stop()]);
});

let users = 0;
async function signedInUser() {
  const email = `user${++users}@rinne.example`;
  await cognito.createUser(email);
  return cognito.signIn(email);
}

const logout = (accessToken: string, body?: string, query = "") =>
  handler(
    httpApiEvent({ authorization: [`Bearer ${accessToken}`], query, ...(body ? { body } : {}) }),
    lambdaContext(),
  );

describe("logout with a Cognito user pool (cognito-local)", () => {
  it("verifies the pool's real tokens with the function's own configuration", async () => {
    const { accessToken } = await signedInUser();
    expect((await logout(accessToken)).statusCode).toBe(200);
  });

  it("revokes the session's refresh token at Cognito: REFRESH_TOKEN_AUTH fails afterwards", async () => {
    const { accessToken, refreshToken } = await signedInUser();
    // The refresh token works before the logout.
    expect(await cognito.refresh(refreshToken)).toMatch(/^ey/);

    const response = await logout(accessToken, JSON.stringify({ refreshToken }));

    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('{"success":true,"message":"Logged out successfully"}');
    await expect(cognito.refresh(refreshToken)).rejects.toMatchObject({
      name: "NotAuthorizedException",
    });
    // And the access token itself is refused from now on.
    expect(JSON.parse((await logout(accessToken)).body).error.details.reason).toBe(
      "Token has been revoked",
    );
  });

  it("takes a refresh token Cognito no longer knows as already dead, and logs out", async () => {
    const { accessToken, refreshToken } = await signedInUser();
    await logout((await signedInUser()).accessToken, JSON.stringify({ refreshToken }));

    const response = await logout(accessToken, JSON.stringify({ refreshToken }));

    expect(response.statusCode).toBe(200);
  });

  it.each([
    ["not JSON", "refreshToken=abc", "The request body must be JSON"],
    ["not an object", '["abc"]', "The request body must be a JSON object"],
    [
      "a number as refresh token",
      '{"refreshToken": 42}',
      '"refreshToken" must be a non-empty string',
    ],
    ["an empty refresh token", '{"refreshToken": ""}', '"refreshToken" must be a non-empty string'],
  ])("answers a body that is %s with 400, revoking nothing", async (_name, body, reason) => {
    const { accessToken, refreshToken } = await signedInUser();

    const response = await logout(accessToken, body);

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error).toMatchObject({
      code: "VALIDATION_ERROR",
      details: { reason },
    });
    expect(await cognito.refresh(refreshToken)).toMatch(/^ey/);
    expect((await logout(accessToken)).statusCode).toBe(200);
  });

  it("answers 503 when Cognito is unreachable, and the same access token can retry", async () => {
    const { accessToken, refreshToken } = await signedInUser();
    // A cold function whose Cognito endpoint answers nothing.
    const cutOff = logoutHandlerFromEnvironment({
      ...environment,
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: "http://127.0.0.1:9",
    });
    const failed = await cutOff(
      httpApiEvent({
        authorization: [`Bearer ${accessToken}`],
        body: JSON.stringify({ refreshToken }),
      }),
      lambdaContext(),
    );

    expect(failed.statusCode).toBe(503);
    expect(JSON.parse(failed.body).error).toMatchObject({
      code: "SERVICE_UNAVAILABLE",
      details: { reason: "Identity provider unavailable" },
    });
    // The log says the refresh token was revoked only once it was.
    const failedLine = output.lines().find((line) => line.status === 503);
    expect(failedLine).toBeDefined();
    expect(failedLine).not.toHaveProperty("refreshTokenRevoked");
    // Upstream came first: nothing was recorded, so the retry goes through.
    expect((await logout(accessToken, JSON.stringify({ refreshToken }))).statusCode).toBe(200);
    await expect(cognito.refresh(refreshToken)).rejects.toMatchObject({
      name: "NotAuthorizedException",
    });
  });

  it("never writes a refresh token to the log", async () => {
    const { accessToken, refreshToken } = await signedInUser();
    await logout(accessToken, JSON.stringify({ refreshToken }));
    const logged = output.text();
    expect(output.lines().length).toBeGreaterThan(0);
    expect(logged).not.toContain(refreshToken);
    expect(logged).not.toContain(refreshToken.split(".")[2] ?? "\u0000");
    expect(output.lines().at(-1)).toMatchObject({ status: 200, refreshTokenRevoked: true });
  });
});
