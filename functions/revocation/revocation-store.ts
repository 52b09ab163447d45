/**
 * Revocations on the table's port: the rules of `revocation-rules.ts` applied in order, with
 * the port's reads and conditional writes (`table-port.ts`), in the format of
 * `revocation-items.ts`. Fails safe: when the table cannot answer, or answers something that
 * does not hold what was asked, a logout is not reported as done and a possibly revoked token is
 * refused, both as the port's errors (`RevocationStoreUnavailableError`, or where the deployment
 * is wrong, `RevocationStoreMisconfiguredError`). `createRevocationStore` is it on DynamoDB.
 * It has three sides, one per caller (the logout's, the operator's, the identity provider's),
 * which share the user-wide write (`reviseUser`).
 */
import { randomUUID } from "node:crypto";
import type { RevocationConfig } from "../config/config.js";
import { type Clock, systemClock } from "../domain/clock.js";
import {
  LogoutInProgressError,
  NoSubjectError,
  RevocationStoreUnavailableError,
  TokenRevokedError,
} from "../domain/errors.js";
import type {
  LogoutRecord,
  OperatorRevocation,
  ProviderOrigin,
  ProviderRecord,
  ProviderRevocation,
  ProviderSession,
  RevocationRecorder,
} from "../domain/ports.js";
import type { VerifiedToken } from "../domain/verified-token.js";
import type { DynamoDbClient } from "./dynamodb-client.js";
import { dynamoDbTable } from "./dynamodb-table.js";
import {
  noticeOf,
  type RevocationNotice,
  sessionItem,
  UnreadableAnswerError,
  userItem,
} from "./revocation-items.js";
import { createRevocationReader, type Read, snapshotKeys } from "./revocation-reader.js";
import {
  globalLogout,
  operatorSignOut,
  othersLogout,
  planUserRevocation,
  providerSignOut,
  type RevocationLimits,
  replayPlan,
  sessionExpiry,
  sessionItemExpiry,
  sessionOutcome,
  type UserRevocation,
  type UserRevocationRequest,
  verdict,
  writerOf,
} from "./revocation-rules.js";
import {
  claimKey,
  providerOnlyKeys,
  providerSessionKey,
  REVOCATION_TABLE,
  sessionKeys,
  sessionTargets,
  type UserIdentity,
  userKey,
} from "./revocation-table.js";
import type { RevocationTablePort } from "./table-port.js";

export { REMEMBERED_LOGOUTS } from "./revocation-rules.js";
export { UnreadableAnswerError };

const { partitionKey: PK, timeToLiveAttribute: EXPIRES_AT } = REVOCATION_TABLE;

/** Every side of the store: the logout's, the operator's, the identity provider's. */
export type RevocationStore = RevocationRecorder & OperatorRevocation & ProviderRevocation;

/** The store's limits: the stage's, as the configuration reads them. */
export type StoreLimits = Omit<RevocationConfig, "tableName">;

/**
 * How long a logout's claim on the identity provider's call holds: its call budget and a
 * retry (`WAIT_BUDGETS.cognitoCallMs`, 3 s), and the record after it. A request that failed or
 * died frees it by its lapse: the client's retry then goes through.
 */
const CLAIM_SECONDS = 10;

/** How often a user-wide write is tried again when another logout of the user wrote first. */
const USER_WRITE_ATTEMPTS = 5;

/** Busy until `retryAt`: the client is told the whole seconds to wait. */
const busy = (retryAt: number, now: number) =>
  new LogoutInProgressError(Math.max(1, Math.ceil(retryAt - now)));

/**
 * The notice of the user's revocation in force, where `record` moves nothing: the item still
 * announces it (its event, republished, keeps its time and reason), not the write that kept it.
 */
function announced({ user, userItem: item }: Read, record: UserRevocation) {
  if (user === undefined || record.revokedBefore > user.revokedBefore) return undefined;
  // Items of the release before notices have none, and an unreadable one is replaced: this
  // write gives one.
  try {
    return item?.notice === undefined ? undefined : noticeOf(item);
  } catch {
    return undefined;
  }
}

/** The store on DynamoDB: the stage's table, through the port's DynamoDB adapter. */
export function createRevocationStore(
  dynamodb: DynamoDbClient,
  config: RevocationConfig,
  clock: Clock = systemClock,
): RevocationStore {
  return storeSideOnDynamoDb(createStoreOnTable, dynamodb, config, clock);
}

/** One side of the store on DynamoDB. */
export function storeSideOnDynamoDb<Side>(
  side: StoreSide<Side>,
  dynamodb: DynamoDbClient,
  { tableName, ...limits }: RevocationConfig,
  clock: Clock = systemClock,
): Side {
  return side(dynamoDbTable(dynamodb, tableName), limits, clock);
}

/**
 * One side of the store, on a table: each function bundles only the side it uses (a store of
 * every side would carry the operator's and the provider's code into the logout's bundle).
 */
export type StoreSide<Side> = (
  table: RevocationTablePort,
  limits: StoreLimits,
  clock?: Clock,
) => Side;

/** Every side at once, on one table: the package's store, and the model test's. */
export const createStoreOnTable: StoreSide<RevocationStore> = (table, limits, clock) => ({
  ...recorderOnTable(table, limits, clock),
  ...operatorRevocationOnTable(table, limits, clock),
  ...providerRevocationOnTable(table, limits, clock),
});

/** What every side works with: the table, the rules' limits, the clock, the table's reader. */
interface Parts {
  table: RevocationTablePort;
  limits: RevocationLimits;
  clock: Clock;
  reader: ReturnType<typeof createRevocationReader>;
}

function partsOf(table: RevocationTablePort, limits: StoreLimits, clock = systemClock): Parts {
  return {
    table,
    limits: { ...limits, issuerClockLagSeconds: limits.issuerClockLagMs / 1000 },
    clock,
    reader: createRevocationReader((keys) => table.read(keys), clock),
  };
}

/** The logout's side: the check, the claim before the identity provider, and the writes. */
export const recorderOnTable: StoreSide<RevocationRecorder> = (table, storeLimits, clock) => {
  const parts = partsOf(table, storeLimits, clock);
  const { limits, reader } = parts;
  const { decode, snapshot } = reader;

  async function revokeSession(token: VerifiedToken, logoutId: string): Promise<LogoutRecord> {
    const now = parts.clock.now();
    const targets = sessionTargets(token);
    const sessions = targets.map((target) => target.key);
    const writer = writerOf(sessions[0] as string, logoutId);
    const user = userKey(token.claims);
    const providerKeys = providerOnlyKeys(token);
    const { iss, sub } = token.claims;
    // One round trip: a conditional write per session key, and beside them the read that says
    // whether a user revocation covers the token already, or whose item a write found.
    const writes = targets.map(({ key, session, jti, tokenSha256 }) =>
      table.putUnlessLive(
        sessionItem(
          key,
          { expiresAt: sessionExpiry(key, token, now, limits), revokedBy: writer },
          {
            scope: "local",
            iss,
            ...(typeof sub === "string" ? { sub } : {}),
            ...(session === undefined ? {} : { session }),
            ...(jti === undefined ? {} : { jti }),
            ...(tokenSha256 === undefined ? {} : { tokenSha256 }),
            at: Math.floor(now * 1000),
          },
        ),
        now,
      ),
    );
    const [found, ...written] = await Promise.allSettled([
      table.read(snapshotKeys(sessions, user, providerKeys)),
      ...writes,
    ]);
    const failed = written.find((write) => write.status === "rejected");
    if (failed?.status === "rejected") throw failed.reason;
    // Recorded or not, whether the token was usable is unknown without the read: not a 200.
    if (found.status === "rejected") throw found.reason;
    const state = decode(found.value, sessions, user, providerKeys);
    const landed = written.map((write) => write.status === "fulfilled" && write.value);
    const outcome = sessionOutcome(state, token, writer, landed);
    if (outcome === "revoked") throw new TokenRevokedError();
    return outcome;
  }

  async function revokeUserSessions(
    token: VerifiedToken,
    { keepOwnSession, logoutId }: { keepOwnSession: boolean; logoutId: string },
  ): Promise<LogoutRecord> {
    const user = userKey(token.claims);
    if (user === undefined) throw new NoSubjectError();
    const sessions = sessionKeys(token);
    const writer = writerOf(sessions[0] as string, logoutId);
    // Checked before any read: a token without auth_time may not ask at all.
    if (keepOwnSession) othersLogout(token, parts.clock.now());
    const { iss, sub } = token.claims as UserIdentity & { sub: string };
    return reviseUser(
      parts,
      sessions,
      user,
      writer,
      (state) => {
        // Only a token that no revocation covers may move the user's; a replay moves nothing.
        const found = verdict(state, token, writer);
        if (found === "revoked") throw new TokenRevokedError();
        if (found === "replayed") return "replayed";
        return keepOwnSession
          ? othersLogout(token, state.now)
          : globalLogout(token, state.now, writer);
      },
      { scope: keepOwnSession ? "others" : "global", iss, sub },
      providerOnlyKeys(token),
    );
  }

  return {
    assertNotRevoked: reader.assertNotRevoked,

    async claimLogout(token, logoutId) {
      const sessions = sessionKeys(token);
      const writer = writerOf(sessions[0] as string, logoutId);
      const state = await snapshot(sessions, userKey(token.claims), providerOnlyKeys(token));
      const found = verdict(state, token, writer);
      if (found === "revoked") throw new TokenRevokedError();
      if (found === "replayed") {
        // A replay before the identity provider is asked: it answers as every replay does.
        const plan = replayPlan(state.user, writer, state.now, limits);
        if (plan.kind === "busy") throw busy(plan.retryAt, state.now);
        await parts.clock.sleepUntil(plan.answerAt);
        return "replayed";
      }
      // Not recorded yet: one request of this logout at a time may call the identity provider.
      const now = Math.floor(state.now);
      const claimed = await table.putUnlessLive(
        { [PK]: { S: claimKey(writer) }, [EXPIRES_AT]: { N: String(now + CLAIM_SECONDS) } },
        now,
      );
      // Another request of this logout is at the identity provider: ask again in a second.
      if (!claimed) throw busy(state.now + 1, state.now);
      return "new";
    },

    revokeSession,
    revokeUserSessions,
  };
};

/** The operator's side: a user's sign-out without a token of theirs. */
export const operatorRevocationOnTable: StoreSide<OperatorRevocation> = (
  table,
  storeLimits,
  clock,
) => {
  const parts = partsOf(table, storeLimits, clock);
  const { limits } = parts;

  /** An operator's sign-out of a user, with no token of theirs: a global logout, at now. */
  async function revokeUser(
    identity: { iss: string; sub: string },
    logoutId: string,
    reason?: string,
  ): Promise<LogoutRecord> {
    const user = userKey(identity);
    if (user === undefined) throw new NoSubjectError();
    const writer = writerOf(user, logoutId);
    return reviseUser(
      parts,
      [],
      user,
      writer,
      (state) => operatorSignOut(state.now, writer, limits),
      {
        scope: "operator",
        iss: identity.iss,
        sub: identity.sub,
        ...(reason === undefined ? {} : { reason }),
      },
    );
  }

  return { revokeUser };
};

/** The identity provider's side: its sign-outs, of one session or of the user. */
export const providerRevocationOnTable: StoreSide<ProviderRevocation> = (
  table,
  storeLimits,
  clock,
) => {
  const parts = partsOf(table, storeLimits, clock);
  const { limits } = parts;

  /**
   * The identity provider ended one of its sessions (`sid`): the session's item, as a local
   * logout of it writes, so every token of it is refused. Its writer is the provider's message
   * (`messageId`): the same message again finds its own item and changes nothing.
   */
  async function endProviderSession(
    { iss, sub, sid }: ProviderSession,
    messageId: string,
    { initiator, reason }: ProviderOrigin,
  ): Promise<ProviderRecord> {
    const now = parts.clock.now();
    const key = providerSessionKey({ iss, sub }, sid);
    const written = await table.putUnlessLive(
      sessionItem(
        key,
        { expiresAt: sessionItemExpiry(now, limits), revokedBy: writerOf(key, messageId) },
        {
          scope: "provider",
          iss,
          ...(sub === undefined ? {} : { sub }),
          session: sid,
          initiator,
          reason,
          at: Math.floor(now * 1000),
        },
      ),
      now,
    );
    return written ? "recorded" : "unchanged";
  }

  /** The identity provider signed the user out at `at`: every session begun before its second. */
  async function endProviderUserSessions(
    identity: { iss: string; sub: string },
    at: number,
    { initiator, reason }: ProviderOrigin,
  ): Promise<ProviderRecord> {
    const user = userKey(identity);
    if (user === undefined) throw new NoSubjectError();
    const recorded = await reviseUser(
      parts,
      [],
      user,
      writerOf(user, `provider:${at}`),
      (state) => providerSignOut(at, state.now),
      { scope: "provider", iss: identity.iss, sub: identity.sub, initiator, reason },
    );
    return recorded === "recorded" ? "recorded" : "unchanged";
  }

  return { endProviderSession, endProviderUserSessions };
};

/**
 * Reads the user's item and writes the union of it and `request` under the version read,
 * until a write lands (another logout of the user in between is read again); then waits
 * until the rules say the answer may go. `admit` says, from what was read, whether the asker
 * may act at all; `notice`, what the write means to others.
 */
async function reviseUser(
  { table, limits, clock, reader: { snapshot } }: Parts,
  sessions: readonly string[],
  user: string,
  writer: string,
  admit: (state: Read) => "replayed" | UserRevocationRequest,
  notice: Omit<RevocationNotice, "at">,
  providerKeys: readonly string[] = [],
): Promise<LogoutRecord> {
  // This request's own mark on what it writes: a write whose answer was lost is found by it.
  const requestId = randomUUID();
  for (let attempt = 1; attempt <= USER_WRITE_ATTEMPTS; attempt++) {
    const state = await snapshot(sessions, user, providerKeys);
    const admitted = admit(state);
    const plan =
      admitted === "replayed"
        ? replayPlan(state.user, writer, state.now, limits, requestId)
        : planUserRevocation(
            state.user,
            state.now,
            admitted.remember
              ? { ...admitted, remember: { ...admitted.remember, request: requestId } }
              : admitted,
            limits,
          );
    if (plan.kind === "unchanged") return "unchanged";
    if (plan.kind === "busy") throw busy(plan.retryAt, state.now);
    if (plan.kind === "replayed") {
      await clock.sleepUntil(plan.answerAt);
      return "replayed";
    }
    const written = await table.putOverVersion(
      userItem(
        user,
        plan.record,
        (state.userVersion ?? 0) + 1,
        announced(state, plan.record) ?? { ...notice, at: Math.floor(state.now * 1000) },
      ),
      state.userVersion,
    );
    // Another logout of the user wrote in between: read again.
    if (!written) continue;
    await clock.sleepUntil(plan.answerAt);
    return "recorded";
  }
  // Too many concurrent logouts of the user to say: retry later.
  throw new RevocationStoreUnavailableError({
    cause: new Error(`${USER_WRITE_ATTEMPTS} writes of the user lost to others`),
  });
}
