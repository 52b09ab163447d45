import { execFile } from "node:child_process";
import { readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionItem } from "../../functions/revocation/revocation-items.js";
import {
  type DeployableBundles,
  synthesizeDeployableBundles,
} from "../../scripts/deployable-bundle.js";
import { startAwsJsonStandIn } from "../support/aws-json-stand-in.js";
import { putEventsAnswer } from "../support/event-pipeline.js";
import { startJwksServer } from "../support/jwks-server.js";
import {
  createLocalIdentity,
  httpApiAuthorizerEvent,
  type LocalDynamoDb,
  type LocalIdentity,
  startLocalDynamoDb,
  TOKEN_KINDS,
} from "../support/kit.js";
import { httpApiEvent } from "../support/logout-app.js";

let bundles: DeployableBundles;
let dynamodb: LocalDynamoDb;
let identity: LocalIdentity;

beforeAll(async () => {
  bundles = synthesizeDeployableBundles();
  dynamodb = await startLocalDynamoDb();
  await dynamodb.createRevocationTable("bundle-revocations");
  identity = await createLocalIdentity();
}, 120_000);

afterAll(async () => {
  await dynamodb.stop();
});

/** Runs a bundle in a fresh `node`, as Lambda would, with one event per bearer token. */
async function invokeBundle(
  tokens: string[],
  env: Record<string, string>,
  which: "logout" | "authorizer" = "logout",
  /** The source instead of the bundle, through tsx: the unminified oracle. */
  fromSource = false,
): Promise<{ results: Record<string, unknown>[]; logLines: string[] }> {
  const eventFiles = tokens.map((token, index) => {
    const file = join(tmpdir(), `bundle-event-${process.pid}-${which}-${index}.json`);
    const headers = { Authorization: `Bearer ${token}` };
    const event =
      which === "logout"
        ? httpApiEvent({ authorization: [headers.Authorization] })
        : httpApiAuthorizerEvent({ method: "GET", path: "/core/v1/example/protected", headers });
    writeFileSync(file, JSON.stringify(event));
    return file;
  });
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      ...(fromSource ? ["--import", "tsx"] : []),
      "scripts/invoke-bundle.mjs",
      fromSource ? `functions/${which}/handler.ts` : bundles[which].entry,
      ...eventFiles,
    ],
    { env: { PATH: process.env.PATH, ...identity.environment, ...env } },
  );
  const lines = stdout.trim().split("\n");
  return {
    results: JSON.parse(lines.pop() ?? "{}").results,
    logLines: lines.filter((line) => line.includes('"level"')),
  };
}

describe.each(["logout", "authorizer", "publisher"] as const)(
  "the %s's deployable bundle",
  (which) => {
    it("is one minified ESM file with its source map beside it", () => {
      const bundle = bundles[which];
      expect(readdirSync(bundle.directory).sort()).toEqual(["index.mjs", "index.mjs.map"]);
      const code = readFileSync(bundle.entry, "utf8");
      // Nothing in it calls `require`, which ESM would need a banner for: esbuild's shim throws.
      expect(code).not.toMatch(/Dynamic require of/);
      // Minified: long lines, not source layout.
      expect(code.length / code.split("\n").length).toBeGreaterThan(1000);
      expect(code).toMatch(/sourceMappingURL=index\.mjs\.map/);
      // The AWS SDK stays outside: the Lambda runtime has it.
      expect(code).not.toMatch(/@aws-sdk\/client-dynamodb/);
      expect(code).not.toMatch(/class EventBridgeClient/);
      expect(statSync(bundle.entry).size).toBeLessThan(200 * 1024);
    });
  },
);

describe("the deployable bundles", () => {
  it("authorize in plain Node.js against DynamoDB: allowed, then denied once logged out", async () => {
    const token = await identity.mint("valid", { sub: "bundle-user" });
    const env = {
      ...dynamodb.environment,
      REVOCATION_TABLE_NAME: "bundle-revocations",
      LOG_LEVEL: "ERROR",
    };
    const before = await invokeBundle([token], env, "authorizer");
    expect(before.results[0]).toMatchObject({
      isAuthorized: true,
      context: { sub: "bundle-user" },
    });
    expect((await invokeBundle([token], env)).results[0]?.statusCode).toBe(200);
    const after = await invokeBundle([token], env, "authorizer");
    expect(after.results[0]).toEqual({ isAuthorized: false, context: {} });
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
    expect(JSON.parse(String(results[1]?.body ?? "{}")).error.details.reason).toBe(
      "Token has been revoked",
    );
  });

  it("fetches the issuer's keys over HTTPS where none are pinned, as most stages do", async () => {
    const keys = await startJwksServer();
    keys.answer(200, JSON.stringify(identity.jwks));
    const certificate = join(tmpdir(), `bundle-jwks-ca-${process.pid}.pem`);
    writeFileSync(certificate, keys.certificate);
    try {
      const { results } = await invokeBundle([await identity.mint("valid")], {
        JWKS: "",
        JWKS_URI: keys.uri,
        NODE_EXTRA_CA_CERTS: certificate,
        LOG_LEVEL: "ERROR",
      });
      expect(results[0]?.statusCode).toBe(200);
      expect(keys.fetches()).toBe(1);
    } finally {
      await keys.close();
    }
  });

  it("names in its log lines the error classes the source names, minified as it is", async () => {
    // Every way the issuer's tokens can fail, a revoked one, and one that is no token at all.
    const refused = [
      ...(await Promise.all(
        TOKEN_KINDS.filter((kind) => kind !== "valid").map((kind) => identity.mint(kind)),
      )),
      "not-a-jwt",
      // Three parts, a header, and a payload that is not JSON: the library's parse refuses it.
      `${Buffer.from('{"alg":"RS256","kid":"k"}').toString("base64url")}.bm90LWpzb24.c2ln`,
    ];
    const revoked = await identity.mint("valid", { sub: "named-causes" });
    // Each run on its own table: the second logout of `revoked` is refused in both.
    const causes = async (fromSource: boolean) => {
      const table = fromSource ? "names-source" : "names-bundle";
      await dynamodb.createRevocationTable(table);
      const { logLines } = await invokeBundle(
        [...refused, revoked, revoked],
        { ...dynamodb.environment, REVOCATION_TABLE_NAME: table, LOG_LEVEL: "INFO" },
        "logout",
        fromSource,
      );
      return logLines
        .map((line) => JSON.parse(line))
        .filter((line) => line.status === 401)
        .map((line) => [line.reason, line.cause]);
    };

    const bundled = await causes(false);
    const source = await causes(true);

    expect(bundled).toHaveLength(refused.length + 1);
    expect(bundled).toContainEqual(["Token expired", "JwtExpiredError"]);
    expect(bundled).toContainEqual(["Token has been revoked", "TokenRevokedError"]);
    expect(bundled).toEqual(source);
    for (const [, cause] of bundled) expect(cause).toMatch(/^[A-Z][A-Za-z]+Error$/);
  });
});

describe("the publisher's deployable bundle", () => {
  it("puts a change record's event on the bus, with the runtime's own SDK", async () => {
    // Lambda's Node.js runtime has the AWS SDK; here the project's stands in for it.
    symlinkSync(
      join(process.cwd(), "node_modules"),
      join(bundles.publisher.directory, "node_modules"),
    );
    const bus = await startAwsJsonStandIn();
    bus.answer("PutEvents", putEventsAnswer());
    const at = Date.now();
    const item = sessionItem(
      "session#v2#bundle",
      { expiresAt: Math.floor(at / 1000) + 600, revokedBy: "w" },
      { scope: "local", iss: "https://issuer.example", sub: "bundle-user", session: "s-1", at },
    );
    const file = join(tmpdir(), `bundle-stream-${process.pid}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        Records: [{ eventName: "INSERT", dynamodb: { NewImage: item, SequenceNumber: "1" } }],
      }),
    );
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ["scripts/invoke-bundle.mjs", bundles.publisher.entry, file],
        {
          env: {
            PATH: process.env.PATH,
            ...dynamodb.environment,
            REVOCATION_TABLE_NAME: "bundle-revocations",
            EVENT_BUS_NAME: "rinne-auth-sandbox",
            AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
            LOG_LEVEL: "ERROR",
          },
        },
      );
      expect(JSON.parse(stdout.trim().split("\n").pop() ?? "{}").results).toEqual([
        { batchItemFailures: [] },
      ]);
      const entries = (bus.requests[0]?.body.Entries ?? []) as { Source: string; Detail: string }[];
      const [entry] = entries;
      expect(entry?.Source).toBe("rinne.auth");
      expect(JSON.parse(entry?.Detail ?? "{}").sub_id.session).toEqual({
        format: "opaque",
        id: "s-1",
      });
    } finally {
      await bus.stop();
    }
  });
});
