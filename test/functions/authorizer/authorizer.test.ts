/**
 * The revocation-aware authorizer against dynalite, with real signed tokens and the real
 * verifier: allow with the context a backend needs, deny every refused or revoked token, and
 * throw (API Gateway's 500) when it cannot decide.
 */

import { ResponseType } from "aws-cdk-lib/aws-apigateway";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTRACT_RESPONSES } from "../../../infra/revocation-aware-rest-authorizer.js";
import { captureOutput } from "../../support/captured-output.js";
import {
  httpApiAuthorizerEvent,
  lambdaContext,
  restApiAuthorizerEvent,
  TOKEN_KINDS,
} from "../../support/kit.js";
import { bodyOf, eventFor } from "../../support/logout-app.js";
import {
  type RevocationFixture,
  startRevocationFixture,
} from "../../support/revocation-fixture.js";

const output = captureOutput();
let fixture: RevocationFixture;

beforeAll(async () => {
  fixture = await startRevocationFixture({ attemptTimeoutMs: 300 });
});
afterAll(async () => {
  await fixture.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const authorizeHeaders = (headers: Record<string, string | string[]>) =>
  fixture.authorizer(
    httpApiAuthorizerEvent({ method: "GET", path: "/core/v1/example/protected", headers }),
    lambdaContext(),
  );
const authorize = (token: string) => authorizeHeaders({ Authorization: `Bearer ${token}` });
const logout = (token: string, scope = "local") =>
  fixture.logout.invoke(
    eventFor("v2", { authorization: [`Bearer ${token}`], query: `scope=${scope}` }),
  );

describe("a valid token", () => {
  it("is allowed, with the claims a backend needs as plain values", async () => {
    const exp = now() + 600;
    const token = await fixture.identity.mint("valid", {
      sub: "alice",
      jti: "jti-1",
      exp,
      scope: "payments:read payments:write",
      client_id: "web-app",
      token_use: "access",
      nested: { not: "passed on" },
    });

    const result = await authorize(token);

    expect(result).toEqual({
      isAuthorized: true,
      context: {
        sub: "alice",
        iss: fixture.identity.issuer,
        exp,
        jti: "jti-1",
        scope: "payments:read payments:write",
        client_id: "web-app",
        token_use: "access",
      },
    });
  });

  it("leaves out claims that are absent or not plain values", async () => {
    const token = await fixture.identity.mint("valid", { jti: undefined, client_id: { id: 1 } });
    const { context } = await authorize(token);
    expect(Object.keys(context).sort()).toEqual(["exp", "iss", "sub"]);
  });
});

describe("after a logout", () => {
  it.each([
    ["local", "local", false],
    ["global", "global", false],
    ["others (another session)", "others", true],
  ] as const)("%s: denied", async (_name, scope, otherSession) => {
    const sub = crypto.randomUUID();
    // The other session began before the current one, as `others` needs.
    const began = (ago: number, session: string) =>
      fixture.identity.mint("valid", {
        sub,
        iat: now() - ago,
        auth_time: now() - ago,
        origin_jti: `${sub}/${session}`,
      });
    const [current, other] = [await began(10, "a"), await began(20, "b")];
    expect((await authorize(current)).isAuthorized).toBe(true);
    expect((await logout(current, scope)).statusCode).toBe(200);
    expect(await authorize(otherSession ? other : current)).toEqual({
      isAuthorized: false,
      context: {},
    });
    if (otherSession) expect((await authorize(current)).isAuthorized).toBe(true);
  });

  it("of a session family: every token refreshed from it is denied", async () => {
    const session = crypto.randomUUID();
    const first = await fixture.identity.mint("valid", { origin_jti: session });
    const refreshed = await fixture.identity.mint("valid", { origin_jti: session });
    expect((await logout(first)).statusCode).toBe(200);
    expect((await authorize(refreshed)).isAuthorized).toBe(false);
  });
});

describe("every reason the logout answers 401 for", () => {
  it.each(TOKEN_KINDS.filter((kind) => kind !== "valid"))("%s: denied", async (kind) => {
    expect(await authorize(await fixture.identity.mint(kind))).toEqual({
      isAuthorized: false,
      context: {},
    });
  });

  it.each([
    ["no header", {}],
    ["another scheme", { Authorization: "Basic dXNlcjpwYXNz" }],
    ["an empty token", { Authorization: "Bearer " }],
    ["two values", { Authorization: ["Bearer a.b.c", "Bearer d.e.f"] }],
    ["not a JWT", { Authorization: "Bearer not-a-token" }],
  ])("%s: denied", async (_name, headers) => {
    expect((await authorizeHeaders(headers)).isAuthorized).toBe(false);
  });

  it("no random Authorization header is ever allowed (property)", async () => {
    const token = await fixture.identity.mint("valid");
    const [header, payload] = token.split(".");
    const header64 = fc.oneof(
      fc.string(),
      fc
        .stringMatching(/^[A-Za-z0-9_-]{0,40}$/)
        .map((tail) => `Bearer ${header}.${payload}.${tail}`),
      fc.string().map((text) => `Bearer ${text}`),
      fc.constantFrom(`Bearer ${token}x`, `Bearer ${token}=`, `bearer  ${header}.${payload}.`),
    );
    await fc.assert(
      fc.asyncProperty(header64, async (value) => {
        expect((await authorizeHeaders({ Authorization: value })).isAuthorized).toBe(false);
      }),
      { numRuns: 150 },
    );
  });
});

describe("logging", () => {
  it("writes one line per decision with the correlation id, and never the token", async () => {
    const token = await fixture.identity.mint("valid", { sub: "logged-user" });
    const revoked = await fixture.identity.mint("valid");
    await logout(revoked);
    const expired = await fixture.identity.mint("expired");
    const event = httpApiAuthorizerEvent({ headers: { Authorization: `Bearer ${token}` } });
    output.clear();

    await fixture.authorizer(event, lambdaContext());
    await authorize(revoked);
    await authorize(expired);

    const lines = output.lines().filter((line) => typeof line.decision === "string");
    expect(lines.map((line) => [line.decision, line.reason])).toEqual([
      ["allow", undefined],
      ["deny", "Token has been revoked"],
      ["deny", "Token expired"],
    ]);
    expect(lines[0]).toMatchObject({
      correlation_id: event.requestContext.requestId,
      sub: "logged-user",
    });
    for (const secret of [token, revoked, expired]) {
      expect(output.text()).not.toContain(secret.split(".")[2]);
      expect(output.text()).not.toContain(secret.split(".")[1]);
    }
  });
});

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** A REST API's answer, as the gateway responses read it. */
async function restAnswer(headers: Record<string, string | string[]>) {
  const event = restApiAuthorizerEvent({ method: "GET", path: "/core/v1/payments", headers });
  try {
    return await fixture.authorizer(event, lambdaContext());
  } catch (error) {
    return { thrown: (error as Error).message };
  }
}

/** The HTTP API's answer for the same request, and the reason the decision's line gave. */
async function httpAnswer(headers: Record<string, string | string[]>) {
  output.clear();
  const result = await authorizeHeaders(headers).catch((error: Error) => ({
    thrown: error.message,
  }));
  const line = output.lines().find((each) => typeof each.decision === "string");
  return { result, reason: line?.reason as string | undefined };
}

describe("a REST API's authorizer: the same decision, as an IAM policy", () => {
  const stageArn = "arn:aws:execute-api:us-east-1:123456789012:local/prod/*";

  it("allows a valid token for every method of the stage, principal its sub, with the same context", async () => {
    const token = await fixture.identity.mint("valid", { sub: "rest-user", client_id: "web" });
    const headers = { Authorization: `Bearer ${token}` };
    const { result } = await httpAnswer(headers);
    expect(await restAnswer(headers)).toEqual({
      principalId: "rest-user",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: stageArn }],
      },
      context: (result as { context: unknown }).context,
    });
  });

  it("agrees with the HTTP API on every request (property): allow, deny with its reason, or undecided", async () => {
    const kinds = await Promise.all(
      TOKEN_KINDS.map(async (kind) => `Bearer ${await fixture.identity.mint(kind)}`),
    );
    const revoked = await fixture.identity.mint("valid");
    await logout(revoked);
    const authorization = fc.oneof(
      fc.constantFrom(...kinds, `Bearer ${revoked}`, "Basic dXNlcjpwYXNz", "Bearer ", "bearer"),
      fc.string().map((text) => `Bearer ${text}`),
      fc.array(fc.constantFrom(...kinds), { minLength: 2, maxLength: 2 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.option(authorization, { nil: undefined }), async (value) => {
        const headers: Record<string, string | string[]> =
          value === undefined ? {} : { Authorization: value };
        const [{ result, reason }, rest] = [await httpAnswer(headers), await restAnswer(headers)];
        if ("thrown" in result) {
          expect(rest).toEqual(result);
        } else if (result.isAuthorized) {
          expect(rest).toMatchObject({ policyDocument: { Statement: [{ Effect: "Allow" }] } });
        } else {
          expect(rest).toEqual({
            principalId: "anonymous",
            policyDocument: {
              Version: "2012-10-17",
              Statement: [{ Action: "execute-api:Invoke", Effect: "Deny", Resource: stageArn }],
            },
            // What the gateway response writes into the envelope: the same reason, the path
            // relative to the base URL, the time in the contract's format.
            context: { reason, path: "/v1/payments", timestamp: expect.stringMatching(ISO_TIME) },
          });
        }
      }),
      { numRuns: 120 },
    );
  });

  it("through the API's ACCESS_DENIED response, answers the logout's own 401 envelope (property over token kinds)", async () => {
    const [, , , template] = CONTRACT_RESPONSES.find(
      ([type]) => type === ResponseType.ACCESS_DENIED,
    ) as (typeof CONTRACT_RESPONSES)[number];
    const kinds = TOKEN_KINDS.filter((kind) => kind !== "valid");
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...kinds), async (kind) => {
        const token = await fixture.identity.mint(kind);
        const denied = (await restAnswer({ Authorization: `Bearer ${token}` })) as {
          context: Record<string, string>;
        };
        // API Gateway's substitution: each $context variable by its value.
        const rendered = JSON.stringify({ error: template }).replace(
          /\$context\.(authorizer\.)?(\w+)/g,
          (_, authorizer, name) => (authorizer ? denied.context[name] : "req-1") ?? "",
        );
        const { error } = JSON.parse(rendered);
        const logout = bodyOf(
          await fixture.logout.invoke(eventFor("v2", { authorization: [`Bearer ${token}`] })),
        );
        const { path: _path, timestamp: _time, requestId: _id, ...same } = logout.error;
        expect(error).toMatchObject(same);
        expect(error).toMatchObject({ path: "/v1/payments", requestId: "req-1" });
        expect(error.timestamp).toMatch(ISO_TIME);
      }),
      { numRuns: kinds.length * 2 },
    );
  });

  it("renders JSON with the path as one string, whatever the path holds (property)", async () => {
    const token = await fixture.identity.mint("expired");
    const render = (template: Record<string, unknown>, context: Record<string, string>) =>
      JSON.stringify({ error: template }).replace(
        /\$context\.(authorizer\.)?(\w+)/g,
        (_, authorizer, name) =>
          authorizer ? (context[name] ?? "") : name === "resourcePath" ? "/v1/payments/{id}" : "r",
      );
    const [, , , denied] = CONTRACT_RESPONSES.find(
      ([type]) => type === ResponseType.ACCESS_DENIED,
    ) as (typeof CONTRACT_RESPONSES)[number];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: "binary" }),
          fc.constantFrom('"', '", "injected": "x', "\\", "\u2028", "$context.requestId", "\n"),
        ),
        async (tail) => {
          const path = `/core/v1/${tail}`;
          const event = restApiAuthorizerEvent({
            method: "GET",
            path,
            headers: { Authorization: `Bearer ${token}` },
          });
          const { context } = (await fixture.authorizer(event, lambdaContext())) as {
            context: Record<string, string>;
          };
          const { error } = JSON.parse(render(denied, context));
          expect(error.path).toBe(`/v1/${tail}`);
          expect(Object.keys(error).sort()).toEqual(
            ["code", "details", "message", "path", "requestId", "status", "timestamp"].sort(),
          );
        },
      ),
      { numRuns: 200 },
    );
    // The responses API Gateway makes alone insert only variables it keeps to safe characters.
    for (const [type, , , template] of CONTRACT_RESPONSES) {
      const variables = JSON.stringify(template).match(/\$context\.[\w.]+/g) ?? [];
      const safe =
        type === ResponseType.ACCESS_DENIED
          ? /^\$context\.(authorizer\.\w+|requestId)$/
          : /^\$context\.(resourcePath|requestId)$/;
      for (const variable of variables) expect(variable, String(type.responseType)).toMatch(safe);
    }
  });

  it("throws, as the HTTP API's does, when it cannot decide", async () => {
    const token = await fixture.identity.mint("valid");
    fixture.proxy.throttle("BatchGetItem", 3);
    expect(await restAnswer({ Authorization: `Bearer ${token}` })).toEqual({
      thrown: "The authorizer could not decide",
    });
  });

  it("reads a header repeated in the REST event's multi-value map as two values: a deny", async () => {
    const token = await fixture.identity.mint("valid");
    expect(
      await restAnswer({ Authorization: [`Bearer ${token}`, `Bearer ${token}`] }),
    ).toMatchObject({ context: { reason: "Multiple Authorization values" } });
  });
});

describe("when it cannot decide", () => {
  it("throws (API Gateway's 500) when DynamoDB throttles, and allows nothing", async () => {
    const token = await fixture.identity.mint("valid");
    fixture.proxy.throttle("BatchGetItem", 3);
    await expect(authorize(token)).rejects.toThrow("The authorizer could not decide");
    const line = output.lines().find((each) => each.decision === "error");
    expect(line).toMatchObject({ level: "ERROR", reason: "Revocation store unavailable" });
  });

  it("throws when the signing keys cannot be had", async () => {
    const { createAuthorizerHandler } = await import(
      "../../../functions/authorizer/authorizer-handler.js"
    );
    const { createTokenVerifier } = await import("../../../functions/auth/token-verifier.js");
    const { loadConfig } = await import("../../../functions/config/config.js");
    const { createLogger } = await import("../../../functions/config/logger.js");
    // A JWKS endpoint on a port nothing listens on.
    const config = loadConfig({
      ...fixture.identity.environment,
      JWKS: "",
      JWKS_URI: "https://127.0.0.1:9/.well-known/jwks.json",
    });
    const authorizer = createAuthorizerHandler({
      logger: createLogger(),
      verify: createTokenVerifier(config.verifier),
      revocations: fixture.store,
    });
    const event = httpApiAuthorizerEvent({
      headers: { Authorization: `Bearer ${await fixture.identity.mint("valid")}` },
    });
    await expect(authorizer(event, lambdaContext())).rejects.toThrow(
      "The authorizer could not decide",
    );
  });

  it("throws when DynamoDB is gone", async () => {
    const token = await fixture.identity.mint("valid");
    await fixture.dynamodb.stop();
    await expect(authorize(token)).rejects.toThrow("The authorizer could not decide");
  });
});
