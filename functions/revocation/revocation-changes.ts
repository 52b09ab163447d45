/**
 * The revocation table's change records (its stream, `NEW_AND_OLD_IMAGES`), read as the
 * revocations that took effect. A write took effect where it revoked something the item did not
 * revoke before: a session or token item written where none was live, a user item whose
 * `revokedBefore` moved later. A replay writes nothing and an `others` said again writes
 * nothing, so neither has a record; a global logout in the second of the one before rewrites
 * the user item without moving its instant, and is no revocation. TTL's deletions are none.
 */
import type { DynamoDBRecord } from "aws-lambda";
import {
  type Item,
  noticeOf,
  type RevocationNotice,
  sessionRevocationOf,
  UnreadableAnswerError,
  userRevocationOf,
} from "./revocation-items.js";
import { live } from "./revocation-rules.js";
import { isClaimKey, REVOCATION_TABLE } from "./revocation-table.js";

/** A revocation that took effect, as its item records it. */
export interface Revocation {
  key: string;
  notice: RevocationNotice;
  /** A user revocation's `revokedBefore`: every session of the user begun at or before it. */
  revokedBefore?: number;
  /** A session or token item's writer digest: the items one logout wrote share it. */
  writer?: string;
}

/**
 * The revocation a change record tells of, or undefined where it tells of none. Throws
 * `UnreadableAnswerError` for a record that cannot be read: not the table's view of its
 * images, or an item without its notice (written by a release before notices).
 */
export function revocationOf(record: DynamoDBRecord): Revocation | undefined {
  if (record.eventName !== "INSERT" && record.eventName !== "MODIFY") return undefined;
  const newImage = record.dynamodb?.NewImage as Item | undefined;
  const key = (newImage?.[REVOCATION_TABLE.partitionKey] as { S?: unknown } | undefined)?.S;
  if (newImage === undefined || typeof key !== "string") {
    throw new UnreadableAnswerError("holds a change without its new item (stream view type?)");
  }
  // A logout's claim on the identity provider's call revokes nothing.
  if (isClaimKey(key)) return undefined;
  const oldImage = record.dynamodb?.OldImage as Item | undefined;
  const notice = noticeOf(newImage);
  // What the old item still revoked when the new one was written: TTL deletes late.
  const writtenAt = Math.floor(notice.at / 1000);

  if (key.startsWith("user#")) {
    const { record: user } = userRevocationOf(newImage);
    const before = oldImage && live(userRevocationOf(oldImage).record, writtenAt);
    if (before && user.revokedBefore <= before.revokedBefore) return undefined;
    return { key, notice, revokedBefore: user.revokedBefore };
  }
  const { revokedBy } = sessionRevocationOf(newImage);
  if (oldImage && live(sessionRevocationOf(oldImage), writtenAt)) return undefined;
  return { key, notice, writer: revokedBy };
}
