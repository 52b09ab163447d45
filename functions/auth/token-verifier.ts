/**
 * Verifies a JWT with aws-jwt-verify, on the keys of `signing-keys.ts`, then the checks of
 * `token-checks.ts`; every failure leaves in the domain's terms (`verification-errors.ts`).
 */
import { CognitoJwtVerifier, JwtVerifier } from "aws-jwt-verify";
import type { Jwk } from "aws-jwt-verify/jwk";
import type { JwtHeader, JwtPayload } from "aws-jwt-verify/jwt-model";
import type { VerifierConfig } from "../config/config.js";
import { WAIT_BUDGETS } from "../config/wait-budgets.js";
import { type Clock, systemClock } from "../domain/clock.js";
import { ConfigurationError } from "../domain/errors.js";
import type { VerifyToken } from "../domain/ports.js";
import { CLOCK_LEEWAY_SECONDS, VerifiedToken } from "../domain/verified-token.js";

import { assertUsableKey, jwksCache } from "./signing-keys.js";
import { assertCanonicalEncoding, assertRevocable } from "./token-checks.js";
import { classifyVerificationError } from "./verification-errors.js";

/** What a verifier of another kind of token from the same issuer changes: its `aud`, its checks. */
export interface JwtOverrides {
  audience: string[];
  customJwtCheck: (jwt: { header: JwtHeader; payload: JwtPayload }) => void;
}

/** The stage issuer's verifier, on its keys: for access tokens, or with `overrides`. */
export function createVerifier(
  config: VerifierConfig,
  jwksFetchMs: number,
  overrides?: JwtOverrides,
) {
  const cache = { jwksCache: jwksCache(config, jwksFetchMs) };
  const verifier =
    config.kind === "cognito"
      ? CognitoJwtVerifier.create(
          {
            userPoolId: config.userPoolId,
            clientId: config.clientId,
            tokenUse: config.tokenUse,
            graceSeconds: CLOCK_LEEWAY_SECONDS,
          },
          cache,
        )
      : JwtVerifier.create(
          {
            issuer: config.issuer,
            audience: config.audience,
            jwksUri: config.jwksUri,
            graceSeconds: CLOCK_LEEWAY_SECONDS,
            ...overrides,
          },
          cache,
        );
  if (config.jwks) {
    try {
      for (const key of config.jwks.keys) assertUsableKey(key as Jwk);
      verifier.cacheJwks(config.jwks as never);
    } catch (error) {
      const problem = (error as Error).cause ?? error;
      throw new ConfigurationError("JWKS", `is not a valid JWKS: ${(problem as Error).message}`);
    }
  }
  return verifier;
}

export interface TokenVerifierOptions {
  /** For this module's own checks; the library reads `exp` and `nbf` on the system's. */
  clock?: Pick<Clock, "now">;
  /** One try at the JWKS (the library tries twice). */
  jwksFetchMs?: number;
  /**
   * Fetch the issuer's keys now, at cold start, where they are fetched (not pinned): the first
   * request then waits for what is left of it, beside its other steps. Only the cache is
   * filled; every token is still verified. A failed fetch is forgotten: the request fetches.
   */
  prefetchKeys?: boolean;
}

export function createTokenVerifier(
  config: VerifierConfig,
  {
    clock = systemClock,
    jwksFetchMs = WAIT_BUDGETS.jwksFetchMs,
    prefetchKeys = false,
  }: TokenVerifierOptions = {},
): VerifyToken {
  const verifier = createVerifier(config, jwksFetchMs);
  if (prefetchKeys && config.jwks === undefined) verifier.hydrate().catch(() => undefined);
  return async (token) => {
    const claims = await verifyCanonical(verifier, token);
    return new VerifiedToken(token, assertRevocable(claims, config, clock.now()));
  };
}

/**
 * One token, in its one canonical encoding, through the library: its claims, or its faults in
 * the domain's terms. Every verifier of the issuer's tokens (access, logout) goes through it.
 */
export async function verifyCanonical(
  verifier: ReturnType<typeof createVerifier>,
  token: string,
): Promise<JwtPayload> {
  assertCanonicalEncoding(token);
  try {
    return await verifier.verify(token);
  } catch (error) {
    throw classifyVerificationError(error);
  }
}
