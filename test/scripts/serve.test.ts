import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Answer, startAwsJsonStandIn } from "../support/aws-json-stand-in.js";
import { validSessionRevoked } from "../support/event-schema.js";
import { startJwksServer } from "../support/jwks-server.js";
import { createLocalIdentity } from "../support/kit.js";
import { contractViolations } from "../support/openapi-contract.js";

let server: ChildProcess;
let curlLine = "";
let curlLines: string[] = [];
let backchannelStory = "";
let printed = "";
let port = "";
/** The run's own `.local/`: its key and its table, apart from the developer's. */
const localDir = mkdtempSync(join(tmpdir(), "rinne-local-"));
const environment = (extra: Record<string, string> = {}) => ({
  ...process.env,
  PORT: port,
  LOG_LEVEL: "ERROR",
  RINNE_LOCAL_DIR: localDir,
  ...extra,
});

/** Starts `npm start` as a user would, and waits for its curl lines. */
async function start(args: string[] = [], extra: Record<string, string> = {}) {
  const child = spawn("node_modules/.bin/tsx", ["scripts/serve.ts", ...args], {
    env: environment(extra),
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  let output = "";
  child.stdout?.setEncoding("utf8");
  while (!/^More tokens/m.test(output)) {
    const [chunk] = (await once(child.stdout as NodeJS.ReadableStream, "data")) as [string];
    output += chunk;
  }
  child.stdout?.on("data", (chunk: string) => {
    printed += chunk;
  });
  return { child, output };
}

async function stop(child: ChildProcess) {
  const exited = once(child, "exit");
  if (child.pid) process.kill(-child.pid, "SIGTERM");
  await exited;
}

/**
 * A run that must refuse at once: its exit code and what it said on stderr. Its own folder,
 * unless `extra` says otherwise: one process at a time may hold a kept table.
 */
async function refusedRun(args: string[], extra: Record<string, string>) {
  const child = spawn("node_modules/.bin/tsx", ["scripts/serve.ts", ...args], {
    env: environment({ RINNE_LOCAL_DIR: mkdtempSync(join(tmpdir(), "rinne-local-")), ...extra }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let errors = "";
  child.stderr?.on("data", (chunk) => {
    errors += String(chunk);
  });
  const [code] = (await once(child, "exit")) as [number];
  return { code, lines: errors.trim().split("\n") };
}

beforeAll(async () => {
  // Port 0 is not offered: pick a free high port from the pid, as a user would pick PORT.
  port = String(20_000 + (process.pid % 20_000));
  const started = await start();
  server = started.child;
  printed = started.output;
  const token = /^TOKEN=(\S+)$/m.exec(started.output)?.[1] ?? "";
  // The three-step story; the identity provider's story follows it, as a block of its own.
  const story = started.output.slice(0, started.output.indexOf("Or the identity provider"));
  backchannelStory =
    /^Or the identity provider.*\n((?:.+\n)+)/m.exec(started.output)?.[1]?.trim() ?? "";
  curlLines = (story.match(/^curl .*$/gm) ?? []).map((line) => line.replace("$TOKEN", token));
  curlLine = curlLines.find((line) => line.includes("-X POST")) ?? "";
}, 60_000);

afterAll(async () => {
  await stop(server);
  rmSync(localDir, { recursive: true, force: true });
});

function requestFromCurl(line: string): { url: string; authorization: string; method: string } {
  const url = /(http:\/\/127\.0\.0\.1:\d+\S+)/.exec(line)?.[1] ?? "";
  const authorization = /-H "Authorization: ([^"]+)"/.exec(line)?.[1] ?? "";
  return { url, authorization, method: line.includes("-X POST") ? "POST" : "GET" };
}

describe("npm start", () => {
  it("prints the three-step story, which answers 200, 200, then 403 over HTTP", async () => {
    expect(curlLines).toHaveLength(3);
    const statuses: number[] = [];
    const bodies: string[] = [];
    for (const line of curlLines) {
      const { url, authorization, method } = requestFromCurl(line);
      const response = await fetch(url, { method, headers: { authorization } });
      const body = await response.text();
      statuses.push(response.status);
      bodies.push(body);
      // Every answer, the authorizer's route's included, is the one api/openapi.yaml documents.
      const path = new URL(url).pathname.replace(/^\/core/, "");
      const observed = {
        statusCode: response.status,
        headers: Object.fromEntries(response.headers),
        body,
      };
      expect(contractViolations(method, path, observed)).toEqual([]);
    }
    expect(statuses).toEqual([200, 200, 403]);
    expect(JSON.parse(bodies[0] as string).authorizer.lambda).toMatchObject({ sub: "user-0001" });
    expect(bodies[2]).toBe('{"message":"Forbidden"}');
    // API Gateway's body says nothing of why: the screen does.
    expect(printed).toContain(
      "403 GET /core/v1/example/protected: the authorizer denied it: Token has been revoked",
    );
    // And the event the bus would get, in the published schema, naming the user, not the token.
    for (let wait = 0; wait < 40 && !printed.includes("session-revoked (local):\n{"); wait++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const [, detail] =
      /^Event rinne\.auth session-revoked \(local\):\n(\{[\s\S]*?\n\})$/m.exec(printed) ?? [];
    const event = JSON.parse(detail ?? "{}");
    expect(validSessionRevoked(event)).toBe(true);
    expect(event.sub_id.user.sub).toBe("user-0001");
    expect(printed).toContain("Each revocation's event (CAEP session-revoked) is printed here");
  });

  it("prints the identity provider's story, which a shell runs as printed: its sign-out ends the token", async () => {
    const lines = backchannelStory.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain("/core/v1/auth/backchannel-logout");
    // As a user pastes it: in a shell, from the repository, on this run's own folder.
    const { stdout } = await promisify(execFile)("bash", ["-c", `set -e\n${backchannelStory}`], {
      env: environment(),
    });
    const statuses = [...stdout.matchAll(/^HTTP\/1\.1 (\d+)/gm)].map(([, status]) =>
      Number(status),
    );
    expect(statuses).toEqual([200, 403]);
    for (let wait = 0; wait < 40 && !printed.includes("session-revoked (provider)"); wait++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(printed).toContain("session-revoked (provider)");
  }, 60_000);

  it("keeps the revocation across a restart, and forgets it with --fresh", async () => {
    const { url, authorization } = requestFromCurl(curlLines[0] as string);
    await stop(server);
    server = (await start()).child;
    expect((await fetch(url, { headers: { authorization } })).status).toBe(403);
    await stop(server);
    server = (await start(["--fresh"])).child;
    expect((await fetch(url, { headers: { authorization } })).status).toBe(200);
  }, 60_000);

  it.each([
    [
      { PORT: "abc" },
      'PORT must be a whole number from 1 to 65535, not "abc": PORT=3001 npm start',
    ],
    [
      { COGNITO_USER_POOL_ID: "not-a-pool" },
      "Invalid configuration: COGNITO_USER_POOL_ID must look like <region>_<id>",
    ],
    [
      {
        JWT_ISSUER: "https://issuer.example",
        JWT_AUDIENCE: "*",
        COGNITO_USER_POOL_ID: "us-east-1_a",
      },
      "Invalid configuration: JWT_ISSUER cannot be set together with COGNITO_USER_POOL_ID",
    ],
  ])(
    "refuses %j in one line that says how to fix it",
    async (extra, line) => {
      const { code, lines } = await refusedRun([], extra);
      expect(code).toBe(2);
      expect(lines).toEqual([line]);
    },
    30_000,
  );

  it("says in one line that another npm start holds the kept table", async () => {
    const { code, lines } = await refusedRun([], { RINNE_LOCAL_DIR: localDir, PORT: "1" });
    expect(code).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /cannot be opened .*: is another npm start running\? Stop it first\.$/,
    );
  }, 30_000);

  it("verifies a real issuer's tokens with its own keys, against the local table, when told its issuer", async () => {
    const issuer = await createLocalIdentity({ issuer: "https://auth.partner.test" });
    const jwks = await startJwksServer();
    jwks.answer(200, JSON.stringify(issuer.jwks));
    const certificate = join(localDir, "jwks-ca.pem");
    writeFileSync(certificate, jwks.certificate);
    const own = {
      JWT_ISSUER: issuer.issuer,
      JWT_AUDIENCE: issuer.audience,
      JWKS_URI: jwks.uri,
      NODE_EXTRA_CA_CERTS: certificate,
      RINNE_LOCAL_DIR: mkdtempSync(join(tmpdir(), "rinne-local-")),
      PORT: String(Number(port) + 1),
    };
    const { child, output } = await start([], own);
    try {
      expect(output).toContain(`Verifying tokens of ${issuer.issuer} with its own keys`);
      const route = `http://127.0.0.1:${own.PORT}/core/v1/example/protected`;
      const authorization = `Bearer ${await issuer.mint("valid")}`;
      expect((await fetch(route, { headers: { authorization } })).status).toBe(200);
      const logout = `http://127.0.0.1:${own.PORT}/core/v1/auth/logout`;
      expect((await fetch(logout, { method: "POST", headers: { authorization } })).status).toBe(
        200,
      );
      expect((await fetch(route, { headers: { authorization } })).status).toBe(403);
      // The local identity's tokens are another issuer's here.
      const { authorization: localToken } = requestFromCurl(curlLines[0] as string);
      expect((await fetch(route, { headers: { authorization: localToken } })).status).toBe(403);
      expect(jwks.fetches()).toBeGreaterThan(0);
    } finally {
      await stop(child);
      await jwks.close();
    }
  }, 60_000);

  it("refuses an option it does not take, with its usage", async () => {
    const { code, lines } = await refusedRun(["--frsh"], {});
    expect(code).toBe(2);
    expect(lines[1]).toBe("usage: npm start [-- --fresh]   (PORT=3001 npm start to move it)");
  }, 30_000);

  it("answers the protected route as API Gateway does without a token", async () => {
    const { url } = requestFromCurl(curlLines[0] as string);
    const response = await fetch(url);
    const body = await response.text();
    expect(response.status).toBe(401);
    expect(body).toBe('{"message":"Unauthorized"}');
    const observed = { statusCode: 401, headers: Object.fromEntries(response.headers), body };
    expect(contractViolations("GET", "/v1/example/protected", observed)).toEqual([]);
  });

  it("says in one line that the port is busy, and how to pick another", async () => {
    const { code, lines } = await refusedRun([], {});
    expect(code).toBe(2);
    expect(lines).toEqual([
      `Port ${port} is in use: start on another with PORT=${Number(port) + 1} npm start`,
    ]);
  });

  it("serves POST /core/v1/auth/logout on loopback, for tokens that npm run token mints", async () => {
    const { url } = requestFromCurl(curlLine);
    const token = execFileSync("node_modules/.bin/tsx", ["scripts/token.ts", "--sub", "bob"], {
      encoding: "utf8",
      env: environment(),
    }).trim();
    const authorization = `Bearer ${token}`;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/core\/v1\/auth\/logout$/);

    const response = await fetch(url, { method: "POST", headers: { authorization } });

    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.text()).toBe('{"success":true,"message":"Logged out successfully"}');

    // The embedded DynamoDB recorded it: the same token again is refused.
    const again = await fetch(url, { method: "POST", headers: { authorization } });
    expect(again.status).toBe(401);
    const body = (await again.json()) as { error: { details: { reason: string } } };
    expect(body.error.details.reason).toBe("Token has been revoked");
  });

  it("shares its table with npm run invoke: a token invoke logged out is refused here", async () => {
    const { url } = requestFromCurl(curlLines[0] as string);
    const run = (script: string, args: string[]) =>
      execFileSync("node_modules/.bin/tsx", [`scripts/${script}.ts`, ...args], {
        encoding: "utf8",
        env: environment(),
        stdio: ["ignore", "pipe", "pipe"],
      });
    const token = run("token", ["--sub", "carol"]).trim();
    const authorization = `Bearer ${token}`;
    expect((await fetch(url, { headers: { authorization } })).status).toBe(200);
    const invoked = spawnSync(
      "node_modules/.bin/tsx",
      ["scripts/invoke.ts", "events/http-api-v2/valid.json", "--token", token],
      { encoding: "utf8", env: environment() },
    );
    expect(invoked.status).toBe(0);
    expect(invoked.stderr).toMatch(/^Revocations: .* through the running npm start \(http:/m);
    expect(JSON.parse(invoked.stdout).statusCode).toBe(200);
    expect((await fetch(url, { headers: { authorization } })).status).toBe(403);
  });

  it("answers a request without a token with the 401 envelope", async () => {
    const { url } = requestFromCurl(curlLine);
    const response = await fetch(url, { method: "POST" });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    const body = (await response.json()) as {
      error: { details: { reason: string }; path: string };
    };
    expect(body.error.details.reason).toBe("Missing Authorization header");
    expect(body.error.path).toBe("/v1/auth/logout");
  });

  it("does not serve other routes", async () => {
    const { url } = requestFromCurl(curlLine);
    expect((await fetch(url.replace("/logout", "/login"), { method: "POST" })).status).toBe(404);
  });
});

describe("the deploy workflow's smoke test, run against npm start as against a stage", () => {
  const ARN = "arn:aws:lambda:sa-east-1:111111111111:function:authorizer";
  async function smoke(
    endpoint: string,
    parameter: Answer,
  ): Promise<{ code: number; out: string }> {
    const aws = await startAwsJsonStandIn();
    aws.answer("GetParameter", parameter);
    const outputs = join(mkdtempSync(join(tmpdir(), "smoke-")), "outputs.json");
    writeFileSync(
      outputs,
      JSON.stringify({
        "RinneAuthLogout-sandbox": { LogoutEndpoint: endpoint, AuthorizerFunctionArn: ARN },
      }),
    );
    const child = spawn("node_modules/.bin/tsx", ["scripts/smoke-test.ts", outputs, "sandbox"], {
      env: {
        ...process.env,
        AWS_ENDPOINT_URL_SSM: aws.endpoint,
        AWS_REGION: "sa-east-1",
        AWS_ACCESS_KEY_ID: "AKIDLOCAL",
        AWS_SECRET_ACCESS_KEY: "local",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout?.on("data", (chunk) => {
      out += chunk;
    });
    const [code] = (await once(child, "exit")) as [number];
    await aws.stop();
    return { code, out };
  }
  const published = { status: 200, body: { Parameter: { Name: "p", Value: ARN } } };

  it("passes against the logout, and prints the outputs and the checks for the job summary", async () => {
    const { url } = requestFromCurl(curlLine);
    const { code, out } = await smoke(url, published);
    expect(code).toBe(0);
    expect(out).toContain(`| AuthorizerFunctionArn | \`${ARN}\` |`);
    expect(out).not.toContain("FAILED");
  });

  it("fails where the authorizer is not published, or the endpoint is not the logout", async () => {
    const { url } = requestFromCurl(curlLine);
    const missing = { status: 400, body: { __type: "ParameterNotFound", message: "no" } };
    expect((await smoke(url, missing)).code).toBe(1);
    expect((await smoke(url.replace("/logout", "/login"), published)).code).toBe(1);
  });
});
