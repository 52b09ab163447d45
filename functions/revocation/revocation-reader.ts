/**
 * The check every protected request pays: a token's items read in one strongly consistent read
 * (the port's `read`), decoded as the rules take them, and the rules' verdict. The store's
 * snapshot is this same read. Fails closed: an item it cannot decode is the store unavailable.
 */
import { type Clock, systemClock } from "../domain/clock.js";
import { RevocationStoreUnavailableError, TokenRevokedError } from "../domain/errors.js";
import type { RevocationCheck } from "../domain/ports.js";
import type { VerifiedToken } from "../domain/verified-token.js";
import type { DynamoDbClient } from "./dynamodb-client.js";
import { dynamoDbRead } from "./dynamodb-read.js";
import { type Item, sessionRevocationOf, userRevocationOf } from "./revocation-items.js";
import { live, type Snapshot, verdict } from "./revocation-rules.js";
import { sessionKeys, userKey } from "./revocation-table.js";
import type { RevocationTablePort } from "./table-port.js";

/**
 * What was read, with the user's item as found, even where it has expired: a write follows its
 * version, and one that moves nothing keeps its notice.
 */
export type Read = Snapshot & { userVersion: number | undefined; userItem: Item | undefined };

export function createRevocationReader(
  read: RevocationTablePort["read"],
  clock: Clock = systemClock,
) {
  /** The records found, as the rules take them at the clock's now. Throws on an unreadable item. */
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

  /** Decodes, failing closed: an item that cannot be read is the store unavailable. */
  function decodeOrFail(found: Map<string, Item>, sessions: readonly string[], user?: string) {
    try {
      return decode(found, sessions, user);
    } catch (error) {
      throw new RevocationStoreUnavailableError({ cause: error });
    }
  }

  /** The session items and the user's item, read in one request. Fails closed. */
  async function snapshot(sessions: readonly string[], user: string | undefined): Promise<Read> {
    const keys = user === undefined ? sessions : [...sessions, user];
    return decodeOrFail(await read(keys), sessions, user);
  }

  /** The check: refuses a token any revocation covers. One read. */
  async function assertNotRevoked(token: VerifiedToken): Promise<void> {
    const sessions = sessionKeys(token);
    if (verdict(await snapshot(sessions, userKey(token.claims)), token) !== "clear") {
      throw new TokenRevokedError();
    }
  }

  return { decode: decodeOrFail, snapshot, assertNotRevoked };
}

/** The check alone on DynamoDB, for a function that refuses revoked tokens and writes nothing. */
export function createRevocationCheck(
  dynamodb: DynamoDbClient,
  tableName: string,
  clock: Clock = systemClock,
): RevocationCheck {
  return {
    assertNotRevoked: createRevocationReader(dynamoDbRead(dynamodb, tableName), clock)
      .assertNotRevoked,
  };
}
