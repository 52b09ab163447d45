/**
 * The revocation table's contract: its shape, for the stack that creates it, the store that uses
 * it and the tests that create it in dynalite; and the format of its keys, for every function
 * that reads it.
 *
 * Items, all keyed by `pk` and cleaned by DynamoDB's TTL on `expiresAt` (epoch seconds; the
 * store counts an item past it as absent, since TTL deletes late):
 * - `session#…`: a revoked session (every token of one sign-in shares its `origin_jti` or `sid`;
 *   a token that carries both revokes both), kept as long as a token of that session can be
 *   accepted. The identity provider may end a session naming its `sid` alone: that item's key
 *   has no `sub` (`providerOnlyKeys`), and a token with both `sub` and `sid` is checked by it too;
 * - `token#…`: one revoked token of an issuer that names no session, kept until it expires;
 *   both hold `revokedBy`, the digest of the logout that made them (a replay is recognised);
 * - `user#…`: the user's revocations by time, as one instant: `revokedBefore` revokes every
 *   session of the user that began at or before it. It is exactly the union of every global and
 *   others logout and operator sign-out of the user, since each is "every session that began at
 *   or before T" (see `revocation-rules.ts`). `version` orders writes, and `logouts` lists the
 *   recent global logouts and operator sign-outs, oldest first, each as its `writer` digest, `by`
 *   (`user` or `admin`) and `until` it may stop being remembered, so that a replay changes
 *   nothing. An item of the release before (with `keptSession`) is read as its `revokedBefore`
 *   alone: the session an `others` logout kept is signed out once, never another let through.
 * - `claim#…`: a logout's claim on the identity provider's call (a Cognito sign-out), keyed by
 *   the logout's `writer` digest and held for a few seconds, so that replays racing the first
 *   request never call it twice. It revokes nothing and carries no notice: no event tells of it.
 *
 * Key format, version 2 (`KEY_FORMAT`): `<kind>#v2#<digest>`, where `<digest>` is the unpadded
 * base64url SHA-256 of the JSON array `[iss, sub, id]`: `sub` is `null` where the token has
 * none, `id` is the session id (session), the `jti` (token) or `null` (user); a token with
 * neither has the id `"signed:" + header.payload`, the exact bytes its signature covers, so no
 * other encoding of the same signed token escapes its revocation. So a key is at most 54 bytes
 * whatever the claims hold (DynamoDB refuses partition keys over 2,048 bytes); tokens of
 * different issuers or users never share one, whatever ids an issuer reuses; and no token is
 * stored. Version 1 keyed ids without `sub`; nothing of it was deployed.
 *
 * Every item also holds its `notice` (`revocation-items.ts`): what the write means to other
 * systems, read by the publisher of revocation events from the table's stream. It holds the
 * identifiers the event names (issuer, `sub`, session or token id), never a token.
 *
 * Changing the format later: items of the old format live on until they expire (at most
 * MAX_SESSION_SECONDS + MAX_TOKEN_LIFETIME_SECONDS + 6 s, a session without `auth_time`'s). For
 * that long every read must fetch both the old and the new key of each item (one BatchGetItem
 * still: up to 100 keys) and only the new format written; a `user#` item of the old format
 * must be merged, not overwritten, by the first new write.
 */
import { createHash } from "node:crypto";
import { nonEmptyString } from "../domain/values.js";
import { sessionIds, type VerifiedToken } from "../domain/verified-token.js";

export const REVOCATION_TABLE = {
  partitionKey: "pk",
  timeToLiveAttribute: "expiresAt",
  /** Every DynamoDB call the logout makes: what the stack grants it, and no more. */
  operations: ["BatchGetItem", "PutItem"],
  /** The only call the check makes: what a function that only refuses revoked tokens needs. */
  readOperations: ["BatchGetItem"],
} as const;

/** The version of the key format above: part of every key, so old items are told apart. */
export const KEY_FORMAT = "v2";

type Kind = "token" | "session" | "user";

/** Whom a user item is for: the issuer and its subject, as a token names them. */
export interface UserIdentity {
  iss: string;
  sub?: unknown;
}

function key(kind: Kind, { iss, sub }: UserIdentity, id: string | null): string {
  const digest = createHash("sha256")
    .update(JSON.stringify([iss, typeof sub === "string" ? sub : null, id]))
    .digest("base64url");
  return `${kind}#${KEY_FORMAT}#${digest}`;
}

/** `header.payload`: what the signature covers, whatever the signature's own encoding. */
function signedPart(token: VerifiedToken): string {
  const raw = token.reveal();
  return raw.slice(0, raw.lastIndexOf("."));
}

/**
 * What one item of a token's revocation is for, as the revocation's event names it: a session
 * id the token carries; or the token alone, by its `jti`, or where it has none by
 * `tokenSha256`, which any holder of the token computes (`tokenDigest`) and no one can present.
 */
export interface RevocationTarget {
  key: string;
  session?: string;
  jti?: string;
  tokenSha256?: string;
}

/** The unpadded base64url SHA-256 of the token's `header.payload`: what its signature covers. */
export const tokenDigest = (token: VerifiedToken): string =>
  createHash("sha256").update(signedPart(token)).digest("base64url");

/**
 * The items that revoke the token's whole session where the issuer names one (every token a
 * refresh token mints shares it): one per id the token carries, `origin_jti` and `sid`, so a
 * sibling token that carries only one of them is covered too. Else the token's own item alone.
 */
export function sessionTargets(token: VerifiedToken): RevocationTarget[] {
  const sessions = sessionIds(token.claims);
  if (sessions.length > 0) {
    return sessions.map((session) => ({ key: key("session", token.claims, session), session }));
  }
  const { jti } = token.claims;
  if (nonEmptyString(jti)) return [{ key: key("token", token.claims, jti), jti }];
  return [
    {
      key: key("token", token.claims, `signed:${signedPart(token)}`),
      tokenSha256: tokenDigest(token),
    },
  ];
}

export const sessionKeys = (token: VerifiedToken): string[] =>
  sessionTargets(token).map((target) => target.key);

/**
 * The item by which an identity provider ends one of its sessions (a back-channel logout by
 * `sid`): the very key a local logout of that session writes where the provider names the user;
 * where it names only the session, the key of the session without a user.
 */
export const providerSessionKey = (user: UserIdentity, sid: string): string =>
  key("session", user, sid);

/**
 * What else ends the token's session: the items a provider writes for its session ids without
 * naming the user (a back-channel logout token may carry `sid` alone). A token without `sub`
 * reads those keys already among its own.
 */
export function providerOnlyKeys(token: VerifiedToken): string[] {
  const { iss, sub, sid } = token.claims;
  if (!nonEmptyString(sub) || !nonEmptyString(sid)) return [];
  return [key("session", { iss }, sid)];
}

/** Whether the item is a user's: its revocations by time. */
export const isUserKey = (key: string) => key.startsWith("user#");

/** Whether the token's item revokes a session, which outlives any one of its tokens. */
export const isSessionKey = (key: string) => key.startsWith("session#");

/** A logout's claim on the identity provider's call: by its writer digest (`writerOf`). */
export const claimKey = (writer: string) => `claim#${KEY_FORMAT}#${writer}`;
export const isClaimKey = (key: string) => key.startsWith("claim#");

/** The item of a user (a token's, or one an operator names), or undefined where none is named. */
export function userKey(user: UserIdentity): string | undefined {
  const { sub } = user;
  return nonEmptyString(sub) ? key("user", user, null) : undefined;
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
