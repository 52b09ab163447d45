/**
 * A local development identity provider: a key pair generated on this machine (in memory, or
 * kept in a git-ignored file so tokens outlive a restart of `npm start`; never committed, nor
 * trusted by any deployment), its JWKS, and tokens minted from it on demand, good and bad. Used
 * by `npm start`, `npm run invoke`, `npm run token`, the tests and the bench.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  SignJWT,
} from "jose";

export const LOCAL_ISSUER = "https://auth.rinne.local.invalid";
export const LOCAL_AUDIENCE = "rinne-api-local";
export const LOCAL_KID = "local-dev-key";
/** The client the development identity sends back-channel logout tokens for (their `aud`). */
export const LOCAL_BACKCHANNEL_CLIENT = "rinne-web-local";
const BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout";

/** Back-channel logout tokens, good and bad: each bad one breaks one rule of section 2.6. */
export type LogoutTokenKind =
  | "valid"
  /** Valid, typed as issuers before explicit typing type it (Keycloak, Ping): `typ` `JWT`. */
  | "jwt-typ"
  | "wrong-issuer"
  | "wrong-audience"
  | "bad-signature"
  | "expired"
  | "stale"
  | "future"
  | "no-event"
  | "with-nonce"
  | "no-sub-or-sid"
  | "no-jti"
  | "access-token-typ";

export const LOGOUT_TOKEN_KINDS: readonly LogoutTokenKind[] = [
  "valid",
  "jwt-typ",
  "wrong-issuer",
  "wrong-audience",
  "bad-signature",
  "expired",
  "stale",
  "future",
  "no-event",
  "with-nonce",
  "no-sub-or-sid",
  "no-jti",
  "access-token-typ",
];

export type TokenKind =
  | "valid"
  | "expired"
  | "not-yet-valid"
  | "wrong-issuer"
  | "wrong-audience"
  | "bad-signature"
  | "alg-none"
  | "hmac-with-public-key"
  | "unknown-kid"
  | "no-expiry";

export const TOKEN_KINDS: readonly TokenKind[] = [
  "valid",
  "expired",
  "not-yet-valid",
  "wrong-issuer",
  "wrong-audience",
  "bad-signature",
  "alg-none",
  "hmac-with-public-key",
  "unknown-kid",
  "no-expiry",
];

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

export interface LocalIdentity {
  readonly issuer: string;
  readonly audience: string;
  readonly jwks: { keys: JWK[] };
  /** Environment that points the function at this identity, with no network needed. */
  readonly environment: Record<string, string>;
  /** Signs a token; `claims` override the defaults (sub, jti, iat, exp, iss, aud). */
  mint(kind?: TokenKind, claims?: Record<string, unknown>): Promise<string>;
  /**
   * Signs a back-channel logout token (`typ` `logout+jwt`, `aud` the back-channel client);
   * `claims` override the defaults (sub, jti, iat, exp, iss, aud) and add `sid`.
   */
  mintLogout(kind?: LogoutTokenKind, claims?: Record<string, unknown>): Promise<string>;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

export interface LocalIdentityOptions {
  /** Another issuer: tests of revocations shared by several issuers. */
  issuer?: string;
  /** The signing algorithm: RS256, as Cognito signs, or ES256 (whose signatures are malleable). */
  algorithm?: "RS256" | "ES256";
  /** Where to keep the key pair between runs (created on first use); default: in memory only. */
  keyFile?: string;
}

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

async function keyPair(
  algorithm: "RS256" | "ES256",
  keyFile: string | undefined,
): Promise<KeyPair> {
  if (keyFile !== undefined) {
    try {
      const { alg, privateJwk } = JSON.parse(await readFile(keyFile, "utf8"));
      if (alg === algorithm) {
        const { kty, n, e, crv, x, y } = privateJwk as JWK;
        const publicJwk = (kty === "RSA" ? { kty, n, e } : { kty, crv, x, y }) as JWK;
        return {
          privateKey: (await importJWK(privateJwk, alg, {
            extractable: true,
          })) as KeyPair["privateKey"],
          publicKey: (await importJWK(publicJwk, alg, {
            extractable: true,
          })) as KeyPair["publicKey"],
        };
      }
    } catch {
      // None yet, or unreadable: make a new one below.
    }
  }
  const pair = await generateKeyPair(algorithm, { extractable: true });
  if (keyFile !== undefined) {
    await mkdir(dirname(keyFile), { recursive: true });
    const privateJwk = await exportJWK(pair.privateKey);
    await writeFile(keyFile, JSON.stringify({ alg: algorithm, privateJwk }), { mode: 0o600 });
  }
  return pair;
}

export async function createLocalIdentity({
  issuer = LOCAL_ISSUER,
  algorithm = "RS256",
  keyFile,
}: LocalIdentityOptions = {}): Promise<LocalIdentity> {
  const { privateKey, publicKey } = await keyPair(algorithm, keyFile);
  const strangerKey = (await generateKeyPair(algorithm)).privateKey;
  const publicJwk = { ...(await exportJWK(publicKey)), kid: LOCAL_KID, alg: algorithm, use: "sig" };
  const publicPem = await exportSPKI(publicKey);
  const jwks = { keys: [publicJwk] };

  const sign = (payload: JWTPayload, key: PrivateKey, kid = LOCAL_KID, typ = "JWT") =>
    new SignJWT(payload).setProtectedHeader({ alg: algorithm, kid, typ }).sign(key);

  async function mintLogout(
    kind: LogoutTokenKind = "valid",
    claims: Record<string, unknown> = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      iss: issuer,
      aud: LOCAL_BACKCHANNEL_CLIENT,
      sub: "user-0001",
      jti: randomUUID(),
      iat: now,
      exp: now + 120,
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      ...claims,
    };
    const logout = (body: JWTPayload, key = privateKey, typ = "logout+jwt") =>
      sign(body, key, LOCAL_KID, typ);
    const without = (...names: string[]) =>
      Object.fromEntries(Object.entries(payload).filter(([name]) => !names.includes(name)));
    switch (kind) {
      case "valid":
        return logout(payload);
      case "jwt-typ":
        return logout(payload, privateKey, "JWT");
      case "wrong-issuer":
        return logout({ ...payload, iss: "https://attacker.example" });
      case "wrong-audience":
        return logout({ ...payload, aud: "another-client" });
      case "bad-signature":
        return logout(payload, strangerKey);
      case "expired":
        return logout({ ...payload, iat: now - 300, exp: now - 60 });
      case "stale":
        return logout({ ...payload, iat: now - 3600, exp: now + 60 });
      case "future":
        return logout({ ...payload, iat: now + 3600, exp: now + 7200 });
      case "no-event":
        return logout(without("events"));
      case "with-nonce":
        return logout({ ...payload, nonce: "n-0S6_WzA2Mj" });
      case "no-sub-or-sid":
        return logout(without("sub", "sid"));
      case "no-jti":
        return logout(without("jti"));
      case "access-token-typ":
        return logout(payload, privateKey, "at+jwt");
    }
  }

  async function mint(
    kind: TokenKind = "valid",
    claims: Record<string, unknown> = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      iss: issuer,
      aud: LOCAL_AUDIENCE,
      sub: "user-0001",
      jti: randomUUID(),
      iat: now,
      exp: now + 3600,
      ...claims,
    };
    switch (kind) {
      case "valid":
        return sign(payload, privateKey);
      case "expired":
        return sign({ ...payload, iat: now - 7200, exp: now - 3600 }, privateKey);
      case "not-yet-valid":
        return sign({ ...payload, nbf: now + 3600 }, privateKey);
      case "wrong-issuer":
        return sign({ ...payload, iss: "https://attacker.example" }, privateKey);
      case "wrong-audience":
        return sign({ ...payload, aud: "another-api" }, privateKey);
      case "bad-signature": {
        const [header, body] = (await sign(payload, privateKey)).split(".");
        const [, , foreignSignature] = (await sign(payload, strangerKey)).split(".");
        return `${header}.${body}.${foreignSignature}`;
      }
      case "alg-none":
        return `${base64url(JSON.stringify({ alg: "none", kid: LOCAL_KID, typ: "JWT" }))}.${base64url(JSON.stringify(payload))}.`;
      case "hmac-with-public-key":
        // The classic confusion: an HMAC keyed with the public key an RS256 verifier trusts.
        return new SignJWT(payload)
          .setProtectedHeader({ alg: "HS256", kid: LOCAL_KID, typ: "JWT" })
          .sign(Buffer.from(publicPem));
      case "unknown-kid":
        return sign(payload, strangerKey, "a-key-nobody-published");
      case "no-expiry": {
        const { exp: _dropped, ...withoutExpiry } = payload;
        return sign(withoutExpiry, privateKey);
      }
    }
  }

  return {
    issuer,
    audience: LOCAL_AUDIENCE,
    jwks,
    environment: {
      JWT_ISSUER: issuer,
      JWT_AUDIENCE: LOCAL_AUDIENCE,
      JWKS: JSON.stringify(jwks),
      BACKCHANNEL_LOGOUT_CLIENT_IDS: LOCAL_BACKCHANNEL_CLIENT,
    },
    mint,
    mintLogout,
  };
}
