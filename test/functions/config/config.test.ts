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
      issuerClockLagMs: 500,
    });
    expect(config.verifier).toMatchObject({ maxSessionSeconds: 7200, requireAuthTime: false });
  });

  it("reads how far the issuer's clock may run behind, from 0 to 2000 ms", () => {
    const base = {
      JWT_ISSUER: "https://i.example",
      JWT_AUDIENCE: "a",
      REVOCATION_TABLE_NAME: "revoked-tokens",
    };
    for (const [value, ms] of [
      ["0", 0],
      ["1200", 1200],
      ["2000", 2000],
    ] as const) {
      expect(loadConfig({ ...base, MAX_ISSUER_CLOCK_LAG_MS: value }).revocation).toMatchObject({
        issuerClockLagMs: ms,
      });
    }
    for (const value of ["-1", "2001", "0.5", "1s", "Infinity"]) {
      expect(() => loadConfig({ ...base, MAX_ISSUER_CLOCK_LAG_MS: value }), value).toThrow(
        "Invalid configuration: MAX_ISSUER_CLOCK_LAG_MS must be a whole number of milliseconds from 0 to 2000",
      );
    }
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

  const POOL = { COGNITO_USER_POOL_ID: "us-east-1_x", COGNITO_CLIENT_ID: "c" };
  // Each message says what is wrong and what would do: it is all a deployer reads.
  it.each([
    [{}, "JWT_ISSUER", "or COGNITO_USER_POOL_ID is required"],
    [{ JWT_ISSUER: "http://id.example" }, "JWT_ISSUER", "must be an https URL"],
    [{ JWT_ISSUER: "not a url" }, "JWT_ISSUER", "must be an absolute https URL"],
    [{ ...ISSUER, JWKS_URI: "http://k.example" }, "JWKS_URI", "must be an https URL"],
    [{ ...ISSUER, JWKS: "{" }, "JWKS", "must be a JSON Web Key Set (JSON)"],
    [
      { ...ISSUER, JWKS: '{"keys":[]}' },
      "JWKS",
      'must be a JSON object with a non-empty "keys" array',
    ],
    [
      { ...ISSUER, JWKS: '{"keys":["x"]}' },
      "JWKS",
      'must be a JSON object with a non-empty "keys" array',
    ],
    [{ ...ISSUER, JWKS: "[]" }, "JWKS", 'must be a JSON object with a non-empty "keys" array'],
    [
      { ...ISSUER, JWKS: '{"keys":[{"kty":"RSA"},"x"]}' },
      "JWKS",
      'must be a JSON object with a non-empty "keys" array',
    ],
    [
      { JWT_ISSUER: "https://i.example", JWT_AUDIENCE: " , " },
      "JWT_AUDIENCE",
      "must list at least one value",
    ],
    [{ COGNITO_USER_POOL_ID: "pool" }, "COGNITO_USER_POOL_ID", "must look like <region>_<id>"],
    [
      { COGNITO_USER_POOL_ID: "us-east-1_x" },
      "COGNITO_CLIENT_ID",
      "is required with COGNITO_USER_POOL_ID",
    ],
    [{ ...POOL, COGNITO_TOKEN_USE: "refresh" }, "COGNITO_TOKEN_USE", 'must be "access" or "id"'],
    [
      { ...POOL, JWT_ISSUER: "https://i.x" },
      "JWT_ISSUER",
      "cannot be set together with COGNITO_USER_POOL_ID",
    ],
    [
      { ...POOL, COGNITO_CLIENT_SECRET_ARN: "arn:aws:s3:::bucket" },
      "COGNITO_CLIENT_SECRET_ARN",
      "must be a Secrets Manager secret ARN or an SSM parameter ARN under rinne/",
    ],
    [
      { JWT_ISSUER: "https://i.example" },
      "JWT_AUDIENCE",
      'is required with JWT_ISSUER (the allowed "aud" values; "*" to accept any)',
    ],
    [
      { JWT_ISSUER: "https://i.example", JWT_AUDIENCE: "*,a" },
      "JWT_AUDIENCE",
      'cannot list "*" with audiences',
    ],
    [
      { ...ISSUER, REVOCATION_TABLE_NAME: "a" },
      "REVOCATION_TABLE_NAME",
      "is not a valid DynamoDB table name",
    ],
    [
      {
        ...ISSUER,
        REVOCATION_TABLE_NAME:
          "arn:aws:dynamodb:sa-east-1:111122223333:table/rinne-auth-revocations",
      },
      "REVOCATION_TABLE_NAME",
      "is a table's ARN: the in-process check reads its own account's table only; from another account, protect the route with the stage's authorizer (RevocationAwareAuthorizer.fromArn, docs/protecting-routes.md)",
    ],
    [
      { ...ISSUER, REVOCATION_TABLE_NAME: "t-1", MAX_SESSION_SECONDS: "-1" },
      "MAX_SESSION_SECONDS",
      "must be a whole number of seconds above 0",
    ],
    [
      { ...ISSUER, MAX_SESSION_SECONDS: "0" },
      "MAX_SESSION_SECONDS",
      "must be a whole number of seconds above 0",
    ],
    [
      { ...ISSUER, MAX_TOKEN_LIFETIME_SECONDS: "1.5" },
      "MAX_TOKEN_LIFETIME_SECONDS",
      "must be a whole number of seconds above 0",
    ],
    [{ ...ISSUER, API_BASE_PATH: "core" }, "API_BASE_PATH", 'must start with "/"'],
  ])("fails fast on %j, naming %s: %s", (env, variable, problem) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).variable).toBe(variable);
    expect((error as Error).message).toBe(`Invalid configuration: ${variable} ${problem}`);
  });

  it("reads values trimmed, and base paths and issuers without trailing slashes", () => {
    const config = loadConfig({
      JWT_ISSUER: " https://i.example// ",
      JWT_AUDIENCE: " a , b ",
      API_BASE_PATH: "/core//",
    });
    expect(config.verifier).toMatchObject({
      issuer: "https://i.example//",
      audience: ["a", "b"],
      jwksUri: "https://i.example/.well-known/jwks.json",
    });
    expect(config.apiBasePath).toBe("/core");
  });

  it("pins a Cognito pool's inline keys, and fetches them without; takes id tokens when told", () => {
    const jwks = JSON.stringify({ keys: [{ kty: "RSA", kid: "k", n: "AQAB", e: "AQAB" }] });
    expect(loadConfig({ ...POOL, JWKS: jwks }).verifier).toMatchObject({ jwksPinned: true });
    expect(loadConfig(POOL).verifier).toMatchObject({ jwksPinned: false, tokenUse: "access" });
    expect(loadConfig({ ...POOL, COGNITO_TOKEN_USE: "id" }).verifier).toMatchObject({
      tokenUse: "id",
    });
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
