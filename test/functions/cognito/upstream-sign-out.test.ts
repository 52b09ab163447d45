/**
 * GlobalSignOut, AdminUserGlobalSignOut and the client secret lookup, at the protocol level.
 * cognito-local implements neither global sign-out, so this part runs against a stand-in
 * endpoint (test/support/aws-json-stand-in.ts) that records each request exactly; the real
 * AWS SDK inside the function reaches it through AWS_ENDPOINT_URL_<SERVICE>.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WAIT_BUDGETS } from "../../../functions/config/wait-budgets.js";

import {
  type LogoutHandler,
  logoutHandlerFromEnvironment,
} from "../../../functions/logout/logout-handler.js";
import { type AwsJsonStandIn, startAwsJsonStandIn } from "../../support/aws-json-stand-in.js";
import { captureOutput } from "../../support/captured-output.js";
import {
  createLocalIdentity,
  type LocalDynamoDb,
  type LocalIdentity,
  lambdaContext,
  startLocalDynamoDb,
} from "../../support/kit.js";
import { httpApiEvent } from "../../support/logout-app.js";

/** Shorter than deployed, so that a hanging Cognito costs the test 1 s rather than 3. */
const COGNITO_CALL_BUDGET_MS = 1000;

const POOL = "us-east-1_Rinne123";
const ISSUER = `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`;
const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:rinne/app-clients-AbCdEf";

captureOutput();
let identity: LocalIdentity;
let dynamodb: LocalDynamoDb;
let aws: AwsJsonStandIn;
let handler: LogoutHandler;
let skipped = 0;

beforeAll(async () => {
  [identity, dynamodb, aws] = await Promise.all([
    createLocalIdentity(),
    startLocalDynamoDb(),
    startAwsJsonStandIn(),
  ]);
  await dynamodb.createRevocationTable("upstream-revocations");
  handler = logoutHandlerFromEnvironment(
    {
      ...dynamodb.environment,
      // The function's environment, passed down: its AWS SDK clients find the stand-in there.
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: aws.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDLOCAL",
      AWS_SECRET_ACCESS_KEY: "local",
      COGNITO_USER_POOL_ID: POOL,
      COGNITO_CLIENT_ID: "web-client",
      COGNITO_CLIENT_SECRET_ARN: SECRET_ARN,
      JWKS: JSON.stringify(identity.jwks),
      REVOCATION_TABLE_NAME: "upstream-revocations",
    },
    {
      // The store's wait for the next second moves this clock instead (these tests are about Cognito).
      clock: {
        now: () => Date.now() / 1000 + skipped,
        sleepUntil: async (instant) => {
          skipped += Math.max(0, instant - (Date.now() / 1000 + skipped));
        },
      },
      // Today's bounds but Cognito's, which a hanging Cognito would make the test wait out.
      waits: { ...WAIT_BUDGETS, cognitoCallMs: COGNITO_CALL_BUDGET_MS },
    },
  );
});

afterAll(async () => {
  await Promise.all([dynamodb.stop(), aws.stop()]);
});

afterEach(() => {
  aws.requests.length = 0;
  for (const operation of ["GlobalSignOut", "AdminUserGlobalSignOut", "RevokeToken"]) {
    aws.answer(operation, { status: 200, body: {} });
  }
});

let users = 0;
/** A Cognito-shaped access token, signed by the test's key that the function pins. */
const accessToken = (claims: Record<string, unknown> = {}) => {
  const user = `user-${++users}`;
  return identity.mint("valid", {
    iss: ISSUER,
    aud: undefined,
    sub: user,
    client_id: "web-client",
    token_use: "access",
    scope: "aws.cognito.signin.user.admin",
    username: user,
    // As Cognito's: the sign-in's time, kept across refreshes.
    auth_time: Math.floor(Date.now() / 1000) - 5,
    iat: Math.floor(Date.now() / 1000) - 5,
    ...claims,
  });
};

const logout = (token: string, query = "", body?: string) =>
  handler(
    httpApiEvent({ authorization: [`Bearer ${token}`], query, ...(body ? { body } : {}) }),
    lambdaContext(),
  );
/** A global logout with an Idempotency-Key: the same key again is a replay. */
const keyedGlobal = (token: string, key: string) =>
  handler(
    httpApiEvent({
      authorization: [`Bearer ${token}`],
      query: "scope=global",
      headers: { "Idempotency-Key": key },
    }),
    lambdaContext(),
  );
const errorOf = (response: { body: string }) => JSON.parse(response.body).error;
const cognitoRequests = (operation: string) =>
  aws.requests.filter(
    (request) => request.target === `AWSCognitoIdentityProviderService.${operation}`,
  );

const refusal = (type: string) => ({ status: 400, body: { __type: type, message: type } });

describe("scope=global with Cognito", () => {
  it("calls GlobalSignOut with the access token itself when it carries the admin scope", async () => {
    const token = await accessToken();

    const response = await logout(token, "scope=global");

    expect(response.statusCode).toBe(200);
    expect(aws.requests).toHaveLength(1);
    expect(cognitoRequests("GlobalSignOut")[0]?.body).toEqual({ AccessToken: token });
    // Revoked here too: the same request again is refused before it reaches Cognito.
    expect(errorOf(await logout(token, "scope=global")).details.reason).toBe(
      "Token has been revoked",
    );
    expect(aws.requests).toHaveLength(1);
  });

  it("calls AdminUserGlobalSignOut, signed, for the token's username otherwise", async () => {
    const token = await accessToken({ scope: "openid email", username: "alice" });

    const response = await logout(token, "scope=global");

    expect(response.statusCode).toBe(200);
    const [request] = cognitoRequests("AdminUserGlobalSignOut");
    expect(aws.requests).toHaveLength(1);
    expect(request?.body).toEqual({ UserPoolId: POOL, Username: "alice" });
    expect(String(request?.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\/\d{8}\/us-east-1\/cognito-idp\/aws4_request/,
    );
  });

  it("calls Cognito once per logout, however many replays race it; each answers 200 or 429", async () => {
    const token = await accessToken();
    const replay = () => keyedGlobal(token, "race");

    const answers = await Promise.all(Array.from({ length: 12 }, replay));

    expect(cognitoRequests("GlobalSignOut")).toHaveLength(1);
    const statuses = answers.map((answer) => answer.statusCode);
    expect(statuses).toContain(200);
    expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
    for (const answer of answers.filter(({ statusCode }) => statusCode === 429)) {
      expect(errorOf(answer).code).toBe("TOO_MANY_REQUESTS");
      expect(answer.headers?.["Retry-After"]).toBe("1");
    }
    // Asked again once the first has answered: the replay's 200, and still one call.
    expect((await replay()).statusCode).toBe(200);
    expect(cognitoRequests("GlobalSignOut")).toHaveLength(1);
  });

  it("frees the claim of a logout Cognito failed, once it lapses: the retry calls Cognito again", async () => {
    const token = await accessToken();
    const attempt = () => keyedGlobal(token, "after-a-failure");
    aws.answer("GlobalSignOut", refusal("InternalErrorException"));
    expect((await attempt()).statusCode).toBe(503);
    aws.answer("GlobalSignOut", { status: 200, body: {} });
    // The failed request's claim holds a few seconds: a retry at once is told to wait.
    expect((await attempt()).statusCode).toBe(429);
    skipped += 11;
    expect((await attempt()).statusCode).toBe(200);
    expect(cognitoRequests("GlobalSignOut")).toHaveLength(2);
  });

  const expectUsable = async (token: string) => {
    // Nothing was recorded: the same token can retry, and is accepted until it does.
    aws.answer("GlobalSignOut", { status: 200, body: {} });
    aws.answer("AdminUserGlobalSignOut", { status: 200, body: {} });
    expect((await logout(token, "scope=global")).statusCode).toBe(200);
  };

  it("falls back to AdminUserGlobalSignOut when GlobalSignOut says this access token is no good", async () => {
    aws.answer("GlobalSignOut", refusal("NotAuthorizedException"));
    const token = await accessToken({ username: "carol" });

    const response = await logout(token, "scope=global");

    expect(response.statusCode).toBe(200);
    expect(aws.requests.map((request) => request.target.split(".")[1])).toEqual([
      "GlobalSignOut",
      "AdminUserGlobalSignOut",
    ]);
    expect(cognitoRequests("AdminUserGlobalSignOut")[0]?.body).toEqual({
      UserPoolId: POOL,
      Username: "carol",
    });
    expect(errorOf(await logout(token)).details.reason).toBe("Token has been revoked");
  });

  it.each(["TooManyRequestsException", "InternalErrorException", "NotAuthorizedException"])(
    "answers 503, never 200, when the fallback fails too (%s), and records nothing",
    async (type) => {
      aws.answer("GlobalSignOut", refusal("NotAuthorizedException"));
      aws.answer("AdminUserGlobalSignOut", refusal(type));
      const token = await accessToken();

      const response = await logout(token, "scope=global");

      expect(response.statusCode).toBe(503);
      expect(errorOf(response).details.reason).toBe("Identity provider unavailable");
      await expectUsable(token);
    },
  );

  it("takes AdminUserGlobalSignOut's answer that there is no such user as done", async () => {
    aws.answer("GlobalSignOut", refusal("NotAuthorizedException"));
    aws.answer("AdminUserGlobalSignOut", refusal("UserNotFoundException"));
    expect((await logout(await accessToken(), "scope=global")).statusCode).toBe(200);
  });

  it("does not fall back when GlobalSignOut fails for another reason: 503", async () => {
    aws.answer("GlobalSignOut", refusal("InternalErrorException"));
    const token = await accessToken();
    expect((await logout(token, "scope=global")).statusCode).toBe(503);
    expect(cognitoRequests("AdminUserGlobalSignOut")).toHaveLength(0);
    await expectUsable(token);
  });

  it("answers the contract's 500 (an alarm), not a 503, when the pool cannot do it at all", async () => {
    aws.answer("GlobalSignOut", refusal("UnsupportedOperationException"));
    const token = await accessToken();
    const response = await logout(token, "scope=global");
    expect(response.statusCode).toBe(500);
    expect(errorOf(response)).toMatchObject({ code: "INTERNAL_ERROR" });
    await expectUsable(token);
  });

  it("a replay of a global logout calls Cognito no second time", async () => {
    const token = await accessToken();
    const withKey = (key: string) => keyedGlobal(token, key);
    expect((await withKey("retry-1")).statusCode).toBe(200);
    expect((await withKey("retry-1")).statusCode).toBe(200);
    expect(cognitoRequests("GlobalSignOut")).toHaveLength(1);
    expect(errorOf(await withKey("retry-2")).details.reason).toBe("Token has been revoked");
    expect(cognitoRequests("GlobalSignOut")).toHaveLength(1);
  });

  it("answers 503 when Cognito throttles, and records nothing, so the retry goes through", async () => {
    const token = await accessToken();
    aws.answer("GlobalSignOut", {
      status: 400,
      body: { __type: "TooManyRequestsException", message: "Too many requests" },
    });

    const response = await logout(token, "scope=global");

    expect(response.statusCode).toBe(503);
    expect(errorOf(response)).toMatchObject({
      code: "SERVICE_UNAVAILABLE",
      details: { reason: "Identity provider unavailable" },
    });
    aws.answer("GlobalSignOut", { status: 200, body: {} });
    expect((await logout(token, "scope=global")).statusCode).toBe(200);
  });

  it("answers 503 within its budget when Cognito hangs, and records nothing", async () => {
    const token = await accessToken();
    aws.answer("GlobalSignOut", { status: 200, body: {}, delayMs: COGNITO_CALL_BUDGET_MS + 2000 });

    const started = Date.now();
    const response = await logout(token, "scope=global");

    expect(response.statusCode).toBe(503);
    expect(errorOf(response).details.reason).toBe("Identity provider unavailable");
    expect(Date.now() - started).toBeLessThan(COGNITO_CALL_BUDGET_MS + 1000);
    aws.answer("GlobalSignOut", { status: 200, body: {} });
    expect((await logout(token, "scope=global")).statusCode).toBe(200);
  });

  it("lets no revoked token sign its user out upstream", async () => {
    const token = await accessToken();
    expect((await logout(token)).statusCode).toBe(200);

    const response = await logout(token, "scope=global");

    expect(errorOf(response).details.reason).toBe("Token has been revoked");
    expect(cognitoRequests("GlobalSignOut")).toHaveLength(0);
    expect(cognitoRequests("AdminUserGlobalSignOut")).toHaveLength(0);
  });
});

describe("a refresh token in the body", () => {
  it("is revoked with the app client's id and its secret from Secrets Manager, read once", async () => {
    aws.answer("GetSecretValue", {
      status: 200,
      body: { ARN: SECRET_ARN, SecretString: JSON.stringify({ "web-client": "s3cret" }) },
    });

    for (const refreshToken of ["refresh-one", "refresh-two"]) {
      const response = await logout(await accessToken(), "", JSON.stringify({ refreshToken }));
      expect(response.statusCode).toBe(200);
    }

    expect(cognitoRequests("RevokeToken").map((request) => request.body)).toEqual([
      { Token: "refresh-one", ClientId: "web-client", ClientSecret: "s3cret" },
      { Token: "refresh-two", ClientId: "web-client", ClientSecret: "s3cret" },
    ]);
    const secretReads = aws.requests.filter((r) => r.target === "secretsmanager.GetSecretValue");
    expect(secretReads.map((request) => request.body)).toEqual([{ SecretId: SECRET_ARN }]);
  });

  it("is never sent by scope=others: it is the session being kept, and Cognito is not called", async () => {
    const token = await accessToken();
    const response = await logout(token, "scope=others", JSON.stringify({ refreshToken: "kept" }));
    expect(response.statusCode).toBe(200);
    expect(aws.requests).toHaveLength(0);
    // The kept session goes on; it can still log itself out later, refresh token and all.
    expect((await logout(token, "", JSON.stringify({ refreshToken: "kept" }))).statusCode).toBe(
      200,
    );
    expect(cognitoRequests("RevokeToken").map((request) => request.body.Token)).toEqual(["kept"]);
  });

  it("is a 500 (an alarm) where token revocation is off on the app client, and nothing is recorded", async () => {
    aws.answer("RevokeToken", {
      status: 400,
      body: { __type: "UnsupportedOperationException", message: "revocation is disabled" },
    });
    const token = await accessToken();
    const response = await logout(token, "", JSON.stringify({ refreshToken: "r" }));
    expect(response.statusCode).toBe(500);
    aws.answer("RevokeToken", { status: 200, body: {} });
    expect((await logout(token, "", JSON.stringify({ refreshToken: "r" }))).statusCode).toBe(200);
  });

  it("of a revoked token is never sent, nor the client secret read", async () => {
    const token = await accessToken();
    expect((await logout(token)).statusCode).toBe(200);
    aws.requests.length = 0;
    const response = await logout(token, "", JSON.stringify({ refreshToken: "stolen" }));
    expect(errorOf(response).details.reason).toBe("Token has been revoked");
    expect(aws.requests).toHaveLength(0);
  });

  it("is revoked once for a replayed logout", async () => {
    const token = await accessToken();
    const withKey = () =>
      handler(
        httpApiEvent({
          authorization: [`Bearer ${token}`],
          body: JSON.stringify({ refreshToken: "once" }),
          headers: { "Idempotency-Key": "same-logout" },
        }),
        lambdaContext(),
      );
    expect((await withKey()).statusCode).toBe(200);
    expect((await withKey()).statusCode).toBe(200);
    expect(cognitoRequests("RevokeToken")).toHaveLength(1);
  });

  it("is ignored by scope=global, whose GlobalSignOut kills every refresh token anyway", async () => {
    await logout(await accessToken(), "scope=global", JSON.stringify({ refreshToken: "r" }));
    expect(cognitoRequests("RevokeToken")).toHaveLength(0);
    expect(cognitoRequests("GlobalSignOut")).toHaveLength(1);
  });
});

describe("Cognito's own 401 causes", () => {
  it.each([
    [{ client_id: "another-client" }, "Token was not issued to an allowed client"],
    [{ token_use: "id" }, "Invalid token use"],
    [
      { iss: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other" },
      "Invalid token issuer",
    ],
  ])("refuses %j: %s, and calls Cognito for nothing", async (claims, reason) => {
    const response = await logout(await accessToken(claims), "scope=global");
    expect(response.statusCode).toBe(401);
    expect(errorOf(response).details.reason).toBe(reason);
    expect(aws.requests).toHaveLength(0);
  });
});
