/**
 * The operator's sign-out (incident response) against dynalite and the Cognito stand-in, on
 * the real clock: what the user's own global logout does, with no token of theirs. Every
 * session that began before it is refused by the logout, the reusable check and the authorizer,
 * refreshes included; a sign-in after its answer is not; other users are not touched. And its
 * answers for a replay, an unknown user, bad input, no caller and an unavailable store.
 */
import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import aws4 from "aws4";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type AuthorizerHandler,
  authorizerHandlerFromEnvironment,
} from "../../../functions/authorizer/authorizer-handler.js";
import { WAIT_BUDGETS } from "../../../functions/config/wait-budgets.js";
import {
  type OperatorHandler,
  operatorHandlerFromEnvironment,
} from "../../../functions/operator/operator-handler.js";
import { type AwsJsonStandIn, startAwsJsonStandIn } from "../../support/aws-json-stand-in.js";
import { captureOutput } from "../../support/captured-output.js";
import { type DynamoDbProxy, startDynamoDbProxy } from "../../support/dynamodb-proxy.js";
import {
  createLocalIdentity,
  functionUrlEvent,
  httpApiAuthorizerEvent,
  type LocalDynamoDb,
  type LocalIdentity,
  lambdaContext,
  startLocalDynamoDb,
} from "../../support/kit.js";

const POOL = "us-east-1_Rinne123";
const ISSUER = `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`;
const OPERATOR = "arn:aws:sts::123456789012:assumed-role/rinne-support/maria";
const TABLE = "operator-revocations";

const output = captureOutput();
let identity: LocalIdentity;
let dynamodb: LocalDynamoDb;
let proxy: DynamoDbProxy;
let aws: AwsJsonStandIn;
let operator: OperatorHandler;
let authorizer: AuthorizerHandler;

beforeAll(async () => {
  [identity, dynamodb, aws] = await Promise.all([
    createLocalIdentity(),
    startLocalDynamoDb(),
    startAwsJsonStandIn(),
  ]);
  proxy = await startDynamoDbProxy(dynamodb.endpoint);
  await dynamodb.createRevocationTable(TABLE);
  const environment = {
    ...dynamodb.environment,
    // Passed down: the function's AWS SDK clients find the stand-in there.
    AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: aws.endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDLOCAL",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
    COGNITO_USER_POOL_ID: POOL,
    COGNITO_CLIENT_ID: "web-client",
    JWKS: JSON.stringify(identity.jwks),
    REVOCATION_TABLE_NAME: TABLE,
  };
  const waits = { ...WAIT_BUDGETS, dynamoDb: { ...WAIT_BUDGETS.dynamoDb, attemptMs: 300 } };
  operator = operatorHandlerFromEnvironment(environment, { waits, clock });
  authorizer = authorizerHandlerFromEnvironment(environment, { waits, clock });
});

afterAll(async () => {
  await Promise.all([proxy.stop(), dynamodb.stop(), aws.stop()]);
});

afterEach(() => {
  aws.requests.length = 0;
  proxy.throttle("BatchGetItem", 0);
  proxy.throttle("PutItem", 0);
});

/**
 * The functions' clock: real, but a sign-out's wait for its second moves it instead of waiting
 * (these tests are about the operator; the revocation suites wait for real).
 */
let skipped = 0;
const clock = {
  now: () => Date.now() / 1000 + skipped,
  sleepUntil: async (instant: number) => {
    skipped += Math.max(0, instant - clock.now());
  },
};
const now = () => Math.floor(clock.now());
let users = 0;
const newUser = () => `user-${++users}-${Math.random().toString(36).slice(2)}`;
/** A Cognito access token of `sub`'s session `session`, signed in at `authTime`. */
const tokenOf = (sub: string, session: string, authTime: number) =>
  identity.mint("valid", {
    iss: ISSUER,
    aud: undefined,
    sub,
    username: sub,
    client_id: "web-client",
    token_use: "access",
    origin_jti: session,
    auth_time: authTime,
    iat: Math.max(authTime, now() - 1),
  });

const signOut = (body: unknown, caller: string | null = OPERATOR, key?: string) =>
  operator(
    functionUrlEvent(
      {
        method: "POST",
        body: typeof body === "string" ? body : JSON.stringify(body),
        headers: key ? { "idempotency-key": key } : {},
      },
      caller ?? undefined,
    ),
    lambdaContext(),
  );
const allowed = async (token: string) =>
  (
    await authorizer(
      httpApiAuthorizerEvent({
        method: "GET",
        path: "/core/v1/payments",
        headers: { Authorization: `Bearer ${token}` },
      }),
      lambdaContext(),
    )
  ).isAuthorized;
const cognito = (operation: string) =>
  aws.requests.filter(({ target }) => target === `AWSCognitoIdentityProviderService.${operation}`);

describe("an operator signs a user out, by sub", () => {
  it("refuses every session that began before, refreshes included; a sign-in after is allowed; other users are not touched", async () => {
    const [sub, other] = [newUser(), newUser()];
    const signedIn = now() - 60;
    const phone = await tokenOf(sub, `${sub}/phone`, signedIn);
    const laptop = await tokenOf(sub, `${sub}/laptop`, signedIn + 30);
    const bystander = await tokenOf(other, `${other}/phone`, signedIn);
    expect(await allowed(phone)).toBe(true);

    const response = await signOut({ sub, reason: "Account takeover, ticket INC-1234" });

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      success: true,
      message: "User signed out",
      sub,
      outcome: "logged_out",
    });
    // Upstream too: no refresh token of the user mints again.
    expect(cognito("AdminUserGlobalSignOut").map(({ body }) => body)).toEqual([
      { UserPoolId: POOL, Username: sub },
    ]);
    expect(await allowed(phone)).toBe(false);
    expect(await allowed(laptop)).toBe(false);
    // A refresh of a covered session keeps its auth_time: refused whenever minted.
    expect(await allowed(await tokenOf(sub, `${sub}/phone`, signedIn))).toBe(false);
    // The answer came once the clock passed its second: a sign-in now is a new session.
    expect(await allowed(await tokenOf(sub, `${sub}/new`, now()))).toBe(true);
    expect(await allowed(bystander)).toBe(true);
  });

  it("logs who asked and why, whom, and what came of it, and no token", async () => {
    const sub = newUser();
    output.clear();
    await signOut({ sub, reason: "Support request 77" });
    const line = output.lines().find((each) => each.caller !== undefined);
    expect(line).toMatchObject({
      caller: OPERATOR,
      justification: "Support request 77",
      sub,
      outcome: "logged_out",
      status: 200,
    });
  });

  it("logs no token an operator pasted into the reason", async () => {
    const pasted = await identity.mint("valid", { sub: "victim" });
    output.clear();
    const reason = `Takeover; the attacker's token was ${pasted.slice(10, 80)}`;
    expect((await signOut({ sub: newUser(), reason })).statusCode).toBe(200);
    const line = output.lines().find((each) => each.caller !== undefined);
    expect(line?.justification).toBe("Takeover; the attacker's token was [redacted]");
    expect(JSON.stringify(output.lines())).not.toContain(pasted.slice(30, 50));
    // The revocation's event carries the reason as logged: its notice is written with it.
    const written = proxy.requests.filter(({ operation }) => operation === "PutItem").at(-1);
    expect(JSON.stringify(written?.body)).toContain(
      '"reason":{"S":"Takeover; the attacker\'s token was [redacted]"}',
    );
    expect(JSON.stringify(written?.body)).not.toContain(pasted.slice(30, 50));
  });

  it("a retry with the same Idempotency-Key is a replay: nothing moves", async () => {
    const sub = newUser();
    expect(JSON.parse((await signOut({ sub, reason: "x" }, OPERATOR, "inc-9")).body).outcome).toBe(
      "logged_out",
    );
    const later = await tokenOf(sub, `${sub}/after`, now());
    const replay = await signOut({ sub, reason: "x" }, OPERATOR, "inc-9");
    expect(JSON.parse(replay.body).outcome, replay.body).toBe("replayed");
    // The replay signed out no session begun after the first call.
    expect(await allowed(later)).toBe(true);
  });

  it("signs out a sub no token has named yet all the same (it cannot tell): 200", async () => {
    expect((await signOut({ sub: newUser(), reason: "precaution" })).statusCode).toBe(200);
  });
});

describe("an operator signs a user out, by Cognito user name", () => {
  it("finds the sub at Cognito, then does the same", async () => {
    const sub = newUser();
    const token = await tokenOf(sub, `${sub}/phone`, now() - 30);
    aws.answer("AdminGetUser", {
      status: 200,
      body: { Username: "maria.silva", UserAttributes: [{ Name: "sub", Value: sub }] },
    });
    const response = await signOut({ username: "maria.silva", reason: "takeover" });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).sub).toBe(sub);
    expect(cognito("AdminGetUser")[0]?.body).toEqual({ UserPoolId: POOL, Username: "maria.silva" });
    expect(cognito("AdminUserGlobalSignOut")[0]?.body).toEqual({
      UserPoolId: POOL,
      Username: "maria.silva",
    });
    expect(await allowed(token)).toBe(false);
  });

  it("an unknown user name: 404, and nothing signed out", async () => {
    aws.answer("AdminGetUser", {
      status: 400,
      body: { __type: "UserNotFoundException", message: "User does not exist." },
    });
    const response = await signOut({ username: "nobody", reason: "takeover" });
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).error).toMatchObject({
      code: "NOT_FOUND",
      message: "The user was not found",
      details: { reason: "No such user at the identity provider" },
    });
    expect(cognito("AdminUserGlobalSignOut")).toHaveLength(0);
  });
});

describe("what it refuses", () => {
  it("a call without the caller's IAM identity: 403, nothing done", async () => {
    const response = await signOut({ sub: newUser(), reason: "x" }, null);
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body).error).toMatchObject({
      code: "FORBIDDEN",
      message: "The request is not allowed",
      details: { reason: "The caller's IAM identity is required" },
    });
    expect(aws.requests).toHaveLength(0);
  });

  it.each([
    ["not JSON", "{"],
    ["no reason", { sub: "u" }],
    ["an empty reason", { sub: "u", reason: "  " }],
    ["a reason with a line break (it would split the log line)", { sub: "u", reason: "a\nb" }],
    ["neither sub nor username", { reason: "x" }],
    ["both", { sub: "u", username: "u", reason: "x" }],
    ["another issuer", { iss: "https://evil.example", sub: "u", reason: "x" }],
    ["an unknown field", { sub: "u", reason: "x", scope: "local" }],
    ["a sub that is not text", { sub: 7, reason: "x" }],
  ])("%s: 400, nothing done", async (_name, body) => {
    const response = await signOut(body);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error.code).toBe("VALIDATION_ERROR");
    expect(aws.requests).toHaveLength(0);
  });

  it("any body at all: a 200 only for a valid one, never a 5xx (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.json(), fc.record({ sub: fc.anything(), reason: fc.anything() })),
        async (body) => {
          const response = await signOut(typeof body === "string" ? body : JSON.stringify(body));
          expect(response.statusCode).toBeLessThan(500);
          if (response.statusCode === 200) {
            const parsed = JSON.parse(typeof body === "string" ? body : JSON.stringify(body));
            expect(typeof parsed.sub).toBe("string");
            expect(typeof parsed.reason).toBe("string");
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("the store unavailable: 503, and a retry then does it", async () => {
    const sub = newUser();
    const token = await tokenOf(sub, `${sub}/phone`, now() - 30);
    proxy.throttle("BatchGetItem", 3);
    const response = await signOut({ sub, reason: "x" }, OPERATOR, "retry-1");
    expect(response.statusCode).toBe(503);
    expect(response.headers["Retry-After"]).toBe("1");
    expect(await allowed(token)).toBe(true);
    expect((await signOut({ sub, reason: "x" }, OPERATOR, "retry-1")).statusCode).toBe(200);
    expect(await allowed(token)).toBe(false);
  });
});

describe("npm run sign-out-user", () => {
  const execFileAsync = promisify(execFile);
  /**
   * A stand-in for the function URL (AWS cannot run here): it checks the request's SigV4
   * signature by signing it again with the same credentials, as AWS would, then hands the
   * function the event AWS would, naming the signer.
   */
  async function functionUrlStandIn() {
    const server = http.createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString("utf8");
      const header = (name: string) => String(request.headers[name] ?? "");
      const resigned = aws4.sign(
        {
          host: header("host"),
          path: request.url ?? "/",
          method: request.method ?? "POST",
          service: "lambda",
          region: "us-east-1",
          body,
          headers: {
            "content-type": header("content-type"),
            "idempotency-key": header("idempotency-key"),
            "X-Amz-Date": header("x-amz-date"),
          },
        },
        { accessKeyId: "AKIDOPERATOR", secretAccessKey: "operator-secret" },
      );
      if (resigned.headers?.Authorization !== header("authorization")) {
        response.writeHead(403).end('{"message":"signature mismatch"}');
        return;
      }
      const answer = await operator(
        functionUrlEvent(
          { method: "POST", body, headers: { "idempotency-key": header("idempotency-key") } },
          "arn:aws:iam::123456789012:user/operator-cli",
        ),
        lambdaContext(),
      );
      response.writeHead(answer.statusCode, answer.headers).end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  }
  const cli = (args: string[], secret = "operator-secret") =>
    execFileAsync("node_modules/.bin/tsx", ["scripts/sign-out-user.ts", ...args], {
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: "AKIDOPERATOR",
        AWS_SECRET_ACCESS_KEY: secret,
        AWS_REGION: "us-east-1",
      },
    }).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: "" }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it("signs the call with the operator's credentials and prints the answer: the user is signed out", async () => {
    const standIn = await functionUrlStandIn();
    try {
      const sub = newUser();
      const token = await tokenOf(sub, `${sub}/phone`, now() - 30);
      const run = await cli(["--url", standIn.url, "--sub", sub, "--reason", "INC-42"]);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ success: true, sub, outcome: "logged_out" });
      expect(await allowed(token)).toBe(false);
    } finally {
      await standIn.close();
    }
  }, 30_000);

  it("a call signed with other credentials is refused by the stand-in (control), and says it was not done", async () => {
    const standIn = await functionUrlStandIn();
    try {
      const run = await cli(["--url", standIn.url, "--sub", newUser(), "--reason", "x"], "wrong");
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^403: not done\. Retry with --idempotency-key [0-9a-f-]{36}/);
    } finally {
      await standIn.close();
    }
  }, 30_000);

  it("says in one line what is missing, with the usage, and does nothing", async () => {
    const run = await cli(["--url", "http://127.0.0.1:9/", "--sub", "u"]);
    expect(run.code).toBe(2);
    expect(run.stderr.split("\n")[0]).toBe("--reason is required: why, for the log");
    expect(run.stderr).toContain("usage: npm run sign-out-user");
  }, 30_000);
});
