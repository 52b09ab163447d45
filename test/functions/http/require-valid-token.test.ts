/**
 * `requireValidToken` alone, with no `apiContract` in front of it: it reads the header from the
 * event itself, and fails with the domain's classes, for the caller's own error handling.
 */
import middy from "@middy/core";
import { describe, expect, it } from "vitest";
import { createTokenVerifier } from "../../../functions/auth/token-verifier.js";
import { loadConfig } from "../../../functions/config/config.js";
import {
  CredentialsMissingError,
  InvalidTokenError,
  TokenRevokedError,
} from "../../../functions/domain/errors.js";
import {
  type AuthenticatedContext,
  requireValidToken,
} from "../../../functions/http/require-valid-token.js";
import { createLocalIdentity, lambdaContext } from "../../support/kit.js";
import { eventFor } from "../../support/logout-app.js";

const identity = await createLocalIdentity();
const verify = createTokenVerifier(loadConfig(identity.environment).verifier);
const revoked = new Set<string>();
const handler = middy()
  .use(
    requireValidToken({
      verify,
      revocations: {
        assertNotRevoked: async (token) => {
          if (revoked.has(token.claims.jti as string)) throw new TokenRevokedError();
        },
      },
    }),
  )
  .handler(async (_event: unknown, context: AuthenticatedContext) => context.token.claims.sub);
const call = (authorization: string[], version: "v1" | "v2" = "v2") =>
  handler(eventFor(version, { authorization }) as never, lambdaContext() as never);

describe("requireValidToken without apiContract", () => {
  it.each(["v1", "v2"] as const)("lets a valid token through, read from a %s event", async (v) => {
    expect(await call([`Bearer ${await identity.mint("valid", { sub: "alone" })}`], v)).toBe(
      "alone",
    );
  });

  it("refuses with the domain's classes: no token, a bad one, a revoked one", async () => {
    await expect(call([])).rejects.toBeInstanceOf(CredentialsMissingError);
    await expect(call([`Bearer ${await identity.mint("expired")}`])).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
    const token = await identity.mint("valid", { jti: "revoked-alone" });
    revoked.add("revoked-alone");
    await expect(call([`Bearer ${token}`])).rejects.toBeInstanceOf(TokenRevokedError);
  });
});

describe("httpHandler, the one chain", () => {
  it("sets no early-timeout timer: a handler may use the last milliseconds Lambda gives it", async () => {
    const { httpHandler } = await import("../../../functions/http/http-handler.js");
    const { createLogger } = await import("../../../functions/config/logger.js");
    const slow = httpHandler({ logger: createLogger(), apiBasePath: "/core" }).handler(async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return { statusCode: 200, headers: {}, body: "{}" };
    });
    // Lambda says 6 ms remain (its own timeout, not Middy's, ends the invocation).
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => 6 };
    const response = await slow(eventFor("v2", {}) as never, context as never);
    expect(response.statusCode).toBe(200);
  });
});
