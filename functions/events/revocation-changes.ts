/**
 * What counts as an event: the revocation table's changes (its stream, `NEW_AND_OLD_IMAGES`, or
 * its items as a republish reads them), read as the revocations that took effect. A write took
 * effect where it revoked something the item did not revoke before: a session or token item
 * written where none was live, a user item whose `revokedBefore` moved later. A replay writes nothing and an `others` said again writes
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
} from "../revocation/revocation-items.js";
import { live } from "../revocation/revocation-rules.js";
import { isClaimKey, isUserKey, REVOCATION_TABLE } from "../revocation/revocation-table.js";

/** A revocation that took effect, as its item records it. */
export interface Revocation {
  key: string;
  notice: RevocationNotice;
  /** A user revocation's `revokedBefore`: every session of the user begun at or before it. */
  revokedBefore?: number;
  /** A session or token item's writer digest: the items one logout wrote share it. */
  writer?: string;
}

/** A write to the table: the item it wrote, and the item it wrote over, if any. */
export interface TableChange {
  newImage: Item;
  oldImage?: Item;
}

/**
 * A stream record as the change it tells of: undefined for TTL's deletions. Throws
 * `UnreadableAnswerError` for a record without its new item (the stream's view type is wrong).
 */
export function changeOf(record: DynamoDBRecord): TableChange | undefined {
  if (record.eventName !== "INSERT" && record.eventName !== "MODIFY") return undefined;
  const newImage = record.dynamodb?.NewImage as Item | undefined;
  if (newImage === undefined) {
    throw new UnreadableAnswerError("holds a change without its new item (stream view type?)");
  }
  const oldImage = record.dynamodb?.OldImage as Item | undefined;
  return oldImage === undefined ? { newImage } : { newImage, oldImage };
}

/**
 * The revocation a change tells of, or undefined where it tells of none; an item alone (no old
 * image) is read as the write that made it, as a republish reads the table. Throws
 * `UnreadableAnswerError` for an item that cannot be read: no key, or no notice (written by a
 * release before notices).
 */
export function revocationOf({ newImage, oldImage }: TableChange): Revocation | undefined {
  const key = (newImage[REVOCATION_TABLE.partitionKey] as { S?: unknown } | undefined)?.S;
  if (typeof key !== "string") throw new UnreadableAnswerError("holds an item without its key");
  // A logout's claim on the identity provider's call revokes nothing.
  if (isClaimKey(key)) return undefined;
  const notice = noticeOf(newImage);
  // What the old item still revoked when the new one was written: TTL deletes late.
  const writtenAt = Math.floor(notice.at / 1000);

  if (isUserKey(key)) {
    const { record: user } = userRevocationOf(newImage);
    const before = oldImage && live(userRevocationOf(oldImage).record, writtenAt);
    if (before && user.revokedBefore <= before.revokedBefore) return undefined;
    return { key, notice, revokedBefore: user.revokedBefore };
  }
  const { revokedBy } = sessionRevocationOf(newImage);
  if (oldImage && live(sessionRevocationOf(oldImage), writtenAt)) return undefined;
  return { key, notice, writer: revokedBy };
}
