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
import { providerOnlyKeys, sessionKeys, userKey } from "./revocation-table.js";
import type { RevocationTablePort } from "./table-port.js";

/**
 * What was read, with the user's item as found, even where it has expired: a write follows its
 * version, and one that moves nothing keeps its notice.
 */
export type Read = Snapshot & { userVersion: number | undefined; userItem: Item | undefined };

/** What one request reads: the session items, the provider's, and the user's, in one read. */
export const snapshotKeys = (
  sessions: readonly string[],
  user: string | undefined,
  providerKeys: readonly string[] = [],
): string[] => [...sessions, ...providerKeys, ...(user === undefined ? [] : [user])];

export function createRevocationReader(
  read: RevocationTablePort["read"],
  clock: Clock = systemClock,
) {
  /**
   * The records found, as the rules take them at the clock's now: the session items, the user's,
   * and those by which the identity provider ended one of the sessions (`providerOnlyKeys`).
   * Throws on an unreadable item.
   */
  function decode(
    found: Map<string, Item>,
    sessions: readonly string[],
    user?: string,
    providerKeys: readonly string[] = [],
  ): Read {
    const now = clock.now();
    const sessionRecord = (key: string) => {
      const item = found.get(key);
      return live(item && sessionRevocationOf(item), now);
    };
    const sessionRecords = sessions.map(sessionRecord);
    const userItemRead = user === undefined ? undefined : found.get(user);
    const decoded = userItemRead && userRevocationOf(userItemRead);
    return {
      now,
      sessions: sessionRecords,
      user: live(decoded?.record, now),
      userVersion: decoded?.version,
      userItem: userItemRead,
      endedByProvider: providerKeys.some((key) => sessionRecord(key) !== undefined),
    };
  }

  /** Decodes, failing closed: an item that cannot be read is the store unavailable. */
  function decodeOrFail(
    found: Map<string, Item>,
    sessions: readonly string[],
    user?: string,
    providerKeys: readonly string[] = [],
  ) {
    try {
      return decode(found, sessions, user, providerKeys);
    } catch (error) {
      throw new RevocationStoreUnavailableError({ cause: error });
    }
  }

  /** The session items, the provider's and the user's item, read in one request. Fails closed. */
  async function snapshot(
    sessions: readonly string[],
    user: string | undefined,
    providerKeys: readonly string[] = [],
  ): Promise<Read> {
    return decodeOrFail(
      await read(snapshotKeys(sessions, user, providerKeys)),
      sessions,
      user,
      providerKeys,
    );
  }

  /** The check: refuses a token any revocation covers. One read. */
  async function assertNotRevoked(token: VerifiedToken): Promise<void> {
    const sessions = sessionKeys(token);
    const state = await snapshot(sessions, userKey(token.claims), providerOnlyKeys(token));
    if (verdict(state, token) !== "clear") {
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
