/**
 * The revocation table's item format, in one place: the rules' records to DynamoDB's attribute
 * values and back (`revocation-table.ts` says what each item means). Reading is strict: an
 * answer that does not hold what was asked, or an item without a field the rules need, is an
 * `UnreadableAnswerError`, and the store fails closed on it.
 */
import { isRecord } from "../domain/values.js";
import type { SessionRevocation, UserRevocation } from "./revocation-rules.js";
import { REVOCATION_TABLE } from "./revocation-table.js";

const { partitionKey: PK, timeToLiveAttribute: EXPIRES_AT } = REVOCATION_TABLE;

export type Item = Record<string, unknown>;

/** DynamoDB answered 2xx with something that is not the answer to what was asked. */
export class UnreadableAnswerError extends Error {
  constructor(problem: string) {
    super(`DynamoDB's answer ${problem}`);
    this.name = "UnreadableAnswerError";
  }
}

function stringOf(item: Item, name: string): string | undefined {
  const value = item[name];
  return isRecord(value) && typeof value.S === "string" ? value.S : undefined;
}

function numberOf(item: Item, name: string): number {
  const value = item[name];
  const number = isRecord(value) && typeof value.N === "string" ? Number(value.N) : Number.NaN;
  if (!Number.isFinite(number)) throw new UnreadableAnswerError(`has an item without ${name}`);
  return number;
}

const number = (value: number) => ({ N: String(value) });

/**
 * Who and what a revocation was: a logout of one of the three scopes, an operator's sign-out,
 * or the identity provider's (a back-channel logout, a Cognito pool's own sign-out).
 */
export type RevocationScope = "local" | "global" | "others" | "operator" | "provider";
const SCOPES: readonly RevocationScope[] = ["local", "global", "others", "operator", "provider"];

/** Who began an identity provider's sign-out, in CAEP's terms (`initiating_entity`). */
export type Initiator = "user" | "admin" | "system";
const INITIATORS: readonly Initiator[] = ["user", "admin", "system"];

/**
 * What a write means to other systems, written in the same conditional write as the revocation
 * it describes (the item is its own outbox): the table's stream carries it to the publisher of
 * revocation events, so a revocation recorded is published even if the writer dies right
 * after. Identifiers only, never a token: the issuer, the subject, the session or token id, and
 * the operator's reason as logged.
 */
export interface RevocationNotice {
  scope: RevocationScope;
  iss: string;
  sub?: string;
  /** The session id this item is for (a local logout of a session). */
  session?: string;
  /** The token id, where a local logout revoked one token of an issuer that names no session. */
  jti?: string;
  /** Where that token had no `jti` either: its digest (`tokenDigest`). */
  tokenSha256?: string;
  /** The operator's reason, token-like runs redacted; the identity provider's action. */
  reason?: string;
  /** An identity provider's sign-out: who began it (a logout's is the user, an operator's admin). */
  initiator?: Initiator;
  /** When it was written, in ms by the writer's clock: what orders a user's events. */
  at: number;
}

/** The notice's optional text fields, each stored as a string where present. */
const NOTICE_TEXTS = ["sub", "session", "jti", "tokenSha256", "reason"] as const;

function noticeAttribute(notice: RevocationNotice) {
  const fields: Item = {
    scope: { S: notice.scope },
    iss: { S: notice.iss },
    at: number(notice.at),
  };
  for (const name of NOTICE_TEXTS) {
    const value = notice[name];
    if (value !== undefined) fields[name] = { S: value };
  }
  if (notice.initiator !== undefined) fields.initiator = { S: notice.initiator };
  return { M: fields };
}

/** An item's notice; an item without one was written by a release before notices. */
export function noticeOf(item: Item): RevocationNotice {
  const stored = isRecord(item.notice) && isRecord(item.notice.M) ? item.notice.M : undefined;
  if (stored === undefined) throw new UnreadableAnswerError("has an item without its notice");
  const scope = SCOPES.find((known) => known === stringOf(stored, "scope"));
  const iss = stringOf(stored, "iss");
  if (scope === undefined || iss === undefined) {
    throw new UnreadableAnswerError("has a notice without its scope or issuer");
  }
  const notice: RevocationNotice = { scope, iss, at: numberOf(stored, "at") };
  for (const name of NOTICE_TEXTS) {
    const value = stringOf(stored, name);
    if (value !== undefined) notice[name] = value;
  }
  const initiator = INITIATORS.find((known) => known === stringOf(stored, "initiator"));
  if (initiator !== undefined) notice.initiator = initiator;
  return notice;
}

export function sessionRevocationOf(item: Item): SessionRevocation {
  const revokedBy = stringOf(item, "revokedBy");
  if (revokedBy === undefined) throw new UnreadableAnswerError("has an item without revokedBy");
  return { expiresAt: numberOf(item, EXPIRES_AT), revokedBy };
}

/** A session's or a token's item; when it was written is its notice's `at`. */
export function sessionItem(
  key: string,
  record: SessionRevocation,
  notice: RevocationNotice,
): Item {
  return {
    [PK]: { S: key },
    [EXPIRES_AT]: number(record.expiresAt),
    revokedBy: { S: record.revokedBy },
    notice: noticeAttribute(notice),
  };
}

/**
 * A user's record and the item's `version`, which orders writes. An item of the release before
 * (`keptSession`, `keptSessionRevokedBefore`) is read as its `revokedBefore` alone, which covers
 * more, never less: the session it kept is signed out once.
 */
export function userRevocationOf(item: Item): { record: UserRevocation; version: number } {
  // A list, oldest first: DynamoDB keeps a list's order, not a map's.
  const stored = isRecord(item.logouts) && Array.isArray(item.logouts.L) ? item.logouts.L : [];
  const logouts = stored.map((entry) => {
    const remembered = isRecord(entry) && isRecord(entry.M) ? entry.M : {};
    const writer = stringOf(remembered, "writer");
    if (writer === undefined) throw new UnreadableAnswerError("has a logout without its writer");
    const by = stringOf(remembered, "by") === "admin" ? "admin" : "user";
    const answerAt =
      remembered.answerAt === undefined ? {} : { answerAt: numberOf(remembered, "answerAt") };
    const request = stringOf(remembered, "request");
    return {
      writer,
      by,
      until: numberOf(remembered, "until"),
      ...answerAt,
      ...(request === undefined ? {} : { request }),
    } as const;
  });
  return {
    record: {
      expiresAt: numberOf(item, EXPIRES_AT),
      revokedBefore: numberOf(item, "revokedBefore"),
      logouts,
    },
    version: numberOf(item, "version"),
  };
}

export function userItem(
  key: string,
  record: UserRevocation,
  version: number,
  notice: RevocationNotice,
): Item {
  return {
    [PK]: { S: key },
    [EXPIRES_AT]: number(record.expiresAt),
    version: number(version),
    revokedBefore: number(record.revokedBefore),
    logouts: {
      L: record.logouts.map(({ writer, by, until, answerAt, request }) => ({
        M: {
          writer: { S: writer },
          by: { S: by },
          until: number(until),
          ...(answerAt === undefined ? {} : { answerAt: number(answerAt) }),
          ...(request === undefined ? {} : { request: { S: request } }),
        },
      })),
    },
    notice: noticeAttribute(notice),
  };
}

/**
 * The items a strongly consistent BatchGetItem of `keys` found, and the keys it left unread
 * (`UnprocessedKeys`: DynamoDB throttled part of the batch), for the caller to read again.
 * Fails on anything else: unread keys not in DynamoDB's form or not asked for, no list for the
 * table, or an item that was not asked for.
 */
export function itemsOf(
  output: unknown,
  tableName: string,
  keys: readonly string[],
): { found: Map<string, Item>; unread: string[] } {
  if (!isRecord(output)) throw new UnreadableAnswerError("is not an object");
  const { Responses, UnprocessedKeys } = output;
  const unread = unreadKeys(UnprocessedKeys, tableName, keys);
  const items = isRecord(Responses) ? Responses[tableName] : undefined;
  if (!Array.isArray(items)) throw new UnreadableAnswerError("holds no list for the table");
  const found = new Map<string, Item>();
  for (const item of items) {
    const key = isRecord(item) ? stringOf(item, PK) : undefined;
    if (key === undefined || !keys.includes(key) || found.has(key) || unread.includes(key)) {
      throw new UnreadableAnswerError("holds an item that was not asked for");
    }
    found.set(key, item);
  }
  return { found, unread };
}

function unreadKeys(unprocessed: unknown, tableName: string, keys: readonly string[]): string[] {
  if (unprocessed === undefined || (isRecord(unprocessed) && isEmpty(unprocessed))) return [];
  const leftOut = () => new UnreadableAnswerError("left keys unread");
  if (!isRecord(unprocessed) || Object.keys(unprocessed).some((name) => name !== tableName)) {
    throw leftOut();
  }
  const table = unprocessed[tableName];
  const listed = isRecord(table) && Array.isArray(table.Keys) ? table.Keys : undefined;
  if (listed === undefined || listed.length === 0) throw leftOut();
  const unread = listed.map((key) => (isRecord(key) ? stringOf(key, PK) : undefined));
  if (unread.some((key) => key === undefined || !keys.includes(key))) throw leftOut();
  return unread as string[];
}

const isEmpty = (object: object) => Object.keys(object).length === 0;

/** The BatchGetItem input for `keys`: strongly consistent, or a revocation just made is missed. */
export function batchGetInput(tableName: string, keys: readonly string[]) {
  return {
    RequestItems: {
      [tableName]: { Keys: keys.map((pk) => ({ [PK]: { S: pk } })), ConsistentRead: true },
    },
  };
}
