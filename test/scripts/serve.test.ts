import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let server: ChildProcess;
let curlLine = "";

beforeAll(async () => {
  // Port 0 is not offered: pick a free high port from the pid, as a user would pick PORT.
  const port = String(20_000 + (process.pid % 20_000));
  server = spawn("npx", ["tsx", "scripts/serve.ts"], {
    env: { ...process.env, PORT: port, LOG_LEVEL: "ERROR" },
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  let printed = "";
  server.stdout?.setEncoding("utf8");
  while (!/^curl .*$/m.test(printed)) {
    const [chunk] = (await once(server.stdout as NodeJS.ReadableStream, "data")) as [string];
    printed += chunk;
  }
  curlLine = /^curl .*$/m.exec(printed)?.[0] ?? "";
}, 60_000);

afterAll(() => {
  if (server.pid) process.kill(-server.pid, "SIGTERM");
});

function requestFromCurl(line: string): { url: string; authorization: string } {
  const url = /(http:\/\/127\.0\.0\.1:\d+\S+)/.exec(line)?.[1] ?? "";
  const authorization = /-H 'Authorization: ([^']+)'/.exec(line)?.[1] ?? "";
  return { url, authorization };
}

describe("npm start", () => {
  it("serves POST /core/v1/auth/logout on loopback and its printed curl line logs out", async () => {
    const { url, authorization } = requestFromCurl(curlLine);
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
