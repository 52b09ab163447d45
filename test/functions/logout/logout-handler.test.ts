import net from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { captureOutput } from "../../support/captured-output.js";
import type { TokenKind } from "../../support/kit.js";
import {
  bodyOf,
  createLogoutApp,
  eventFor,
  type LogoutApp,
  type PayloadVersion,
} from "../../support/logout-app.js";

const SUCCESS_BODY = '{"success":true,"message":"Logged out successfully"}';
const VERSIONS: PayloadVersion[] = ["v2", "v1"];

const output = captureOutput();
let app: LogoutApp;

beforeAll(async () => {
  app = await createLogoutApp();
});

describe.each(VERSIONS)("POST /v1/auth/logout with payload %s", (version) => {
  it("logs out a valid bearer token with the contract's exact body and headers", async () => {
    // Prepare
    const token = await app.identity.mint("valid");

    // Act
    const response = await app.invoke(eventFor(version, { authorization: [`Bearer ${token}`] }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(SUCCESS_BODY);
    expect(response.headers).toEqual({
      "Content-Type": "application/json",
      "Cache-Control": "no-store",
    });
  });

  it.each(["bearer", "BEARER", "BeArEr"])("accepts the scheme written %s", async (scheme) => {
    const token = await app.identity.mint("valid");
    const response = await app.invoke(eventFor(version, { authorization: [`${scheme} ${token}`] }));
    expect(response.statusCode).toBe(200);
  });

  it("reads the header whatever the case of its name", async () => {
    const token = await app.identity.mint("valid");
    const response = await app.invoke(
      eventFor(version, { authorization: [`Bearer ${token}`], headerName: "AUTHORIZATION" }),
    );
    expect(response.statusCode).toBe(200);
  });

  it("ignores a request body", async () => {
    const token = await app.identity.mint("valid");
    const response = await app.invoke(
      eventFor(version, { authorization: [`Bearer ${token}`], body: '{"anything": [1, 2]}' }),
    );
    expect(response.body).toBe(SUCCESS_BODY);
  });

  const tokenFaults: [TokenKind, string][] = [
    ["expired", "Token expired"],
    ["not-yet-valid", "Token not yet valid"],
    ["wrong-issuer", "Invalid token issuer"],
    ["wrong-audience", "Invalid token audience"],
    ["bad-signature", "Invalid token signature"],
    // aws-jwt-verify refuses an unsigned token (empty signature part) while parsing it.
    ["alg-none", "Malformed token"],
    ["hmac-with-public-key", "Unsupported token algorithm"],
    ["unknown-kid", "Unknown signing key"],
    ["no-expiry", "Token has no expiry"],
  ];

  it.each(tokenFaults)("refuses a token that is %s with reason %j", async (kind, reason) => {
    // Prepare
    const token = await app.identity.mint(kind);
    const event = eventFor(version, { authorization: [`Bearer ${token}`] });

    // Act
    const response = await app.invoke(event);

    // Assess
    expect(response.statusCode).toBe(401);
    expect(response.headers).toEqual({
      "Content-Type": "application/json",
      "Cache-Control": "no-store",
      "WWW-Authenticate": 'Bearer error="invalid_token"',
    });
    const { error } = bodyOf(response);
    expect(error).toEqual({
      code: "AUTHENTICATION_ERROR",
      message: "Authentication required to access this resource",
      status: 401,
      details: { reason },
      path: "/v1/auth/logout",
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      requestId: event.requestContext.requestId,
    });
    expect(Math.abs(Date.parse(error.timestamp as string) - Date.now())).toBeLessThan(5_000);
    expect(response.body).not.toContain(token);
    expect(response.body).not.toContain(token.split(".")[2] || "\u0000");
  });

  const headerFaults: [string, string[], string, string][] = [
    ["no Authorization header", [], "Missing Authorization header", "Bearer"],
    ["an empty Authorization header", [""], "Missing Authorization header", "Bearer"],
    ["another scheme", ["Basic dXNlcjpwYXNz"], "Unsupported authorization scheme", "Bearer"],
    [
      "a scheme glued to the token",
      ["Bearerabc.def.ghi"],
      "Unsupported authorization scheme",
      "Bearer",
    ],
    ["an empty bearer token", ["Bearer "], "Missing bearer token", "Bearer"],
    ["the bare scheme", ["Bearer"], "Missing bearer token", "Bearer"],
    [
      "two tokens in one value",
      ["Bearer a.b.c d.e.f"],
      "Malformed token",
      'Bearer error="invalid_token"',
    ],
    [
      "a token that is not a JWT",
      ["Bearer not.a.jwt"],
      "Malformed token",
      'Bearer error="invalid_token"',
    ],
    ["a token of one part", ["Bearer abcdef"], "Malformed token", 'Bearer error="invalid_token"'],
  ];

  it.each(headerFaults)("refuses %s", async (_name, authorization, reason, challenge) => {
    const response = await app.invoke(eventFor(version, { authorization }));
    expect(response.statusCode).toBe(401);
    expect(response.headers["WWW-Authenticate"]).toBe(challenge);
    expect(bodyOf(response).error.details.reason).toBe(reason);
    expect(bodyOf(response).error.code).toBe("AUTHENTICATION_ERROR");
  });

  it("refuses two Authorization values, even two valid tokens", async () => {
    const [first, second] = [await app.identity.mint(), await app.identity.mint()];
    const response = await app.invoke(
      eventFor(version, { authorization: [`Bearer ${first}`, `Bearer ${second}`] }),
    );
    expect(response.statusCode).toBe(401);
    expect(bodyOf(response).error.details.reason).toBe("Multiple Authorization values");
  });

  it("answers an unknown scope with 400 VALIDATION_ERROR in the same envelope", async () => {
    const token = await app.identity.mint();
    const response = await app.invoke(
      eventFor(version, { authorization: [`Bearer ${token}`], query: "scope=everything" }),
    );
    expect(response.statusCode).toBe(400);
    const { error } = bodyOf(response);
    expect(error.code).toBe("VALIDATION_ERROR");
    expect(error.status).toBe(400);
    expect(error.details.reason).toBe(
      'Query parameter "scope" must be one of: local, global, others',
    );
  });
});

describe("logging", () => {
  it("writes one structured line per request with outcome, sub and correlation id", async () => {
    const token = await app.identity.mint("valid", { sub: "user-log-1" });
    const event = eventFor("v2", { authorization: [`Bearer ${token}`] });

    await app.invoke(event);

    const lines = output.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "INFO",
      status: 200,
      outcome: "logged_out",
      sub: "user-log-1",
      correlation_id: event.requestContext.requestId,
    });
  });

  it("never writes a token, or its signature, to the log, whatever the outcome", async () => {
    const kinds: TokenKind[] = ["valid", "expired", "bad-signature", "wrong-issuer", "alg-none"];
    const tokens = await Promise.all(kinds.map((kind) => app.identity.mint(kind)));
    const garbage = "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNlY3JldA";
    for (const token of [...tokens, garbage]) {
      await app.invoke(eventFor("v1", { authorization: [`Bearer ${token}`] }));
    }

    const logged = output.text();
    expect(output.lines()).toHaveLength(tokens.length + 1);
    for (const token of [...tokens, garbage]) {
      const signature = token.split(".")[2];
      expect(logged).not.toContain(token);
      if (signature) expect(logged).not.toContain(signature);
    }
  });
});

describe("when the signing keys cannot be fetched", () => {
  async function unreachableJwksUri(behaviour: "refuse" | "hang"): Promise<{
    uri: string;
    close(): Promise<void>;
  }> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      if (behaviour === "refuse") socket.destroy();
      // "hang": accept and never answer; the verifier's own timeout must end the wait.
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    return {
      uri: `https://127.0.0.1:${port}/.well-known/jwks.json`,
      close: () =>
        new Promise((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    };
  }

  it.each(["refuse", "hang"] as const)(
    "answers 503 SERVICE_UNAVAILABLE, never 401, when the JWKS endpoint does %s",
    async (behaviour) => {
      // Prepare: no inline JWKS, so the verifier must fetch from an endpoint that fails.
      const jwks = await unreachableJwksUri(behaviour);
      try {
        const app = await createLogoutApp({
          environment: { JWKS: "", JWKS_URI: jwks.uri },
          jwksFetchMs: 300,
        });
        const token = await app.identity.mint("valid");

        // Act
        const response = await app.invoke(eventFor("v2", { authorization: [`Bearer ${token}`] }));

        // Assess
        expect(response.statusCode).toBe(503);
        expect(response.headers["Retry-After"]).toBe("1");
        const { error } = bodyOf(response);
        expect(error.code).toBe("SERVICE_UNAVAILABLE");
        expect(error.status).toBe(503);
        expect(error.details.reason).toBe("Signing keys unavailable");
        expect(response.body).not.toMatch(/at .*\.(js|ts):\d+/);
        expect(output.lines()[0]).toMatchObject({ level: "ERROR", status: 503 });
      } finally {
        await jwks.close();
      }
    },
  );
});
