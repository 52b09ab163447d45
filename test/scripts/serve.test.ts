import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Answer, startAwsJsonStandIn } from "../support/aws-json-stand-in.js";
import { contractViolations } from "../support/openapi-contract.js";

let server: ChildProcess;
let curlLine = "";
let curlLines: string[] = [];
let port = "";

beforeAll(async () => {
  // Port 0 is not offered: pick a free high port from the pid, as a user would pick PORT.
  port = String(20_000 + (process.pid % 20_000));
  server = spawn("npx", ["tsx", "scripts/serve.ts"], {
    env: { ...process.env, PORT: port, LOG_LEVEL: "ERROR" },
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  let printed = "";
  server.stdout?.setEncoding("utf8");
  while (!/^More tokens/m.test(printed)) {
    const [chunk] = (await once(server.stdout as NodeJS.ReadableStream, "data")) as [string];
    printed += chunk;
  }
  curlLines = printed.match(/^curl .*$/gm) ?? [];
  curlLine = curlLines.find((line) => line.includes("-X POST")) ?? "";
}, 60_000);

afterAll(() => {
  if (server.pid) process.kill(-server.pid, "SIGTERM");
});

function requestFromCurl(line: string): { url: string; authorization: string; method: string } {
  const url = /(http:\/\/127\.0\.0\.1:\d+\S+)/.exec(line)?.[1] ?? "";
  const authorization = /-H 'Authorization: ([^']+)'/.exec(line)?.[1] ?? "";
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
  });

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
    const second = spawn("node_modules/.bin/tsx", ["scripts/serve.ts"], {
      env: { ...process.env, PORT: port },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let errors = "";
    second.stderr?.on("data", (chunk) => {
      errors += String(chunk);
    });
    const [code] = (await once(second, "exit")) as [number];
    expect(code).toBe(1);
    expect(errors.trim().split("\n")).toEqual([
      `Port ${port} is in use: start on another with PORT=${Number(port) + 1} npm start`,
    ]);
  });

  it("serves POST /core/v1/auth/logout on loopback, for tokens that npm run token mints", async () => {
    const { url } = requestFromCurl(curlLine);
    const token = execFileSync("node_modules/.bin/tsx", ["scripts/token.ts", "--sub", "bob"], {
      encoding: "utf8",
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
    const child = spawn("npx", ["tsx", "scripts/smoke-test.ts", outputs, "sandbox"], {
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
