/**
 * Revocations in DynamoDB: recording a logout and refusing revoked tokens, with the keys of
 * `revocation-table.ts`. Fails safe: when DynamoDB cannot answer, a logout is not reported as
 * done and a possibly revoked token is refused, both as `RevocationStoreUnavailableError`.
 */
import { createHash } from "node:crypto";
import { CLOCK_LEEWAY_SECONDS } from "../auth/token-verifier.js";
import type { VerifiedToken } from "../auth/verified-token.js";
import type { RevocationConfig } from "../config.js";
import { type DynamoDbClient, DynamoDbError } from "./dynamodb-client.js";
import {
  NoSubjectError,
  type RevocationRecorder,
  RevocationStoreUnavailableError,
  TokenRevokedError,
} from "./revocation.js";
import { REVOCATION_TABLE, sessionKey, userKey } from "./revocation-table.js";

const { partitionKey: PK, timeToLiveAttribute: EXPIRES_AT } = REVOCATION_TABLE;
/** Names in expressions, so they follow the table's definition. */
const NAMES = { "#pk": PK, "#expiresAt": EXPIRES_AT };

export type RevocationStore = RevocationRecorder;

type AttributeValue = { S: string } | { N: string };
type Item = Record<string, AttributeValue | undefined>;

/**
 * What a logout's writes record as `revokedBy`, and their conditions let through: a retry of a
 * write that landed but whose answer was lost is recognised as this logout's, not refused as a
 * second one. Bound to the token's session, so no other token can pass for it.
 */
function writerOf(session: string, logoutId: string): string {
  return createHash("sha256")
    .update(JSON.stringify([session, logoutId]))
    .digest("base64url");
}
const OWN_WRITE = "revokedBy = :writer";

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

/** `ownWriter`: a revocation this logout made itself (a retry) does not count. */
function coveredBySession(session: Item | undefined, now: number, ownWriter?: string): boolean {
  return isLive(session, now) && string(session.revokedBy) !== ownWriter;
}

/** @param session the token's `sessionKey`: its digest, computed once per operation. */
function coveredByUser(
  user: Item | undefined,
  token: VerifiedToken,
  session: string,
  now: number,
  ownWriter?: string,
): boolean {
  if (!isLive(user, now) || string(user.revokedBy) === ownWriter) return false;
  if (string(user.keptSession) === session) return false;
  // iat has one-second precision: a token of the same second counts as issued before.
  return issuedAt(token) <= (number(user.revokedBefore) ?? 0);
}

/** The store's own error for what DynamoDB answered: a failed condition means revoked. */
function storeError(error: unknown): Error {
  if (error instanceof TokenRevokedError || error instanceof RevocationStoreUnavailableError) {
    return error;
  }
  return error instanceof DynamoDbError && error.type === "ConditionalCheckFailedException"
    ? new TokenRevokedError()
    : new RevocationStoreUnavailableError({ cause: error });
}

export function createRevocationStore(
  dynamodb: DynamoDbClient,
  { tableName, maxSessionSeconds, maxTokenLifetimeSeconds }: RevocationConfig,
  clock: () => number = () => Math.floor(Date.now() / 1000),
): RevocationStore {
  /** One strongly consistent read of the given keys. */
  async function read(keys: string[]): Promise<Map<string, Item>> {
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
    return new Map(items.map((item) => [string(item[PK]) ?? "", item]));
  }

  async function assertNotRevoked(token: VerifiedToken, logoutId?: string): Promise<void> {
    const now = clock();
    const session = sessionKey(token);
    const user = userKey(token);
    const ownWriter = logoutId === undefined ? undefined : writerOf(session, logoutId);
    let found: Map<string, Item>;
    try {
      found = await read(user === undefined ? [session] : [session, user]);
    } catch (error) {
      // Fail closed: a token we cannot check may be revoked.
      throw storeError(error);
    }
    if (
      coveredBySession(found.get(session), now, ownWriter) ||
      (user !== undefined && coveredByUser(found.get(user), token, session, now, ownWriter))
    ) {
      throw new TokenRevokedError();
    }
  }

  /**
   * Until no token this item covers can be used: a token's own expiry (read with the clock
   * leeway); for a session, as long as its refresh token can mint tokens, plus their lifetime.
   */
  function sessionExpiry(session: string, token: VerifiedToken, now: number): number {
    return session.startsWith("session#")
      ? now + maxSessionSeconds + maxTokenLifetimeSeconds + CLOCK_LEEWAY_SECONDS
      : Math.ceil(token.claims.exp) + CLOCK_LEEWAY_SECONDS;
  }

  return {
    assertNotRevoked: (token) => assertNotRevoked(token),

    assertNotRevokedBefore: (token, logoutId) => assertNotRevoked(token, logoutId),

    /**
     * One round trip: the conditional write of this token's (or session's) item, and beside it
     * the read of the user's item, since a global or others logout may cover the token already.
     * Such a token is answered as revoked; its record is made anyway, which changes nothing.
     */
    async revokeToken(token, logoutId) {
      const now = clock();
      const session = sessionKey(token);
      const writer = writerOf(session, logoutId);
      const user = userKey(token);
      const [written, found] = await Promise.allSettled([
        dynamodb.send("PutItem", {
          TableName: tableName,
          Item: {
            [PK]: { S: session },
            [EXPIRES_AT]: { N: String(sessionExpiry(session, token, now)) },
            revokedAt: { N: String(now) },
            revokedBy: { S: writer },
          },
          ConditionExpression: `attribute_not_exists(#pk) OR #expiresAt <= :now OR ${OWN_WRITE}`,
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: { ":now": { N: String(now) }, ":writer": { S: writer } },
        }),
        user === undefined ? Promise.resolve(new Map<string, Item>()) : read([user]),
      ]);
      if (written.status === "rejected") throw storeError(written.reason);
      // The logout is recorded, but whether the token was usable is unknown: not a 200.
      if (found.status === "rejected") throw storeError(found.reason);
      if (user !== undefined && coveredByUser(found.value.get(user), token, session, now)) {
        throw new TokenRevokedError();
      }
    },

    async revokeUserTokens(token, { keepOwnSession, logoutId }) {
      const user = userKey(token);
      if (user === undefined) throw new NoSubjectError();
      const now = clock();
      const session = sessionKey(token);
      // Up to now plus the leeway: every token the verifier accepts at this instant is covered.
      const revokedBefore = now + CLOCK_LEEWAY_SECONDS;
      const set =
        "SET revokedBefore = :revokedBefore, #expiresAt = :expiresAt, revokedBy = :writer";
      try {
        await dynamodb.send("UpdateItem", {
          TableName: tableName,
          Key: { [PK]: { S: user } },
          UpdateExpression: keepOwnSession
            ? `${set}, keptSession = :session`
            : `${set} REMOVE keptSession`,
          // Only a token that the user's revocations do not cover may move them.
          ConditionExpression: `attribute_not_exists(#pk) OR #expiresAt <= :now OR revokedBefore < :iat OR keptSession = :session OR ${OWN_WRITE}`,
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: {
            ":now": { N: String(now) },
            ":iat": { N: String(issuedAt(token)) },
            ":session": { S: session },
            ":revokedBefore": { N: String(revokedBefore) },
            // Every token it covers was issued by `revokedBefore` and lives at most this long.
            ":expiresAt": {
              N: String(revokedBefore + maxTokenLifetimeSeconds + CLOCK_LEEWAY_SECONDS),
            },
            ":writer": { S: writerOf(session, logoutId) },
          },
        });
      } catch (error) {
        throw storeError(error);
      }
    },
  };
}
