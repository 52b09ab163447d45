/**
 * The issuer's signing keys as the verifier may use them: a JWKS cache that checks each key it
 * hands out once for use (a key no token could be verified with is the issuer's fault, a 503),
 * a JWKS with no key refused as broken, and pinned inline keys that never wait for a refetch.
 */
import { createPublicKey } from "node:crypto";
import { JwksValidationError } from "aws-jwt-verify/error";
import { SimpleFetcher } from "aws-jwt-verify/https";
import {
  type Jwk,
  type JwksCache,
  type PenaltyBox,
  SimpleJwksCache,
  SimplePenaltyBox,
} from "aws-jwt-verify/jwk";
import type { VerifierConfig } from "../config/config.js";
import { SigningKeysUnavailableError } from "../domain/errors.js";

/**
 * How long an unknown `kid` waits for the next JWKS fetch (the library's penalty box): the
 * JWKS endpoint is not fetched on every forged key id, and a key just rotated in is known after.
 */
export const JWKS_REFETCH_WAIT_SECONDS = 10;

const BASE64URL_TEXT = /^[A-Za-z0-9_-]+$/;
/** The key material of each key type (RFC 7518 §6): base64url text, all of it. */
const KEY_MATERIAL: Readonly<Record<string, readonly string[]>> = {
  RSA: ["n", "e"],
  EC: ["x", "y"],
  OKP: ["x"],
};

/**
 * Refuses a key that no token could ever be verified with: a type no JWS signature uses
 * (`oct`), key material that is not base64url (Node would decode it leniently into another key,
 * and every valid token would fail as badly signed), a key Node cannot import. That is the
 * issuer's fault, not the token's: 503, and an alarm at the authorizer.
 */
export function assertUsableKey(jwk: Jwk): void {
  const material = KEY_MATERIAL[String(jwk.kty)];
  const readable =
    material?.every((name) => typeof jwk[name] === "string" && BASE64URL_TEXT.test(jwk[name])) ??
    false;
  try {
    if (readable) createPublicKey({ key: jwk as never, format: "jwk" });
  } catch (error) {
    throw new SigningKeysUnavailableError("Signing key unusable", { cause: error });
  }
  if (!readable) throw new SigningKeysUnavailableError("Signing key unusable");
}

/** The library's cache, which checks each key it hands out once (by identity) for use. */
class UsableKeysJwksCache extends SimpleJwksCache {
  readonly #usable = new WeakSet<Jwk>();

  override async getJwk(...args: Parameters<JwksCache["getJwk"]>): ReturnType<JwksCache["getJwk"]> {
    const jwk = await super.getJwk(...args);
    if (!this.#usable.has(jwk)) {
      assertUsableKey(jwk);
      this.#usable.add(jwk);
    }
    return jwk;
  }
}

/** Pinned keys never change: an unknown kid is unknown for good, and is refused at once. */
const NEVER_WAIT: PenaltyBox = {
  wait: async () => {},
  registerFailedAttempt: () => {},
  registerSuccessfulAttempt: () => {},
};

export function jwksCache(config: VerifierConfig, jwksFetchMs: number): SimpleJwksCache {
  if (config.jwksPinned && config.jwks) {
    // Pinned keys: a token with another kid is refused (401) without any network call.
    const pinned = new TextEncoder().encode(JSON.stringify(config.jwks)).buffer as ArrayBuffer;
    return new UsableKeysJwksCache({
      fetcher: { fetch: async () => pinned },
      penaltyBox: NEVER_WAIT,
    });
  }
  // A socket idle for the whole try is as good as a try that ran out.
  const fetcher = new SimpleFetcher({
    defaultRequestOptions: { timeout: jwksFetchMs, responseTimeout: jwksFetchMs },
  });
  return new UsableKeysJwksCache({
    fetcher: {
      async fetch(uri) {
        const body = await fetcher.fetch(uri);
        assertJwksHasKeys(body);
        return body;
      },
    },
    penaltyBox: new SimplePenaltyBox({ waitSeconds: JWKS_REFETCH_WAIT_SECONDS }),
  });
}

/**
 * The library accepts a JWKS without keys, and then calls every token's key unknown (401).
 * A JWKS endpoint that publishes no key is broken, not the tokens: make it the library's own
 * validation error, which is a 503. Runs once per fetch, not per token.
 */
function assertJwksHasKeys(body: ArrayBuffer): void {
  let keys: unknown;
  try {
    keys = (JSON.parse(new TextDecoder().decode(body)) as { keys?: unknown } | null)?.keys;
  } catch {
    return; // not JSON: the library says so in its own words
  }
  if (Array.isArray(keys) && keys.length === 0) throw new JwksValidationError("JWKS has no keys");
}
