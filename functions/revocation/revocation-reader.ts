/**
 * The read side of the revocation table: one strongly consistent read of a token's items,
 * decoded as the rules take them, and the check every protected request pays. Apart from the
 * store's writes, so a function that only refuses revoked tokens (the authorizer) carries no
 * write path at all.
 */
import { type Clock, systemClock } from "../domain/clock.js";
import {
  RevocationStoreMisconfiguredError,
  RevocationStoreUnavailableError,
  TokenRevokedError,
} from "../domain/errors.js";
import type { RevocationCheck } from "../domain/ports.js";
import type { VerifiedToken } from "../domain/verified-token.js";
import { type DynamoDbClient, DynamoDbError } from "./dynamodb-client.js";
import {
  batchGetInput,
  type Item,
  itemsOf,
  sessionRevocationOf,
  UnreadableAnswerError,
  userRevocationOf,
} from "./revocation-items.js";
import { live, type Snapshot, verdict } from "./revocation-rules.js";
import { sessionKeys, userKey } from "./revocation-table.js";

/** A read's rounds: the batch, then twice its unprocessed keys, after full-jitter backoffs. */
const READ_ROUNDS = 3;
const UNREAD_BACKOFF_MS = 25;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** DynamoDB's answers that say this deployment is wrong (table, grants, request), not busy. */
const MISCONFIGURED = new Set([
  "AccessDeniedException",
  "ResourceNotFoundException",
  "ValidationException",
  "UnrecognizedClientException",
]);

/** A failed call (DynamoDB's, or an answer it could not read), in the store's own terms. */
export function storeError(error: unknown): Error {
  return error instanceof DynamoDbError && MISCONFIGURED.has(error.type)
    ? new RevocationStoreMisconfiguredError({ cause: error })
    : new RevocationStoreUnavailableError({ cause: error });
}

/**
 * What was read, with the user's item as found, even where it has expired: a write follows its
 * version, and one that moves nothing keeps its notice.
 */
export type Read = Snapshot & { userVersion: number | undefined; userItem: Item | undefined };

export function createRevocationReader(
  dynamodb: DynamoDbClient,
  tableName: string,
  clock: Clock = systemClock,
) {
  /**
   * One strongly consistent read of `keys`. Keys DynamoDB leaves unread (it throttled part of
   * the batch) are read again after a jittered backoff, within the one call's budget; still
   * unread then, the read fails (closed).
   */
  async function read(keys: readonly string[]): Promise<Map<string, Item>> {
    const deadline = Date.now() + dynamodb.callBudgetMs;
    const found = new Map<string, Item>();
    let pending = keys;
    for (let round = 1; ; round++) {
      const input = batchGetInput(tableName, pending);
      const output = await dynamodb.send<unknown>("BatchGetItem", input, { deadline });
      const answer = itemsOf(output, tableName, pending);
      for (const [key, item] of answer.found) found.set(key, item);
      if (answer.unread.length === 0) return found;
      const backoff = Math.random() * UNREAD_BACKOFF_MS * 2 ** round;
      if (round >= READ_ROUNDS || Date.now() + backoff >= deadline) {
        throw new UnreadableAnswerError("left keys unread");
      }
      await sleep(backoff);
      pending = answer.unread;
    }
  }

  function decode(found: Map<string, Item>, sessions: readonly string[], user?: string): Read {
    const now = clock.now();
    const sessionRecords = sessions.map((key) => {
      const item = found.get(key);
      return live(item && sessionRevocationOf(item), now);
    });
    const userItemRead = user === undefined ? undefined : found.get(user);
    const decoded = userItemRead && userRevocationOf(userItemRead);
    return {
      now,
      sessions: sessionRecords,
      user: live(decoded?.record, now),
      userVersion: decoded?.version,
      userItem: userItemRead,
    };
  }

  /** The session items and the user's item, read in one request. Fails closed. */
  async function snapshot(sessions: readonly string[], user: string | undefined): Promise<Read> {
    const keys = user === undefined ? sessions : [...sessions, user];
    try {
      return decode(await read(keys), sessions, user);
    } catch (error) {
      throw storeError(error);
    }
  }

  /** The check: refuses a token any revocation covers. One BatchGetItem. */
  async function assertNotRevoked(token: VerifiedToken): Promise<void> {
    const sessions = sessionKeys(token);
    if (verdict(await snapshot(sessions, userKey(token.claims)), token) !== "clear") {
      throw new TokenRevokedError();
    }
  }

  return { read, decode, snapshot, assertNotRevoked };
}

/** The check alone, for a function that refuses revoked tokens and writes nothing. */
export function createRevocationCheck(
  dynamodb: DynamoDbClient,
  tableName: string,
  clock: Clock = systemClock,
): RevocationCheck {
  return { assertNotRevoked: createRevocationReader(dynamodb, tableName, clock).assertNotRevoked };
}
