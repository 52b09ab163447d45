import { execFile } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DeployableBundle,
  synthesizeDeployableBundle,
} from "../../scripts/deployable-bundle.js";
import { type LocalDynamoDb, startLocalDynamoDb } from "../../scripts/local-dynamodb.js";
import { createLocalIdentity, type LocalIdentity } from "../../scripts/local-identity.js";
import { httpApiEvent } from "../support/logout-app.js";

let bundle: DeployableBundle;
let dynamodb: LocalDynamoDb;
let identity: LocalIdentity;

beforeAll(async () => {
  bundle = synthesizeDeployableBundle();
  dynamodb = await startLocalDynamoDb();
  await dynamodb.createRevocationTable("bundle-revocations");
  identity = await createLocalIdentity();
}, 120_000);

afterAll(async () => {
  await dynamodb.stop();
});

describe("the deployable bundle", () => {
  it("is one minified ESM file with its source map beside it", () => {
    expect(readdirSync(bundle.directory).sort()).toEqual(["index.mjs", "index.mjs.map"]);
    const code = readFileSync(bundle.entry, "utf8");
    expect(code.startsWith("import { createRequire as __createRequire }")).toBe(true);
    // Minified: long lines, not source layout.
    expect(code.length / code.split("\n").length).toBeGreaterThan(1000);
    expect(code).toMatch(/sourceMappingURL=index\.mjs\.map/);
    // The AWS SDK stays outside: the Lambda runtime has it.
    expect(code).not.toMatch(/@aws-sdk\/client-dynamodb/);
    expect(statSync(bundle.entry).size).toBeLessThan(200 * 1024);
  });

  it("loads in plain Node.js and revokes a token against DynamoDB", async () => {
    const token = await identity.mint("valid");
    const eventFile = join(tmpdir(), `bundle-event-${process.pid}.json`);
    writeFileSync(eventFile, JSON.stringify(httpApiEvent({ authorization: [`Bearer ${token}`] })));

    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["scripts/invoke-bundle.mjs", bundle.entry, eventFile, eventFile],
      {
        env: {
          PATH: process.env.PATH,
          ...identity.environment,
          ...dynamodb.environment,
          REVOCATION_TABLE_NAME: "bundle-revocations",
          LOG_LEVEL: "ERROR",
        },
      },
    );

    const { results } = JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
    expect(results[0]).toEqual({
      statusCode: 200,
      body: '{"success":true,"message":"Logged out successfully"}',
    });
    expect(results[1].statusCode).toBe(401);
    expect(JSON.parse(results[1].body).error.details.reason).toBe("Token has been revoked");
  });

  it("keeps error class names readable in its log line, minified as it is", async () => {
    const token = await identity.mint("expired");
    const eventFile = join(tmpdir(), `bundle-expired-${process.pid}.json`);
    writeFileSync(eventFile, JSON.stringify(httpApiEvent({ authorization: [`Bearer ${token}`] })));

    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["scripts/invoke-bundle.mjs", bundle.entry, eventFile],
      { env: { PATH: process.env.PATH, ...identity.environment, LOG_LEVEL: "INFO" } },
    );

    const logLine = JSON.parse(stdout.split("\n").find((line) => line.includes('"level"')) ?? "{}");
    expect(logLine).toMatchObject({
      status: 401,
      reason: "Token expired",
      cause: "JwtExpiredError",
    });
  });
});
