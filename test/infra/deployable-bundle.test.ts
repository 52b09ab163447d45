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

/** Runs the bundle in a fresh `node`, as Lambda would, with one event per bearer token. */
async function invokeBundle(
  tokens: string[],
  env: Record<string, string>,
): Promise<{ results: { statusCode: number; body: string }[]; logLines: string[] }> {
  const eventFiles = tokens.map((token, index) => {
    const file = join(tmpdir(), `bundle-event-${process.pid}-${index}.json`);
    writeFileSync(file, JSON.stringify(httpApiEvent({ authorization: [`Bearer ${token}`] })));
    return file;
  });
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["scripts/invoke-bundle.mjs", bundle.entry, ...eventFiles],
    { env: { PATH: process.env.PATH, ...identity.environment, ...env } },
  );
  const lines = stdout.trim().split("\n");
  return {
    results: JSON.parse(lines.pop() ?? "{}").results,
    logLines: lines.filter((line) => line.includes('"level"')),
  };
}

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

    const { results } = await invokeBundle([token, token], {
      ...dynamodb.environment,
      REVOCATION_TABLE_NAME: "bundle-revocations",
      LOG_LEVEL: "ERROR",
    });

    expect(results[0]).toEqual({
      statusCode: 200,
      body: '{"success":true,"message":"Logged out successfully"}',
    });
    expect(results[1]?.statusCode).toBe(401);
    expect(JSON.parse(results[1]?.body ?? "{}").error.details.reason).toBe(
      "Token has been revoked",
    );
  });

  it("keeps error class names readable in its log line, minified as it is", async () => {
    const { results, logLines } = await invokeBundle([await identity.mint("expired")], {
      LOG_LEVEL: "INFO",
    });

    expect(results[0]?.statusCode).toBe(401);
    expect(JSON.parse(logLines[0] ?? "{}")).toMatchObject({
      status: 401,
      reason: "Token expired",
      cause: "JwtExpiredError",
    });
  });
});
