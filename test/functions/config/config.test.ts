import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../functions/config/config.js";
import { ConfigurationError } from "../../../functions/domain/errors.js";
import { dynamoDbClientFromEnvironment } from "../../../functions/revocation/dynamodb-client.js";

const JWKS = JSON.stringify({ keys: [{ kty: "RSA", kid: "k", n: "AQAB", e: "AQAB" }] });

const ISSUER = { JWT_ISSUER: "https://i.example", JWT_AUDIENCE: "a" };

describe("loadConfig", () => {
  it('takes JWT_AUDIENCE="*" as the explicit opt-out of the aud check, and nothing else', () => {
    const { verifier } = loadConfig({ JWT_ISSUER: "https://i.example", JWT_AUDIENCE: "*" });
    expect(verifier).toMatchObject({ kind: "jwt", audience: null });
  });

  it("reads a generic issuer with audiences, the default JWKS URI and no revocation", () => {
    const config = loadConfig({ JWT_ISSUER: "https://id.example/", JWT_AUDIENCE: "a, b" });
    expect(config.verifier).toEqual({
      kind: "jwt",
      maxSessionSeconds: 30 * 24 * 3600,
      requireAuthTime: false,
      issuer: "https://id.example/",
      audience: ["a", "b"],
      jwksUri: "https://id.example/.well-known/jwks.json",
      jwks: undefined,
      jwksPinned: false,
      maxTokenLifetimeSeconds: 86400,
    });
    expect(config.revocation).toBeUndefined();
    expect(config.apiBasePath).toBe("/core");
  });

  it("pins an inline JWKS only when no JWKS_URI is given", () => {
    expect(
      loadConfig({ JWT_ISSUER: "https://i.example", JWT_AUDIENCE: "a", JWKS }).verifier,
    ).toMatchObject({
      jwksPinned: true,
    });
    expect(
      loadConfig({
        JWT_ISSUER: "https://i.example",
        JWT_AUDIENCE: "a",
        JWKS,
        JWKS_URI: "https://k.example/j",
      }).verifier,
    ).toMatchObject({ jwksPinned: false, jwksUri: "https://k.example/j" });
  });

  it("reads a Cognito user pool with its clients, access tokens by default", () => {
    const config = loadConfig({
      COGNITO_USER_POOL_ID: "eu-west-1_AbC123",
      COGNITO_CLIENT_ID: "client1,client2",
    });
    expect(config.verifier).toMatchObject({
      kind: "cognito",
      userPoolId: "eu-west-1_AbC123",
      clientId: ["client1", "client2"],
      tokenUse: "access",
    });
  });

  it("reads the revocation table and its retention settings", () => {
    const config = loadConfig({
      JWT_ISSUER: "https://i.example",
      JWT_AUDIENCE: "a",
      REVOCATION_TABLE_NAME: "revoked-tokens",
      MAX_SESSION_SECONDS: "7200",
      MAX_TOKEN_LIFETIME_SECONDS: "3600",
    });
    expect(config.revocation).toEqual({
      tableName: "revoked-tokens",
      maxSessionSeconds: 7200,
      maxTokenLifetimeSeconds: 3600,
    });
    expect(config.verifier).toMatchObject({ maxSessionSeconds: 7200, requireAuthTime: false });
  });

  it("bounds sessions by default, and no shorter than a token may live", () => {
    const base = { JWT_ISSUER: "https://i.example", JWT_AUDIENCE: "a" };
    expect(loadConfig(base).verifier.maxSessionSeconds).toBe(30 * 24 * 3600);
    expect(() =>
      loadConfig({ ...base, MAX_SESSION_SECONDS: "3599", MAX_TOKEN_LIFETIME_SECONDS: "3600" }),
    ).toThrow(/MAX_SESSION_SECONDS must be at least MAX_TOKEN_LIFETIME_SECONDS/);
    expect(
      loadConfig({ ...base, MAX_SESSION_SECONDS: "3600", MAX_TOKEN_LIFETIME_SECONDS: "3600" })
        .verifier.maxSessionSeconds,
    ).toBe(3600);
  });

  it("requires auth_time of Cognito tokens by default, of a generic issuer's where a stage says so", () => {
    const generic = { JWT_ISSUER: "https://i.example", JWT_AUDIENCE: "a" };
    const cognito = { COGNITO_USER_POOL_ID: "eu-west-1_AbC123", COGNITO_CLIENT_ID: "c" };
    expect(loadConfig(generic).verifier.requireAuthTime).toBe(false);
    expect(loadConfig({ ...generic, REQUIRE_AUTH_TIME: "true" }).verifier.requireAuthTime).toBe(
      true,
    );
    expect(loadConfig(cognito).verifier.requireAuthTime).toBe(true);
    expect(loadConfig({ ...cognito, REQUIRE_AUTH_TIME: "false" }).verifier.requireAuthTime).toBe(
      false,
    );
    expect(() => loadConfig({ ...generic, REQUIRE_AUTH_TIME: "yes" })).toThrow(
      /REQUIRE_AUTH_TIME must be "true" or "false"/,
    );
  });

  it.each([
    [{}, "JWT_ISSUER"],
    [{ JWT_ISSUER: "http://id.example" }, "JWT_ISSUER"],
    [{ JWT_ISSUER: "not a url" }, "JWT_ISSUER"],
    [{ JWT_ISSUER: "https://i.example", JWKS_URI: "http://k.example" }, "JWKS_URI"],
    [{ JWT_ISSUER: "https://i.example", JWKS: "{" }, "JWKS"],
    [{ JWT_ISSUER: "https://i.example", JWKS: '{"keys":[]}' }, "JWKS"],
    [{ JWT_ISSUER: "https://i.example", JWT_AUDIENCE: " , " }, "JWT_AUDIENCE"],
    [{ COGNITO_USER_POOL_ID: "pool" }, "COGNITO_USER_POOL_ID"],
    [{ COGNITO_USER_POOL_ID: "us-east-1_x" }, "COGNITO_CLIENT_ID"],
    [
      { COGNITO_USER_POOL_ID: "us-east-1_x", COGNITO_CLIENT_ID: "c", COGNITO_TOKEN_USE: "refresh" },
      "COGNITO_TOKEN_USE",
    ],
    [
      { COGNITO_USER_POOL_ID: "us-east-1_x", COGNITO_CLIENT_ID: "c", JWT_ISSUER: "https://i.x" },
      "JWT_ISSUER",
    ],
    [{ JWT_ISSUER: "https://i.example" }, "JWT_AUDIENCE"],
    [{ JWT_ISSUER: "https://i.example", JWT_AUDIENCE: "*,a" }, "JWT_AUDIENCE"],
    [{ ...ISSUER, REVOCATION_TABLE_NAME: "a" }, "REVOCATION_TABLE_NAME"],
    [{ ...ISSUER, REVOCATION_TABLE_NAME: "t-1", MAX_SESSION_SECONDS: "-1" }, "MAX_SESSION_SECONDS"],
    [{ ...ISSUER, MAX_TOKEN_LIFETIME_SECONDS: "1.5" }, "MAX_TOKEN_LIFETIME_SECONDS"],
    [{ ...ISSUER, API_BASE_PATH: "core" }, "API_BASE_PATH"],
  ])("fails fast on %j, naming %s", (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).variable).toBe(variable);
    expect((error as Error).message).toMatch(new RegExp(`^Invalid configuration: ${variable} `));
  });
});

describe("the DynamoDB client's environment", () => {
  it.each([
    [{}, "AWS_REGION"],
    [{ AWS_REGION: "sa-east-1" }, "AWS_ACCESS_KEY_ID"],
    [{ AWS_REGION: "sa-east-1", AWS_ACCESS_KEY_ID: "k" }, "AWS_SECRET_ACCESS_KEY"],
  ])("fails the cold start on %j, naming %s", (env, variable) => {
    expect(() => dynamoDbClientFromEnvironment(env)).toThrow(
      new ConfigurationError(variable, "is required to reach DynamoDB (Lambda sets it)"),
    );
  });

  it("takes the region from AWS_DEFAULT_REGION too", () => {
    const env = {
      AWS_DEFAULT_REGION: "sa-east-1",
      AWS_ACCESS_KEY_ID: "k",
      AWS_SECRET_ACCESS_KEY: "s",
    };
    expect(dynamoDbClientFromEnvironment(env)).toHaveProperty("send");
  });
});
