/**
 * The revocation table's contract: its shape, for the stack that creates it, the store that uses
 * it and the tests that create it in dynalite; and the format of its keys, for every function
 * that reads it.
 *
 * Items, all keyed by `pk` and cleaned by DynamoDB's TTL on `expiresAt` (epoch seconds):
 * - `token#<digest>`: one revoked token, kept until it can no longer be used;
 * - `session#<digest>`: a revoked Cognito session (every access token minted from one refresh
 *   token shares its `origin_jti`), kept as long as a token of that session can be used;
 * - `user#<digest>`: `revokedBefore`: every token of the user issued at or before it is
 *   revoked, but those of `keptSession` (the session key that said "sign out the others").
 * Each write also records `revokedBy`, the digest of the logout that made it (see the store).
 *
 * Key format (version 1). `<digest>` is the unpadded base64url SHA-256 of the JSON array
 * `[iss, id]`, where `id` is the token's `jti` (token), `origin_jti` (session) or `sub` (user);
 * a token without `jti` has the id `"signed:" + header.payload`, the exact bytes its signature
 * covers, so no other encoding of the same signed token escapes its revocation. So a key is 51
 * bytes at most whatever the claims hold (DynamoDB refuses partition keys over 2,048 bytes), and
 * tokens of different issuers never share a key. Never the raw token or claim text.
 *
 * Changing the format later: items of the old format live on until they expire (at most
 * MAX_SESSION_SECONDS + MAX_TOKEN_LIFETIME_SECONDS). For that long, every read must fetch both
 * the old and the new key of each token (one BatchGetItem still: up to 100 keys), the user
 * item's `keptSession` must be compared in both formats, and only the new format written.
 */
import { createHash } from "node:crypto";
import type { VerifiedToken } from "../auth/verified-token.js";

export const REVOCATION_TABLE = {
  partitionKey: "pk",
  timeToLiveAttribute: "expiresAt",
  /** Every DynamoDB call the logout makes: what the stack grants it, and no more. */
  operations: ["BatchGetItem", "PutItem", "UpdateItem"],
  /** The only call the check makes: what a function that only refuses revoked tokens needs. */
  readOperations: ["BatchGetItem"],
} as const;

function key(kind: "token" | "session" | "user", issuer: string, id: string): string {
  const digest = createHash("sha256")
    .update(JSON.stringify([issuer, id]))
    .digest("base64url");
  return `${kind}#${digest}`;
}

/** `header.payload`: what the signature covers, whatever the signature's own encoding. */
function signedPart(token: VerifiedToken): string {
  const raw = token.reveal();
  return raw.slice(0, raw.lastIndexOf("."));
}

/**
 * The item that revokes this token alone, or its whole session where it has one: a Cognito
 * access token's `origin_jti` is shared by every access token of one refresh token, so a logout
 * revokes them all with one write.
 */
export function sessionKey(token: VerifiedToken): string {
  const { iss, jti, origin_jti: originJti } = token.claims;
  if (typeof originJti === "string" && originJti !== "") return key("session", iss, originJti);
  if (typeof jti === "string" && jti !== "") return key("token", iss, jti);
  return key("token", iss, `signed:${signedPart(token)}`);
}

/** The item of the token's user, or undefined for a token that names none. */
export function userKey(token: VerifiedToken): string | undefined {
  const { iss, sub } = token.claims;
  return typeof sub === "string" && sub !== "" ? key("user", iss, sub) : undefined;
}

/** CreateTable input for DynamoDB's API (dynalite in tests and local runs). */
export function createRevocationTableInput(tableName: string) {
  return {
    TableName: tableName,
    AttributeDefinitions: [{ AttributeName: REVOCATION_TABLE.partitionKey, AttributeType: "S" }],
    KeySchema: [{ AttributeName: REVOCATION_TABLE.partitionKey, KeyType: "HASH" }],
    BillingMode: "PAY_PER_REQUEST",
  };
}
