/**
 * The API document: linted by Redocly's rules, and kept by the real handlers. Each status the
 * endpoint can give is produced for real here and checked against the document; an
 * undocumented status or header fails.
 */
import { readFileSync } from "node:fs";
import { createConfig, lint } from "@redocly/openapi-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createTokenVerifier } from "../../functions/auth/token-verifier.js";
import { loadConfig } from "../../functions/config/config.js";
import { createLogger } from "../../functions/config/logger.js";
import type { RevocationRecorder } from "../../functions/domain/ports.js";
import { createLogoutHandler } from "../../functions/logout/logout-handler.js";
import { captureOutput } from "../support/captured-output.js";
import { lambdaContext } from "../support/kit.js";
import { eventFor, type PayloadVersion, type RequestShape } from "../support/logout-app.js";
import { contractViolations, type ObservedResponse } from "../support/openapi-contract.js";
import { type RevocationFixture, startRevocationFixture } from "../support/revocation-fixture.js";

captureOutput();
let fixture: RevocationFixture;

beforeAll(async () => {
  fixture = await startRevocationFixture();
});
afterAll(async () => {
  await fixture.stop();
});

describe("api/openapi.yaml", () => {
  it("passes Redocly's recommended-strict rules", async () => {
    const config = await createConfig({ extends: ["recommended-strict"] });
    const problems = await lint({ ref: "api/openapi.yaml", config });
    expect(problems.map((problem) => `${problem.ruleId}: ${problem.message}`)).toEqual([]);
  });

  it("passes them in the local document too, which reaches the published one's schemas", async () => {
    const config = await createConfig({ extends: ["recommended-strict"] });
    const problems = await lint({ ref: "api/local.openapi.yaml", config });
    expect(problems.map((problem) => `${problem.ruleId}: ${problem.message}`)).toEqual([]);
  });

  it("keeps the seed contract's 200 body and 401 envelope", async () => {
    const { contract } = await import("../support/openapi-contract.js");
    const logout = contract.paths["/v1/auth/logout"].post;
    expect(logout.security).toEqual([{ BearerAuth: [] }]);
    expect(Object.keys(logout.responses).sort()).toEqual([
      "200",
      "400",
      "401",
      "429",
      "500",
      "503",
    ]);
    expect(contract.servers.map((server: { url: string }) => server.url)).toEqual([
      "https://api-sandbox.rinne.com.br/core",
      "https://api.rinne.com.br/core",
    ]);
  });
});

/**
 * The name a client generator gives an operation without an `operationId`, as the seed's has
 * none: the method, then each path segment capitalized, non-alphanumerics dropped (openapi-
 * generator's and openapi-typescript-codegen's default), `post /v1/auth/logout` →
 * `postV1AuthLogout`.
 */
const generatedName = (method: string, path: string) =>
  method.toLowerCase() +
  path
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join("");

const SEED = parse(readFileSync("api/seed.openapi.yaml", "utf8"));

describe("what a generated client gets", () => {
  it("the seed's operations, under the names a client generated from the seed has; and the issuer's, apart", async () => {
    const { contract } = await import("../support/openapi-contract.js");
    const operations = (document: Record<string, Record<string, Record<string, unknown>>>) =>
      Object.entries(document).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => [
          `${method} ${path}`,
          (operation.operationId as string | undefined) ?? generatedName(method, path),
        ]),
      );
    const issuers = ["post /v1/auth/backchannel-logout"];
    expect(
      operations(contract.paths).filter(([operation]) => !issuers.includes(operation as string)),
    ).toEqual(operations(SEED.paths));
    // Called by the identity provider, never by a client: no bearer token.
    expect(contract.paths["/v1/auth/backchannel-logout"]?.post?.security).toEqual([]);
  });

  it("no route that only npm start serves: that one is in the local document", async () => {
    const { contract, localContract } = await import("../support/openapi-contract.js");
    expect(Object.keys(localContract.paths)).toEqual(["/v1/example/protected"]);
    expect(contract.paths["/v1/example/protected"]).toBeUndefined();
  });
});

/** One real answer of the logout handler, checked against the document. */
async function expectKept(response: ObservedResponse, status: number): Promise<void> {
  expect(response.statusCode).toBe(status);
  expect(contractViolations("POST", "/v1/auth/logout", response)).toEqual([]);
}

describe.each(["v2", "v1"] as PayloadVersion[])("the logout's real answers (%s)", (version) => {
  const send = (shape: RequestShape) => fixture.logout.invoke(eventFor(version, shape));
  const bearer = async (claims: Record<string, unknown> = {}) => [
    `Bearer ${await fixture.identity.mint("valid", claims)}`,
  ];

  it("200, for every scope and with an Idempotency-Key", async () => {
    const began = Math.floor(Date.now() / 1000) - 1;
    for (const query of ["", "scope=local", "scope=global", "scope=others"]) {
      const claims = { sub: crypto.randomUUID(), iat: began, auth_time: began };
      await expectKept(await send({ authorization: await bearer(claims), query }), 200);
    }
    const headers = { "Idempotency-Key": crypto.randomUUID() };
    await expectKept(await send({ authorization: await bearer(), headers }), 200);
  });

  it("400 for others from a token that does not say when its session began", async () => {
    const authorization = await bearer({ sub: crypto.randomUUID() });
    await expectKept(await send({ authorization, query: "scope=others" }), 400);
  });

  it("401, with either challenge", async () => {
    await expectKept(await send({}), 401);
    await expectKept(await send({ authorization: ["Basic x"] }), 401);
    await expectKept(
      await send({ authorization: [`Bearer ${await fixture.identity.mint("expired")}`] }),
      401,
    );
    const token = await bearer();
    await send({ authorization: token });
    await expectKept(await send({ authorization: token }), 401);
  });

  it("400, for a bad scope, another parameter or a bad Idempotency-Key", async () => {
    await expectKept(await send({ authorization: await bearer(), query: "scope=all" }), 400);
    await expectKept(await send({ authorization: await bearer(), query: "SCOPE=global" }), 400);
    const headers = { "Idempotency-Key": "a b" };
    await expectKept(await send({ authorization: await bearer(), headers }), 400);
  });

  it("503, when the store stays throttled", async () => {
    fixture.proxy.throttle("PutItem", 3);
    await expectKept(await send({ authorization: await bearer() }), 503);
  });

  it("500, when something unforeseen breaks", async () => {
    const broken: RevocationRecorder = {
      assertNotRevoked: async () => undefined,
      claimLogout: async () => "new",
      revokeSession: async () => {
        throw new TypeError("a bug");
      },
      revokeUserSessions: async () => "recorded",
    };
    const config = loadConfig(fixture.identity.environment);
    const handler = createLogoutHandler({
      logger: createLogger(),
      verify: createTokenVerifier(config.verifier),
      revocations: broken,
      apiBasePath: "/core",
    });
    const response = await handler(
      eventFor(version, { authorization: await bearer() }),
      lambdaContext(),
    );
    await expectKept(response, 500);
    expect(response.body).not.toContain("a bug");
  });
});

describe("the checker itself", () => {
  it("fails an undocumented status, an undocumented header and a body off its schema", () => {
    const ok = { "Content-Type": "application/json", "Cache-Control": "no-store" };
    const body = '{"success":true,"message":"Logged out successfully"}';
    expect(
      contractViolations("POST", "/v1/auth/logout", { statusCode: 418, headers: ok, body }),
    ).toHaveLength(1);
    expect(
      contractViolations("POST", "/v1/auth/logout", {
        statusCode: 200,
        headers: { ...ok, "X-Debug": "1" },
        body,
      }),
    ).toEqual(["header x-debug is not documented for 200"]);
    expect(
      contractViolations("POST", "/v1/auth/logout", { statusCode: 200, headers: ok, body: "{}" }),
    ).not.toEqual([]);
    expect(
      contractViolations("POST", "/v1/auth/logout", {
        statusCode: 200,
        headers: { "Content-Type": "application/json" },
        body,
      }),
    ).toEqual(["required header cache-control is missing"]);
  });
});
