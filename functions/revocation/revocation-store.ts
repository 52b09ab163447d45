/**
 * Revocations in DynamoDB, by session: recording a logout and refusing revoked tokens, with the
 * items and keys of `revocation-table.ts`. Fails safe: when DynamoDB cannot answer, or answers
 * something that does not hold what was asked, a logout is not reported as done and a possibly
 * revoked token is refused, both as `RevocationStoreUnavailableError`.
 *
 * The invariants it keeps (the model-based test states them the same way):
 * - a user revocation at T covers every session of the user that began at or before T (by its
 *   start: `auth_time`, else `iat`, in whole seconds), whenever its tokens were minted;
 * - sessions that began after T are untouched: T is now, or the asking session's start where
 *   that is later (its issuer's clock runs ahead), and never earlier than the user's last T;
 * - a later revocation never narrows an earlier one; a replay changes nothing;
 * - every record lives as long as any token it covers can be accepted.
 */
import { createHash } from "node:crypto";
import type { RevocationConfig } from "../config/config.js";
import { type Clock, systemClock } from "../domain/clock.js";
import {
  NoSubjectError,
  RevocationStoreMisconfiguredError,
  RevocationStoreUnavailableError,
  TokenRevokedError,
} from "../domain/errors.js";
import type { LogoutRecord, OperatorRevocation, RevocationRecorder } from "../domain/ports.js";
import {
  CLOCK_LEEWAY_SECONDS,
  sessionStart,
  type VerifiedToken,
} from "../domain/verified-token.js";
import { type DynamoDbClient, DynamoDbError } from "./dynamodb-client.js";
import {
  isSessionKey,
  REVOCATION_TABLE,
  sessionKey,
  type UserIdentity,
  userKey,
} from "./revocation-table.js";

const { partitionKey: PK, timeToLiveAttribute: EXPIRES_AT } = REVOCATION_TABLE;

/** How many of a user's recent global and others logouts are remembered for their replays. */
export const REMEMBERED_LOGOUTS = 32;
/** How often a user-wide write is tried again when another logout of the user wrote first. */
const USER_WRITE_ATTEMPTS = 5;

type Item = Record<string, unknown>;

/** A session's or a token's revocation. */
interface SessionRevocation {
  expiresAt: number;
  revokedBy: string;
}

/**
 * A user's revocations by time: sessions that began at or before `keptSessionRevokedBefore`,
 * and those but `keptSession` that began at or before `revokedBefore` (>= the former).
 */
interface UserRevocations {
  version: number;
  expiresAt: number;
  revokedBefore: number;
  keptSessionRevokedBefore: number;
  keptSession: string | undefined;
  /** Recent logouts' digests, each until the token that made it can no longer be used. */
  logouts: Map<string, number>;
}

/** DynamoDB answered 2xx with something that is not the answer to what was asked. */
export class UnreadableAnswerError extends Error {
  constructor(problem: string) {
    super(`DynamoDB's answer ${problem}`);
    this.name = "UnreadableAnswerError";
  }
}

const isObject = (value: unknown): value is Item =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function stringOf(item: Item, name: string): string | undefined {
  const value = item[name];
  return isObject(value) && typeof value.S === "string" ? value.S : undefined;
}

function numberOf(item: Item, name: string): number {
  const value = item[name];
  const number = isObject(value) && typeof value.N === "string" ? Number(value.N) : Number.NaN;
  if (!Number.isFinite(number)) throw new UnreadableAnswerError(`has an item without ${name}`);
  return number;
}

function sessionRevocationOf(item: Item): SessionRevocation {
  const revokedBy = stringOf(item, "revokedBy");
  if (revokedBy === undefined) throw new UnreadableAnswerError("has an item without revokedBy");
  return { expiresAt: numberOf(item, EXPIRES_AT), revokedBy };
}

function userRevocationsOf(item: Item): UserRevocations {
  // A list, oldest first: DynamoDB keeps a list's order, not a map's.
  const logouts = new Map<string, number>();
  const stored = isObject(item.logouts) && Array.isArray(item.logouts.L) ? item.logouts.L : [];
  for (const entry of stored) {
    const remembered = isObject(entry) && isObject(entry.M) ? entry.M : {};
    const writer = stringOf(remembered, "writer");
    if (writer === undefined) throw new UnreadableAnswerError("has a logout without its writer");
    logouts.set(writer, numberOf(remembered, "until"));
  }
  const revocations = {
    version: numberOf(item, "version"),
    expiresAt: numberOf(item, EXPIRES_AT),
    revokedBefore: numberOf(item, "revokedBefore"),
    keptSessionRevokedBefore: numberOf(item, "keptSessionRevokedBefore"),
    keptSession: stringOf(item, "keptSession"),
    logouts,
  };
  if (revocations.keptSessionRevokedBefore > revocations.revokedBefore) {
    throw new UnreadableAnswerError("has a user item whose instants are out of order");
  }
  return revocations;
}

/**
 * The items a strongly consistent BatchGetItem of `keys` found. Fails closed on anything else:
 * keys left unread, no list for the table, or an item that was not asked for.
 */
function itemsOf(output: unknown, tableName: string, keys: readonly string[]): Map<string, Item> {
  if (!isObject(output)) throw new UnreadableAnswerError("is not an object");
  const { Responses, UnprocessedKeys } = output;
  if (UnprocessedKeys !== undefined && !(isObject(UnprocessedKeys) && isEmpty(UnprocessedKeys))) {
    throw new UnreadableAnswerError("left keys unread");
  }
  const items = isObject(Responses) ? Responses[tableName] : undefined;
  if (!Array.isArray(items)) throw new UnreadableAnswerError("holds no list for the table");
  const found = new Map<string, Item>();
  for (const item of items) {
    const key = isObject(item) ? stringOf(item, PK) : undefined;
    if (key === undefined || !keys.includes(key) || found.has(key)) {
      throw new UnreadableAnswerError("holds an item that was not asked for");
    }
    found.set(key, item);
  }
  return found;
}

const isEmpty = (object: object) => Object.keys(object).length === 0;

/**
 * What a logout records as its writer, and what a replay of it is recognised by: bound to the
 * token's session, so no other token can pass for it.
 */
function writerOf(session: string, logoutId: string): string {
  return createHash("sha256")
    .update(JSON.stringify([session, logoutId]))
    .digest("base64url");
}

/** Whole seconds: iat and auth_time are whole seconds, so a session of the same second counts as before. */
const startSecond = (token: VerifiedToken) => Math.floor(sessionStart(token.claims));

function coveredByUser(user: UserRevocations, token: VerifiedToken, session: string): boolean {
  const began = startSecond(token);
  return (
    began <= user.keptSessionRevokedBefore ||
    (began <= user.revokedBefore && user.keptSession !== session)
  );
}

/** The item of a user-wide revocation at `instant`: the union of it and what was there. */
function withUserRevocation(
  previous: UserRevocations | undefined,
  instant: number,
  keptSession: string | undefined,
): Pick<UserRevocations, "revokedBefore" | "keptSessionRevokedBefore" | "keptSession"> {
  if (keptSession === undefined) {
    return { revokedBefore: instant, keptSessionRevokedBefore: instant, keptSession };
  }
  // The newly kept session stays covered as far as it was; every other one up to `instant`.
  const keptSessionRevokedBefore =
    previous === undefined
      ? 0
      : previous.keptSession === keptSession
        ? previous.keptSessionRevokedBefore
        : previous.revokedBefore;
  return { revokedBefore: instant, keptSessionRevokedBefore, keptSession };
}

/** A user-wide revocation at `instant`, and the logout that made it, remembered until then. */
interface UserChange {
  instant: number;
  keptSession: string | undefined;
  writer: string;
  rememberUntil: number;
}

interface Snapshot {
  now: number;
  session: SessionRevocation | undefined;
  user: UserRevocations | undefined;
  /** The user item's version, even where it has expired: the next write follows it. */
  userVersion: number | undefined;
}

/** DynamoDB's answers that say this deployment is wrong (table, grants, request), not busy. */
const MISCONFIGURED = new Set([
  "AccessDeniedException",
  "ResourceNotFoundException",
  "ValidationException",
  "UnrecognizedClientException",
]);

/** A failed call (DynamoDB's, or an answer it could not read), in the store's own terms. */
function storeError(error: unknown): Error {
  return error instanceof DynamoDbError && MISCONFIGURED.has(error.type)
    ? new RevocationStoreMisconfiguredError({ cause: error })
    : new RevocationStoreUnavailableError({ cause: error });
}

const conditionFailed = (error: unknown) =>
  error instanceof DynamoDbError && error.type === "ConditionalCheckFailedException";

export function createRevocationStore(
  dynamodb: DynamoDbClient,
  { tableName, maxSessionSeconds, maxTokenLifetimeSeconds }: RevocationConfig,
  clock: Clock = systemClock,
): RevocationRecorder & OperatorRevocation {
  async function read(keys: string[]): Promise<Map<string, Item>> {
    const output = await dynamodb.send<unknown>("BatchGetItem", {
      RequestItems: {
        [tableName]: { Keys: keys.map((pk) => ({ [PK]: { S: pk } })), ConsistentRead: true },
      },
    });
    return itemsOf(output, tableName, keys);
  }

  /** DynamoDB's TTL deletes late (up to days): an item past its expiry counts as absent. */
  const live = <T extends { expiresAt: number }>(record: T | undefined, now: number) =>
    record !== undefined && record.expiresAt > now ? record : undefined;

  function snapshotOf(
    found: Map<string, Item>,
    session: string | undefined,
    user: string | undefined,
  ) {
    const now = clock.now();
    const sessionItem = session === undefined ? undefined : found.get(session);
    const userItem = user === undefined ? undefined : found.get(user);
    const userRecord = userItem && userRevocationsOf(userItem);
    return {
      now,
      session: live(sessionItem && sessionRevocationOf(sessionItem), now),
      user: live(userRecord, now),
      userVersion: userRecord?.version,
    } satisfies Snapshot;
  }

  /** The session's and the user's items, whichever are named, read in one request. */
  async function snapshot(
    session: string | undefined,
    user: string | undefined,
  ): Promise<Snapshot> {
    const keys = [session, user].filter((key): key is string => key !== undefined);
    try {
      return snapshotOf(await read(keys), session, user);
    } catch (error) {
      // Fail closed: a token we cannot check may be revoked.
      throw storeError(error);
    }
  }

  /** `writer` where the caller is a logout: its own earlier record is a replay, not a revocation. */
  function verdict(
    { now, session: sessionRecord, user }: Snapshot,
    token: VerifiedToken,
    session: string,
    writer?: string,
  ): "clear" | "revoked" | "replayed" {
    if (writer !== undefined) {
      const remembered = user?.logouts.get(writer);
      if (remembered !== undefined && remembered > now) return "replayed";
      // A local logout's replay answers as it did, unless a user revocation covers it now.
      if (sessionRecord?.revokedBy === writer) {
        return user && coveredByUser(user, token, session) ? "revoked" : "replayed";
      }
    }
    if (sessionRecord !== undefined) return "revoked";
    return user && coveredByUser(user, token, session) ? "revoked" : "clear";
  }

  /** Until no token the session's item covers can be accepted. */
  function sessionExpiry(session: string, token: VerifiedToken, now: number): number {
    const { exp, auth_time: authTime } = token.claims;
    const ownExpiry = Math.ceil(exp) + CLOCK_LEEWAY_SECONDS + 1;
    if (!isSessionKey(session)) return ownExpiry;
    // With auth_time the verifier refuses the session's tokens once it is older than the bound;
    // without it, only the issuer's refresh token validity (at most the bound) ends the session.
    const sessionEnd =
      typeof authTime === "number"
        ? Math.ceil(authTime) + maxSessionSeconds + 1
        : Math.ceil(now) + maxSessionSeconds + maxTokenLifetimeSeconds + CLOCK_LEEWAY_SECONDS + 1;
    return Math.max(ownExpiry, sessionEnd);
  }

  async function revokeSession(token: VerifiedToken, logoutId: string): Promise<LogoutRecord> {
    const now = clock.now();
    const session = sessionKey(token);
    const writer = writerOf(session, logoutId);
    const user = userKey(token.claims);
    const keys = user === undefined ? [session] : [session, user];
    // One round trip: the conditional write, and beside it the read that says whether a user
    // revocation covers the token already, or (when the write finds an item) whose item it is.
    const [written, found] = await Promise.allSettled([
      dynamodb.send("PutItem", {
        TableName: tableName,
        Item: {
          [PK]: { S: session },
          [EXPIRES_AT]: { N: String(sessionExpiry(session, token, now)) },
          revokedAt: { N: String(Math.floor(now)) },
          revokedBy: { S: writer },
        },
        ConditionExpression: "attribute_not_exists(#pk) OR #expiresAt <= :now",
        ExpressionAttributeNames: { "#pk": PK, "#expiresAt": EXPIRES_AT },
        ExpressionAttributeValues: { ":now": { N: String(Math.floor(now)) } },
      }),
      read(keys),
    ]);
    if (written.status === "rejected" && !conditionFailed(written.reason)) {
      throw storeError(written.reason);
    }
    // Recorded or not, whether the token was usable is unknown without the read: not a 200.
    if (found.status === "rejected") throw storeError(found.reason);
    let state: Snapshot;
    try {
      state = snapshotOf(found.value, session, user);
    } catch (error) {
      throw storeError(error);
    }
    if (written.status === "fulfilled") {
      // The session's item is this logout's own now: only the user's revocations matter.
      if (state.user && coveredByUser(state.user, token, session)) throw new TokenRevokedError();
      return "recorded";
    }
    // The item was there before. Ours (a replay, or a retried write whose answer was lost), or
    // another logout's; a read that ran before that write landed shows none: revoked, then.
    if (verdict(state, token, session, writer) === "replayed") return "replayed";
    throw new TokenRevokedError();
  }

  /**
   * Writes the user's item: the union of what was read and a revocation at `instant`, with
   * `writer` remembered until `rememberUntil`, under the version read. The condition's error
   * where another logout of the user wrote in between: read again.
   */
  async function writeUser(
    user: string,
    state: Pick<Snapshot, "now" | "user" | "userVersion">,
    change: UserChange,
  ): Promise<"written" | DynamoDbError> {
    const previous = state.user;
    const revocation = withUserRevocation(previous, change.instant, change.keptSession);
    const logouts = rememberedLogouts(previous, Math.floor(state.now));
    logouts.set(change.writer, change.rememberUntil);
    // A covered session is refused once older than the bound; the token's own record outlives it.
    const expiresAt = Math.max(
      change.instant + maxSessionSeconds + CLOCK_LEEWAY_SECONDS + 1,
      ...logouts.values(),
    );
    try {
      await dynamodb.send("PutItem", {
        TableName: tableName,
        Item: userItem(user, { ...revocation, expiresAt, logouts }, state.userVersion),
        // Written over only as read: another logout of the user in between is read again.
        ConditionExpression: "attribute_not_exists(#pk) OR #version = :version",
        ExpressionAttributeNames: { "#pk": PK, "#version": "version" },
        ExpressionAttributeValues: { ":version": { N: String(state.userVersion ?? 0) } },
      });
      return "written";
    } catch (error) {
      if (conditionFailed(error)) return error as DynamoDbError;
      throw storeError(error);
    }
  }

  /**
   * Reads and writes the user's item until a write lands (another logout of the user in
   * between is read again), then waits until a session begun after the answer can be told apart
   * by its start: the next second.
   */
  async function reviseUser(
    user: string,
    plan: () => Promise<"replayed" | { state: Snapshot; change: UserChange }>,
  ): Promise<LogoutRecord> {
    let conflict: DynamoDbError | undefined;
    for (let attempt = 1; attempt <= USER_WRITE_ATTEMPTS; attempt++) {
      const planned = await plan();
      if (planned === "replayed") return "replayed";
      const written = await writeUser(user, planned.state, planned.change);
      if (written === "written") {
        await clock.sleepUntil(Math.floor(planned.state.now) + 1);
        return "recorded";
      }
      conflict = written;
    }
    // Too many concurrent logouts of the user to say: retry later.
    throw storeError(conflict);
  }

  async function revokeUserSessions(
    token: VerifiedToken,
    { keepOwnSession, logoutId }: { keepOwnSession: boolean; logoutId: string },
  ): Promise<LogoutRecord> {
    const user = userKey(token.claims);
    if (user === undefined) throw new NoSubjectError();
    const session = sessionKey(token);
    const writer = writerOf(session, logoutId);
    return reviseUser(user, async () => {
      const state = await snapshot(session, user);
      // Only a token that no revocation covers may move the user's; a replay moves nothing.
      const found = verdict(state, token, session, writer);
      if (found === "replayed") return "replayed";
      if (found === "revoked") throw new TokenRevokedError();
      const second = Math.floor(state.now);
      return {
        state,
        change: {
          instant: Math.max(second, startSecond(token), state.user?.revokedBefore ?? 0),
          keptSession: keepOwnSession ? session : undefined,
          writer,
          rememberUntil: Math.ceil(token.claims.exp) + CLOCK_LEEWAY_SECONDS + 1,
        },
      };
    });
  }

  /**
   * An operator's sign-out of a user, with no token of theirs: what a global logout does, at
   * now. Its replay (the same `logoutId`) is remembered as long as a token may live.
   */
  async function revokeUser(identity: UserIdentity, logoutId: string): Promise<LogoutRecord> {
    const user = userKey(identity);
    if (user === undefined) throw new NoSubjectError();
    const writer = writerOf(user, logoutId);
    return reviseUser(user, async () => {
      const state = await snapshot(undefined, user);
      const remembered = state.user?.logouts.get(writer);
      if (remembered !== undefined && remembered > state.now) return "replayed";
      const second = Math.floor(state.now);
      return {
        state,
        change: {
          instant: Math.max(second, state.user?.revokedBefore ?? 0),
          keptSession: undefined,
          writer,
          rememberUntil: second + maxTokenLifetimeSeconds + CLOCK_LEEWAY_SECONDS + 1,
        },
      };
    });
  }

  return {
    async assertNotRevoked(token) {
      const session = sessionKey(token);
      if (verdict(await snapshot(session, userKey(token.claims)), token, session) !== "clear") {
        throw new TokenRevokedError();
      }
    },

    async findLogout(token, logoutId) {
      const session = sessionKey(token);
      const found = verdict(
        await snapshot(session, userKey(token.claims)),
        token,
        session,
        writerOf(session, logoutId),
      );
      if (found === "revoked") throw new TokenRevokedError();
      return found === "replayed" ? "replayed" : "new";
    },

    revokeSession,
    revokeUserSessions,
    revokeUser,
  };
}

/** The logouts still worth remembering at `now`, with room for one more: the most recent ones. */
function rememberedLogouts(
  previous: UserRevocations | undefined,
  now: number,
): Map<string, number> {
  const live = [...(previous?.logouts ?? [])].filter(([, until]) => until > now);
  return new Map(live.slice(-(REMEMBERED_LOGOUTS - 1)));
}

function userItem(
  key: string,
  record: Omit<UserRevocations, "version">,
  previousVersion: number | undefined,
): Item {
  const number = (value: number) => ({ N: String(value) });
  return {
    [PK]: { S: key },
    [EXPIRES_AT]: number(record.expiresAt),
    version: number((previousVersion ?? 0) + 1),
    revokedBefore: number(record.revokedBefore),
    keptSessionRevokedBefore: number(record.keptSessionRevokedBefore),
    ...(record.keptSession === undefined ? {} : { keptSession: { S: record.keptSession } }),
    logouts: {
      L: [...record.logouts].map(([writer, until]) => ({
        M: { writer: { S: writer }, until: number(until) },
      })),
    },
  };
}
