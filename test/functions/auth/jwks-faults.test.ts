/**
 * A JWKS endpoint that answers nonsense is an outage, not a bad token: every valid user gets a
 * 503 with Retry-After, never a 401, and the keys are fetched again once the endpoint recovers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureOutput } from "../../support/captured-output.js";
import { type JwksServer, startJwksServer } from "../../support/jwks-server.js";
import { createLogoutApp, eventFor, type LogoutApp } from "../../support/logout-app.js";

captureOutput();
let jwks: JwksServer;

beforeAll(async () => {
  jwks = await startJwksServer();
});
afterAll(async () => {
  await jwks.close();
});

const bearer = (token: string) => eventFor("v2", { authorization: [`Bearer ${token}`] });
const errorOf = (response: { body: string }) => JSON.parse(response.body).error;

/** A fresh function (a cold start: nothing cached) whose keys come from the endpoint. */
const coldFunction = (): Promise<LogoutApp> =>
  createLogoutApp({ environment: { JWKS: "", JWKS_URI: jwks.uri } });

describe("a JWKS endpoint that answers 200 with nonsense", () => {
  it.each([
    ["an HTML maintenance page", "<html><body>Down for maintenance</body></html>", "text/html"],
    ["{}", "{}", "application/json"],
    ["an empty keys array", '{"keys":[]}', "application/json"],
    ["no body", undefined, "application/json"],
    ["a key without n", "MISSING_N", "application/json", "Signing key unusable"],
    ["keys that are not an array", '{"keys":{}}', "application/json"],
    ["invalid UTF-8", "\udc00", "application/json"],
  ])(
    "%s: 503 SERVICE_UNAVAILABLE with Retry-After, never 401",
    async (_name, body, type, reason = "Signing keys unavailable") => {
      const app = await coldFunction();
      const { identity } = app;
      const broken =
        body === "MISSING_N"
          ? JSON.stringify({ keys: identity.jwks.keys.map(({ n: _n, ...key }) => key) })
          : body;
      jwks.answer(200, broken, type);

      const response = await app.invoke(bearer(await identity.mint("valid")));

      expect(response.statusCode).toBe(503);
      expect(response.headers["Retry-After"]).toBe("1");
      expect(errorOf(response)).toMatchObject({
        code: "SERVICE_UNAVAILABLE",
        details: { reason },
      });
    },
  );

  it("recovers once the endpoint serves the keys again", async () => {
    const app = await coldFunction();
    jwks.answer(200, "{}");
    expect((await app.invoke(bearer(await app.identity.mint("valid")))).statusCode).toBe(503);

    jwks.answer(200, JSON.stringify(app.identity.jwks));
    expect((await app.invoke(bearer(await app.identity.mint("valid")))).statusCode).toBe(200);
    // A token signed by a key the good JWKS lacks is the token's fault again.
    const stranger = await app.invoke(bearer(await app.identity.mint("unknown-kid")));
    expect(stranger.statusCode).toBe(401);
  });
});
