import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { loadSampleEvent } from "../../scripts/sample-events.js";
import { captureOutput } from "../support/captured-output.js";
import { createLogoutApp, type LogoutApp } from "../support/logout-app.js";

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
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))("%s answers %j", async (file, [status, reason]) => {
    const event = await loadSampleEvent(join("events", file), app.identity);
    const response = await app.invoke(event);
    expect(response.statusCode).toBe(status);
    if (reason) expect(JSON.parse(response.body).error.details.reason).toBe(reason);
    expect(JSON.parse(response.body).error?.requestId ?? event.requestContext.requestId).toBe(
      event.requestContext.requestId,
    );
  });
});

describe("npm run invoke", () => {
  it("runs the real handler on a sample event and prints the response", async () => {
    const { stdout } = await promisify(execFile)(
      "npx",
      ["tsx", "scripts/invoke.ts", "events/rest-api-v1/valid.json"],
      { env: { ...process.env, LOG_LEVEL: "ERROR" } },
    );
    const printed = JSON.parse(stdout.slice(stdout.indexOf("{\n")));
    expect(printed.statusCode).toBe(200);
    expect(printed.body).toEqual({ success: true, message: "Logged out successfully" });
  });
});
