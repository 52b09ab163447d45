import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AuthorizerEvent,
  authorizerHandlerFromEnvironment,
} from "../../functions/authorizer/authorizer-handler.js";
import { requireRevocations, revocationStoreFor } from "../../functions/bearer-check.js";
import { loadConfig } from "../../functions/config/config.js";
import { createLogger } from "../../functions/config/logger.js";
import type { ApiGatewayEvent } from "../../functions/http/api-gateway-event.js";
import {
  createProviderHandler,
  providerHandlerFromEnvironment,
} from "../../functions/provider/provider-handler.js";
import { providerRevocationOnTable } from "../../functions/revocation/revocation-store.js";
import { LOCAL_USER_POOL_ID, loadSampleEvent } from "../../scripts/sample-events.js";
import { captureOutput } from "../support/captured-output.js";
import { createLocalIdentity, lambdaContext, startLocalDynamoDb } from "../support/kit.js";
import { createLogoutApp, eventFor, type LogoutApp } from "../support/logout-app.js";

captureOutput();

// What each sample in events/ is for: the status and reason it must produce.
const EXPECTED: Record<string, [number, string | undefined]> = {
  "http-api-v2/valid.json": [200, undefined],
  "http-api-v2/scope-global.json": [200, undefined],
  "http-api-v2/scope-invalid.json": [
    400,
    'Query parameter "scope" must be one of: local, global, others',
  ],
  "http-api-v2/missing-header.json": [401, "Missing Authorization header"],
  "http-api-v2/wrong-scheme.json": [401, "Unsupported authorization scheme"],
  "http-api-v2/malformed.json": [401, "Malformed token"],
  "http-api-v2/expired.json": [401, "Token expired"],
  "http-api-v2/bad-signature.json": [401, "Invalid token signature"],
  "http-api-v2/alg-none.json": [401, "Malformed token"],
  "rest-api-v1/valid.json": [200, undefined],
  "rest-api-v1/lowercase-scheme.json": [200, undefined],
  "rest-api-v1/missing-header.json": [401, "Missing Authorization header"],
  "rest-api-v1/expired.json": [401, "Token expired"],
  "rest-api-v1/wrong-audience.json": [401, "Invalid token audience"],
};
// And each authorizer's: its decision, as each kind of API reads it.
const AUTHORIZER_EXPECTED: Record<string, "allow" | "deny"> = {
  "authorizer-http-api-v2/valid.json": "allow",
  "authorizer-http-api-v2/expired.json": "deny",
  "authorizer-rest-api-v1/valid.json": "allow",
  "authorizer-rest-api-v1/wrong-audience.json": "deny",
};
// And the identity provider's: the back-channel logout's status, a CloudTrail event's effect on
// the sample's user (a `--token`'s): ended, untouched, or thrown to be retried and parked.
const PROVIDER_EXPECTED: Record<string, number | "ended" | "untouched" | "thrown"> = {
  "backchannel-logout/valid.json": 200,
  "backchannel-logout/with-nonce.json": 400,
  "backchannel-logout/access-token.json": 400,
  ...Object.fromEntries(
    [
      "admin-user-global-sign-out",
      "global-sign-out",
      "admin-disable-user",
      "admin-delete-user",
      "delete-user",
      "change-password",
      "admin-set-user-password",
      "admin-reset-user-password",
      "confirm-forgot-password",
    ].map((action) => [`cognito-cloudtrail/${action}.json`, "ended"]),
  ),
  "cognito-cloudtrail/another-pool.json": "untouched",
  "cognito-cloudtrail/failed-call.json": "untouched",
  "cognito-cloudtrail/unresolved-user.json": "thrown",
  // Found through the pool, which a local run has not: see the Cognito suite for the found case.
  "cognito-cloudtrail/by-username.json": "thrown",
};
const decisionOf = (result: Record<string, unknown>) => {
  const effect = (result as { policyDocument?: { Statement: { Effect: string }[] } }).policyDocument
    ?.Statement[0]?.Effect;
  return result.isAuthorized === true || effect === "Allow" ? "allow" : "deny";
};

let app: LogoutApp;
beforeAll(async () => {
  app = await createLogoutApp();
});

describe("the sample events", () => {
  it("are all listed here, so none goes untested", async () => {
    const files: string[] = [];
    for (const folder of await readdir("events")) {
      for (const file of await readdir(join("events", folder))) files.push(`${folder}/${file}`);
    }
    expect(files.sort()).toEqual(
      [
        ...Object.keys(EXPECTED),
        ...Object.keys(AUTHORIZER_EXPECTED),
        ...Object.keys(PROVIDER_EXPECTED),
      ].sort(),
    );
  });

  it.each(Object.entries(EXPECTED))("%s answers %j", async (file, [status, reason]) => {
    const event = (await loadSampleEvent(join("events", file), app.identity)) as ApiGatewayEvent;
    const response = await app.invoke(event);
    expect(response.statusCode).toBe(status);
    if (reason) expect(JSON.parse(response.body).error.details.reason).toBe(reason);
    expect(JSON.parse(response.body).error?.requestId ?? event.requestContext.requestId).toBe(
      event.requestContext.requestId,
    );
  });
});

describe("the authorizers' sample events", () => {
  it.each(Object.entries(AUTHORIZER_EXPECTED))("%s: %s", async (file, decision) => {
    const dynamodb = await startLocalDynamoDb();
    try {
      await dynamodb.createRevocationTable("samples");
      const authorizer = authorizerHandlerFromEnvironment({
        ...app.identity.environment,
        ...dynamodb.environment,
        REVOCATION_TABLE_NAME: "samples",
      });
      const event = (await loadSampleEvent(join("events", file), app.identity)) as AuthorizerEvent;
      const result = (await authorizer(event, lambdaContext())) as unknown as Record<
        string,
        unknown
      >;
      expect(decisionOf(result)).toBe(decision);
    } finally {
      await dynamodb.stop();
    }
  });
});

describe("the identity provider's sample events, as npm run invoke runs them", () => {
  // One table for all: each sample's token is of a session and a user of its own.
  let dynamodb: Awaited<ReturnType<typeof startLocalDynamoDb>>;
  beforeAll(async () => {
    dynamodb = await startLocalDynamoDb();
    await dynamodb.createRevocationTable("samples");
  });
  afterAll(() => dynamodb.stop());

  it.each(Object.entries(PROVIDER_EXPECTED))("%s: %s", async (file, expected) => {
    {
      const environment = {
        ...app.identity.environment,
        ...dynamodb.environment,
        REVOCATION_TABLE_NAME: "samples",
      };
      const config = loadConfig(environment);
      // As `npm run invoke` runs them: the local identity stands for the pool.
      const provider = file.startsWith("cognito-cloudtrail/")
        ? createProviderHandler({
            logger: createLogger(),
            revocations: requireRevocations(
              revocationStoreFor(environment, config, {}, providerRevocationOnTable),
            ),
            cognito: {
              userPoolId: LOCAL_USER_POOL_ID,
              issuer: app.identity.issuer,
              users: undefined,
            },
          })
        : providerHandlerFromEnvironment(environment);
      const now = Math.floor(Date.now() / 1000);
      const token = await app.identity.mint("valid", {
        sub: `sample-${file}`,
        sid: `s-${file}`,
        auth_time: now - 60,
      });
      const event = (await loadSampleEvent(join("events", file), app.identity, token)) as never;
      const authorizer = authorizerHandlerFromEnvironment(environment);
      const admitted = async () =>
        decisionOf(
          (await authorizer(
            (await loadSampleEvent(
              "events/authorizer-http-api-v2/valid.json",
              app.identity,
              token,
            )) as AuthorizerEvent,
            lambdaContext(),
          )) as unknown as Record<string, unknown>,
        ) === "allow";
      const outcome = await provider(event, lambdaContext()).then(
        (response) => response?.statusCode,
        () => "thrown" as const,
      );
      if (typeof expected === "number") {
        expect(outcome).toBe(expected);
        expect(await admitted()).toBe(expected !== 200);
      } else if (expected === "thrown") {
        expect(outcome).toBe("thrown");
        expect(await admitted()).toBe(true);
      } else {
        expect(outcome).toBeUndefined();
        expect(await admitted()).toBe(expected === "untouched");
      }
    }
  });
});

const run = (script: string, args: string[], env: Record<string, string>) =>
  promisify(execFile)("node_modules/.bin/tsx", [`scripts/${script}.ts`, ...args], {
    env: { ...process.env, LOG_LEVEL: "ERROR", ...env },
  }).then(({ stdout }) => stdout);
const printed = (stdout: string) => JSON.parse(stdout.slice(stdout.indexOf("{")));

describe("npm run invoke, npm run event, npm run token", () => {
  const localDir = mkdtempSync(join(tmpdir(), "rinne-invoke-"));
  const env = { RINNE_LOCAL_DIR: localDir };
  /** The logout on the scripts' own key, which the first of them made in that folder. */
  let local: LogoutApp;
  beforeAll(async () => {
    local = await createLogoutApp({
      identity: await createLocalIdentity({ keyFile: join(localDir, "dev-signing-key.json") }),
    });
  });
  afterAll(() => rmSync(localDir, { recursive: true, force: true }));

  it("invoke runs the real handlers on sample events, and keeps a logout between runs", async () => {
    const token = (await run("token", [], env)).trim();
    const logout = ["events/rest-api-v1/valid.json", "--token", token];
    const first = printed(await run("invoke", logout, env));
    expect(first.statusCode).toBe(200);
    expect(first.body).toEqual({ success: true, message: "Logged out successfully" });
    // Another run, the same token: the kept table remembers it, at the logout and the authorizer.
    expect(printed(await run("invoke", logout, env)).body.error.details.reason).toBe(
      "Token has been revoked",
    );
    const rest = ["events/authorizer-rest-api-v1/valid.json", "--token", token];
    expect(printed(await run("invoke", rest, env))).toMatchObject({
      policyDocument: { Statement: [{ Effect: "Deny" }] },
      context: { reason: "Token has been revoked" },
    });
  }, 60_000);

  it("invoke runs the identity provider's samples: the pool's sign-out and the issuer's logout token end the token's session", async () => {
    const token = async (session: string) =>
      (
        await run(
          "token",
          ["--session", session, "--auth-time", String(Math.floor(Date.now() / 1000) - 30)],
          env,
        )
      ).trim();
    const authorize = (value: string) =>
      run("invoke", ["events/authorizer-http-api-v2/valid.json", "--token", value], env).then(
        printed,
      );
    const [pooled, issued] = [await token("pool-1"), await token("issuer-1")];
    const cloudTrail = ["events/cognito-cloudtrail/admin-disable-user.json", "--token", pooled];
    expect(printed(await run("invoke", cloudTrail, env))).toEqual({ done: true });
    expect((await authorize(pooled)).isAuthorized).toBe(false);
    const backchannel = ["events/backchannel-logout/valid.json", "--token", issued];
    expect(printed(await run("invoke", backchannel, env)).statusCode).toBe(200);
    expect((await authorize(issued)).isAuthorized).toBe(false);
  }, 60_000);

  it("invoke and event answer --help with their usage, and do nothing else", async () => {
    for (const script of ["invoke", "event"]) {
      expect(await run(script, ["--help"], env)).toMatch(
        new RegExp(`^usage: npm run (-s )?${script}`),
      );
    }
  }, 30_000);

  it("says in one line which file it could not read, and stops", async () => {
    for (const script of ["invoke", "event"]) {
      const refused = await run(script, ["events/none.json"], env).catch(
        (error: { code: number; stderr: string }) => error,
      );
      expect(refused).toMatchObject({ code: 2 });
      expect((refused as { stderr: string }).stderr.trim()).toBe(
        "No event file at events/none.json: pick one of events/ (ls events/*/)",
      );
    }
  }, 30_000);

  it("event writes a ready event, its token minted now, for tools that read events as they are", async () => {
    const event = printed(await run("event", ["events/http-api-v2/valid.json"], env));
    const response = await local.invoke(event);
    expect(response.statusCode).toBe(200);
    expect(JSON.stringify(event)).not.toContain("{{token:");
  }, 30_000);

  it("token mints the kinds the sample events use, and refuses a lifetime the functions would", async () => {
    const expired = (await run("token", ["--kind", "expired"], env)).trim();
    const response = await local.invoke(eventFor("v2", { authorization: [`Bearer ${expired}`] }));
    expect(JSON.parse(response.body).error.details.reason).toBe("Token expired");
    const refused = await run("token", ["--ttl", "86401"], env).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(refused).toMatchObject({ code: 2 });
    expect((refused as { stderr: string }).stderr.split("\n")[0]).toBe(
      "--ttl must be a whole number of seconds from 1 to 86400 (MAX_TOKEN_LIFETIME_SECONDS)",
    );
    expect(await run("token", ["--help"], env)).toMatch(
      /^usage: npm run -s token -- \[--kind valid\|expired/,
    );
  }, 30_000);
});
