/**
 * The read half of the table's DynamoDB adapter: one strongly consistent `BatchGetItem`, keys
 * DynamoDB leaves unread read again, the answer checked against what was asked, DynamoDB's
 * errors in the store's terms. Apart from the writes, so a function that only refuses revoked
 * tokens (the authorizer) bundles no write path.
 */

import { sleep } from "../domain/clock.js";
import {
  RevocationStoreMisconfiguredError,
  RevocationStoreUnavailableError,
} from "../domain/errors.js";
import { type DynamoDbClient, DynamoDbError } from "./dynamodb-client.js";
import { batchGetInput, type Item, itemsOf, UnreadableAnswerError } from "./revocation-items.js";

/** A read's rounds: the batch, then twice its unprocessed keys, after full-jitter backoffs. */
const READ_ROUNDS = 3;
const UNREAD_BACKOFF_MS = 25;

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
 * The port's `read`: keys DynamoDB leaves unread (it throttled part of the batch) are read again
 * after a jittered backoff, within the one call's budget; still unread then, the read fails
 * (closed).
 */
export function dynamoDbRead(dynamodb: DynamoDbClient, tableName: string) {
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
  return async (keys: readonly string[]): Promise<Map<string, Item>> => {
    try {
      return await read(keys);
    } catch (error) {
      throw storeError(error);
    }
  };
}
