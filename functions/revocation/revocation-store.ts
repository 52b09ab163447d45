/**
 * Revocations in DynamoDB: recording a logout (one conditional write) and refusing revoked
 * tokens. Fails safe: when DynamoDB cannot answer, a logout is not reported as done and a
 * possibly revoked token is refused, both as 503s.
 */
import { createHash, randomUUID } from "node:crypto";
import type { RevocationCheck } from "../auth/require-valid-token.js";
import type { VerifiedToken } from "../auth/token-verifier.js";
import type { RevocationConfig } from "../config.js";
import { AuthenticationError, ServiceUnavailableError } from "../http/problems.js";
import type { LogoutScope, RevocationRecorder } from "../logout/logout.js";
import { type DynamoDbClient, DynamoDbError } from "./dynamodb-client.js";
import { REVOCATION_TABLE } from "./revocation-table.js";

const { partitionKey: PK, timeToLiveAttribute: EXPIRES_AT } = REVOCATION_TABLE;
/** Names in expressions, so they follow the table's definition. */
const NAMES = { "#pk": PK, "#expiresAt": EXPIRES_AT };

export interface RevocationStore extends RevocationCheck, RevocationRecorder {}

type AttributeValue = { S: string } | { N: string };
type Item = Record<string, AttributeValue | undefined>;
type Revocations = { session: Item | undefined; user: Item | undefined };

const revoked = () => new AuthenticationError("Token has been revoked", true);

/**
 * Each logout's writes carry its own id, and their conditions let that id through: a retry of
 * a write that landed but whose answer was lost is recognised as this logout's, not refused as
 * a second logout. Another logout with the same token has another id, and is refused.
 */
const OWN_WRITE = "revokedBy = :logoutId";

/**
 * The item that revokes this token alone, or its whole session where it has one: a Cognito
 * access token's `origin_jti` is shared by every access token of one refresh token, so a
 * logout revokes them all with one write. Never the raw token.
 */
export function sessionKey(token: VerifiedToken): string {
  const { claims } = token;
  if (typeof claims.origin_jti === "string") return `session#${claims.origin_jti}`;
  if (typeof claims.jti === "string") return `token#${claims.jti}`;
  return `token#sha256:${createHash("sha256").update(token.reveal()).digest("hex")}`;
}

function userKey(token: VerifiedToken): string | undefined {
  return typeof token.claims.sub === "string" ? `user#${token.claims.sub}` : undefined;
}

const number = (value: AttributeValue | undefined) =>
  value && "N" in value ? Number(value.N) : undefined;
const string = (value: AttributeValue | undefined) => (value && "S" in value ? value.S : undefined);

/** DynamoDB's TTL deletes late (up to days): an item past its expiry counts as absent. */
function isLive(item: Item | undefined, now: number): item is Item {
  const expiresAt = number(item?.[EXPIRES_AT]);
  return item !== undefined && expiresAt !== undefined && expiresAt > now;
}

/** A token without `iat` counts as issued at the epoch: any user revocation covers it. */
const issuedAt = (token: VerifiedToken) =>
  typeof token.claims.iat === "number" ? token.claims.iat : 0;

/** Whether the user's "revoked before" time covers this token. */
function revokedByUser(user: Item | undefined, token: VerifiedToken, now: number): boolean {
  if (!isLive(user, now)) return false;
  if (string(user.keptSession) === sessionKey(token)) return false;
  const revokedBefore = number(user.revokedBefore) ?? 0;
  // iat has one-second precision: a token of the same second counts as issued before.
  return issuedAt(token) <= revokedBefore;
}

function unavailable(error: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError("Revocation store unavailable", { cause: error });
}

export function createRevocationStore(
  dynamodb: DynamoDbClient,
  { tableName, maxSessionSeconds, maxTokenLifetimeSeconds }: RevocationConfig,
  clock: () => number = () => Math.floor(Date.now() / 1000),
): RevocationStore {
  async function readRevocations(token: VerifiedToken): Promise<Revocations> {
    const keys = [sessionKey(token), userKey(token)].filter((key) => key !== undefined);
    const output = await dynamodb.send<{
      Responses?: Record<string, Item[]>;
      UnprocessedKeys?: Record<string, unknown>;
    }>("BatchGetItem", {
      RequestItems: {
        [tableName]: { Keys: keys.map((pk) => ({ [PK]: { S: pk } })), ConsistentRead: true },
      },
    });
    if (Object.keys(output.UnprocessedKeys ?? {}).length > 0) {
      throw new DynamoDbError("UnprocessedKeys", "DynamoDB did not read every key", true);
    }
    const items = output.Responses?.[tableName] ?? [];
    const byKey = (pk: string | undefined) => items.find((item) => string(item[PK]) === pk);
    return { session: byKey(keys[0]), user: byKey(userKey(token)) };
  }

  /**
   * Revokes this token (or its session) until it expires, in one conditional write: the one
   * round trip of a logout. A token already revoked this way is refused by the condition. One
   * that a global logout already covers is recorded again and answered 200: it is revoked
   * either way, and checking for that would cost a second request on every logout.
   */
  async function revokeSession(token: VerifiedToken, now: number, logoutId: string): Promise<void> {
    const pk = sessionKey(token);
    const expiresAt = pk.startsWith("session#")
      ? Math.max(token.claims.exp, now + maxSessionSeconds)
      : token.claims.exp;
    await dynamodb.send("PutItem", {
      TableName: tableName,
      Item: {
        [PK]: { S: pk },
        [EXPIRES_AT]: { N: String(expiresAt) },
        revokedAt: { N: String(now) },
        revokedBy: { S: logoutId },
      },
      ConditionExpression: `attribute_not_exists(#pk) OR #expiresAt <= :now OR ${OWN_WRITE}`,
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: { ":now": { N: String(now) }, ":logoutId": { S: logoutId } },
    });
  }

  /** Revokes every token of the user issued up to now, but those of `keep` where given. */
  async function revokeUser(
    token: VerifiedToken,
    now: number,
    keep: boolean,
    logoutId: string,
  ): Promise<void> {
    const user = userKey(token);
    if (user === undefined) {
      throw new AuthenticationError("Token has no subject to sign out", true);
    }
    // A revoked token must not get to sign its user out: check it first.
    const { session } = await readRevocations(token);
    if (isLive(session, now)) throw revoked();
    const values: Record<string, AttributeValue> = {
      ":now": { N: String(now) },
      ":iat": { N: String(issuedAt(token)) },
      ":session": { S: sessionKey(token) },
      ":expiresAt": { N: String(now + maxTokenLifetimeSeconds) },
      ":logoutId": { S: logoutId },
    };
    const set = "SET revokedBefore = :now, #expiresAt = :expiresAt, revokedBy = :logoutId";
    await dynamodb.send("UpdateItem", {
      TableName: tableName,
      Key: { [PK]: { S: user } },
      UpdateExpression: keep ? `${set}, keptSession = :session` : `${set} REMOVE keptSession`,
      // Only a token that the user's revocations do not cover yet may move them.
      ConditionExpression: `attribute_not_exists(#pk) OR #expiresAt <= :now OR revokedBefore < :iat OR keptSession = :session OR ${OWN_WRITE}`,
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: values,
    });
  }

  return {
    async revoke(token: VerifiedToken, scope: LogoutScope): Promise<void> {
      const now = clock();
      const logoutId = randomUUID();
      try {
        if (scope === "local") await revokeSession(token, now, logoutId);
        else await revokeUser(token, now, scope === "others", logoutId);
      } catch (error) {
        if (error instanceof AuthenticationError || error instanceof ServiceUnavailableError) {
          throw error;
        }
        if (isConditionFailure(error)) throw revoked();
        throw unavailable(error);
      }
    },

    async assertNotRevoked(token: VerifiedToken): Promise<void> {
      const now = clock();
      let found: Revocations;
      try {
        found = await readRevocations(token);
      } catch (error) {
        // Fail closed: a token we cannot check may be revoked.
        throw unavailable(error);
      }
      if (isLive(found.session, now) || revokedByUser(found.user, token, now)) throw revoked();
    },
  };
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof DynamoDbError && error.type === "ConditionalCheckFailedException";
}
