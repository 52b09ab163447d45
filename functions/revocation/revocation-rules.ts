/**
 * The revocation rules, with no I/O: what the records read say of a token, and what a logout
 * writes and when it may answer. The store reads and writes (`revocation-store.ts`), the codec
 * holds the items' format (`revocation-items.ts`); every decision is made here.
 *
 * A user-wide revocation is one instant T: "every session of the user that began at or before
 * T", by its start (`auth_time`, else `iat`, in whole seconds), whenever its tokens were minted.
 * So the union of all of them is the largest T, and:
 * - `global`: T is now (or the asking session's start, where the issuer's clock runs ahead):
 *   every session up to now, the asker's included;
 * - `others`: T is the asking session's start (or our second, where that is earlier) minus one
 *   second: every session that began in an earlier second, never the asker's, never a later one;
 * - the operator's sign-out: T is now;
 * - the identity provider's sign-out of a user: T is a second before it happened.
 * So no session can revoke a later session and stay valid itself. A logout whose T is covered
 * already changes nothing and waits for nothing; one whose T is now answers only once a session
 * begun after the answer starts after T, by the issuer's clock too, however far (up to the
 * configured lag) that clock runs behind ours.
 */
import { createHash } from "node:crypto";
import { SessionStartUnknownError } from "../domain/errors.js";
import {
  CLOCK_LEEWAY_SECONDS,
  sessionStart,
  type VerifiedToken,
} from "../domain/verified-token.js";
import { isSessionKey } from "./revocation-table.js";

/** How many of a user's recent global logouts, and of operators' sign-outs, are remembered. */
export const REMEMBERED_LOGOUTS = 32;

/** A session's, or a token's, revocation. */
export interface SessionRevocation {
  expiresAt: number;
  /** The digest of the logout that made it (`writerOf`). */
  revokedBy: string;
}

/** A user-wide logout, remembered so that its replay changes nothing. */
export interface RememberedLogout {
  writer: string;
  by: "user" | "admin";
  /** Until its token (or, for an operator, any token) can no longer be used. */
  until: number;
  /**
   * When its first answer went, or goes: a replay answers then, never sooner, never later.
   * Absent in items of the release before, where the user's latest instant stands in.
   */
  answerAt?: number;
  /**
   * The request that wrote it (a random id): a request whose write's answer was lost finds its
   * own write by it, and waits as the first instance; any other finds another's, a replay.
   */
  request?: string;
}

/** A user's revocations: every session that began at or before `revokedBefore`. */
export interface UserRevocation {
  expiresAt: number;
  revokedBefore: number;
  /** Oldest first. */
  logouts: readonly RememberedLogout[];
}

/** The records one request read, as they stand at `now`. */
export interface Snapshot {
  now: number;
  /** One per key of `sessionKeys(token)`, in order: undefined where there is none. */
  sessions: readonly (SessionRevocation | undefined)[];
  user: UserRevocation | undefined;
  /** The identity provider ended the token's session naming only the session (`sid`). */
  endedByProvider?: boolean;
}

export interface RevocationLimits {
  maxSessionSeconds: number;
  maxTokenLifetimeSeconds: number;
  /** How far the issuer's clock may run behind ours: a revocation at now answers that late. */
  issuerClockLagSeconds: number;
}

/** DynamoDB's TTL deletes late (up to days): a record past its expiry counts as absent. */
export const live = <T extends { expiresAt: number }>(record: T | undefined, now: number) =>
  record !== undefined && record.expiresAt > now ? record : undefined;

/** Whole seconds: iat and auth_time are whole seconds, so a session of T's second is before T. */
export const startSecond = (token: VerifiedToken) => Math.floor(sessionStart(token.claims));

export const coveredByUser = (user: UserRevocation, token: VerifiedToken) =>
  startSecond(token) <= user.revokedBefore;

/**
 * What a logout records as its writer, and what a replay of it is recognised by: bound to the
 * token's session (or, for an operator, the user), so no other token can pass for it.
 */
export function writerOf(session: string, logoutId: string): string {
  return createHash("sha256")
    .update(JSON.stringify([session, logoutId]))
    .digest("base64url");
}

const isPresent = <T>(value: T | undefined): value is T => value !== undefined;

/**
 * Whether the token may act. `writer` where the caller is a logout: its own earlier record is a
 * replay, not a revocation, unless a user revocation covers the token now; where only some of
 * the token's session records are its own (a write that failed half-way), it is `clear`, so the
 * logout writes the rest.
 */
export function verdict(
  { now, sessions, user, endedByProvider }: Snapshot,
  token: VerifiedToken,
  writer?: string,
): "clear" | "revoked" | "replayed" {
  // The identity provider ended the session: covered as by a user-wide revocation.
  const covered = (user !== undefined && coveredByUser(user, token)) || endedByProvider === true;
  const found = sessions.filter(isPresent);
  if (writer !== undefined) {
    if (user?.logouts.some((logout) => logout.writer === writer && logout.until > now)) {
      return "replayed";
    }
    if (found.length > 0 && found.every((record) => record.revokedBy === writer)) {
      if (covered) return "revoked";
      return found.length === sessions.length ? "replayed" : "clear";
    }
  }
  if (found.length > 0) return "revoked";
  return covered ? "revoked" : "clear";
}

/**
 * Until no token that the item at `key` covers can be accepted. A session's tokens do not all
 * share its start: a re-authentication within it (OpenID's step-up) mints tokens of the same
 * session id with a later `auth_time`. So a session's item lives as long as the issuer may
 * mint tokens of that id (`maxSessionSeconds`, the stage's bound on one session, its refresh
 * token's validity) and the last of them may live, from the logout on.
 */
export function sessionExpiry(
  key: string,
  token: VerifiedToken,
  now: number,
  limits: RevocationLimits,
): number {
  const ownExpiry = Math.ceil(token.claims.exp) + CLOCK_LEEWAY_SECONDS + 1;
  if (!isSessionKey(key)) return ownExpiry;
  return Math.max(ownExpiry, sessionItemExpiry(now, limits));
}

/**
 * Until no token of a session revoked at `now` can be accepted: as long as the issuer may mint
 * tokens of that id (the stage's session bound) and the last of them may live.
 */
export function sessionItemExpiry(
  now: number,
  { maxSessionSeconds, maxTokenLifetimeSeconds }: Omit<RevocationLimits, "issuerClockLagSeconds">,
): number {
  return Math.ceil(now) + maxSessionSeconds + maxTokenLifetimeSeconds + CLOCK_LEEWAY_SECONDS + 1;
}

/**
 * A local logout's answer, from its conditional writes (one per session key: `landed` or not)
 * and the read made beside them. A write that did not land found an item: this logout's own (a
 * replay, or a retry whose answer was lost), or another's; a read that ran before that item was
 * written shows none, so it counts as another's.
 */
export function sessionOutcome(
  snapshot: Snapshot,
  token: VerifiedToken,
  writer: string,
  landed: readonly boolean[],
): "recorded" | "replayed" | "revoked" {
  const foundOthers = landed.some(
    (written, index) => !written && snapshot.sessions[index]?.revokedBy !== writer,
  );
  if (foundOthers || snapshot.endedByProvider === true) return "revoked";
  if (snapshot.user && coveredByUser(snapshot.user, token)) return "revoked";
  return landed.some(Boolean) ? "recorded" : "replayed";
}

/**
 * A user-wide revocation at `instant`. `remember`: a revocation at now, whose replay must be
 * recognised (the asker is revoked by it, or it is an operator's); `others` needs none, since
 * its instant depends on the asking session alone, so its replay finds it covered already.
 */
export interface UserRevocationRequest {
  instant: number;
  remember?: RememberedLogout;
}

/** `global`: every session up to now, the asker's included (`TokenRevokedError` after it). */
export function globalLogout(
  token: VerifiedToken,
  now: number,
  writer: string,
): UserRevocationRequest {
  return {
    instant: Math.max(Math.floor(now), startSecond(token)),
    remember: { writer, by: "user", until: Math.ceil(token.claims.exp) + CLOCK_LEEWAY_SECONDS + 1 },
  };
}

/**
 * `others`: every session that began in a second before the asker's. Only a token that says
 * when its session began (`auth_time`) may ask: a token's `iat` moves with every refresh, so
 * an old session refreshed would pass for a new one and reach sessions begun after it. Never
 * past our own present either: a token stamped ahead (within the verifier's leeway, by an
 * issuer whose clock runs ahead) would otherwise reach the sign-ins of the next seconds.
 */
export function othersLogout(token: VerifiedToken, now: number): UserRevocationRequest {
  if (typeof token.claims.auth_time !== "number") throw new SessionStartUnknownError();
  return { instant: Math.min(startSecond(token), Math.floor(now)) - 1 };
}

/** The operator's sign-out: every session up to now, remembered as long as a token may live. */
export function operatorSignOut(
  now: number,
  writer: string,
  { maxTokenLifetimeSeconds }: RevocationLimits,
): UserRevocationRequest {
  const second = Math.floor(now);
  return {
    instant: second,
    remember: {
      writer,
      by: "admin",
      until: second + maxTokenLifetimeSeconds + CLOCK_LEEWAY_SECONDS + 1,
    },
  };
}

/**
 * The identity provider's sign-out of a user at `at` (a back-channel logout token's `iat`, the
 * time of a Cognito pool's event): every session that began in a second before it. Never one
 * of its own second, which a sign-in right after it shares; never past our present either, so
 * an instant stamped ahead reaches no sign-in yet to come. So no later sign-in is reached.
 */
export function providerSignOut(at: number, now: number): UserRevocationRequest {
  return { instant: Math.min(Math.floor(at), Math.floor(now)) - 1 };
}

export type UserRevocationPlan =
  | { kind: "unchanged" }
  | { kind: "replayed"; answerAt: number }
  | { kind: "write"; record: UserRevocation; answerAt: number }
  /** It would wait while another logout of the user waits: not carried out, ask after it. */
  | { kind: "busy"; retryAt: number };

/**
 * What a user-wide revocation does to the user's record `user` (live, as read at `now`), and
 * when it may answer: not before a session begun after the answer starts after its instant.
 */
export function planUserRevocation(
  user: UserRevocation | undefined,
  now: number,
  { instant, remember }: UserRevocationRequest,
  limits: RevocationLimits,
): UserRevocationPlan {
  if (remember === undefined) {
    if (user !== undefined && instant <= user.revokedBefore) return { kind: "unchanged" };
  } else if (user?.logouts.some((l) => l.writer === remember.writer && l.until > now)) {
    return replayPlan(user, remember.writer, now, limits);
  }
  const answer = remember === undefined ? now : answerAt(instant, now, limits);
  // One waiting logout per user: a second that would wait is told when to ask again. An
  // operator's sign-out is never turned away.
  const waiting = remember?.by === "user" ? waitingUntil(user, now, limits) : undefined;
  if (answer > now && waiting !== undefined) return { kind: "busy", retryAt: waiting };
  const revokedBefore = Math.max(instant, user?.revokedBefore ?? Number.NEGATIVE_INFINITY);
  const logouts = remembered(
    user?.logouts ?? [],
    now,
    remember === undefined ? undefined : { ...remember, answerAt: answer },
  );
  // A covered session is refused once older than the bound; a remembered logout's token, later.
  const expiresAt = Math.max(
    revokedBefore + limits.maxSessionSeconds + CLOCK_LEEWAY_SECONDS + 1,
    ...logouts.map((logout) => logout.until),
  );
  // `others` reaches back before the asker's start: a sign-in after it is later anyway.
  return { kind: "write", record: { expiresAt, revokedBefore, logouts }, answerAt: answer };
}

/** When a remembered logout's first answer goes (items before `answerAt`: the latest instant). */
const firstAnswerAt = (
  logout: RememberedLogout,
  user: UserRevocation,
  now: number,
  limits: RevocationLimits,
) => logout.answerAt ?? answerAt(user.revokedBefore, now, limits);

/** Until when a logout of the user is waiting to answer, if one is. */
function waitingUntil(
  user: UserRevocation | undefined,
  now: number,
  limits: RevocationLimits,
): number | undefined {
  const pending = (user?.logouts ?? [])
    .map((logout) => firstAnswerAt(logout, user as UserRevocation, now, limits))
    .filter((at) => at > now);
  return pending.length === 0 ? undefined : Math.max(...pending);
}

/**
 * A replay of the remembered logout `writer`: it answers at its first answer's time, so at
 * once when that has gone; before then the first is still waiting, and a second instance must
 * not wait beside it: busy, ask again then.
 */
export function replayPlan(
  user: UserRevocation | undefined,
  writer: string,
  now: number,
  limits: RevocationLimits,
  /** The asking request's id: the write found is its own where the ids match. */
  request?: string,
): { kind: "replayed"; answerAt: number } | { kind: "busy"; retryAt: number } {
  const logout = user?.logouts.find((each) => each.writer === writer);
  const at = user && logout ? firstAnswerAt(logout, user, now, limits) : now;
  // Its own write, whose answer was lost: this is the first instance, and it waits.
  if (request !== undefined && logout?.request === request)
    return { kind: "replayed", answerAt: at };
  return at > now ? { kind: "busy", retryAt: at } : { kind: "replayed", answerAt: now };
}

/**
 * When a sign-in made from then on starts after `instant` by the issuer's clock. The issuer's
 * clock may run behind ours by the lag; where the instant is ahead of our second (the asker's
 * start, stamped by an issuer whose clock runs ahead), that clock reads at least the instant
 * already, so a second from now is enough.
 */
function answerAt(instant: number, now: number, { issuerClockLagSeconds }: RevocationLimits) {
  return instant > Math.floor(now) ? now + 1 : instant + 1 + issuerClockLagSeconds;
}

/**
 * The logouts still worth remembering at `now`, with `added` last: the most recent of each
 * author, so no number of a user's own logouts can push an operator's out.
 */
function remembered(
  previous: readonly RememberedLogout[],
  now: number,
  added: RememberedLogout | undefined,
): RememberedLogout[] {
  const kept = previous.filter((logout) => logout.until > now);
  if (added === undefined) return kept;
  const sameAuthor = kept.filter((logout) => logout.by === added.by);
  const excess = Math.max(0, sameAuthor.length - (REMEMBERED_LOGOUTS - 1));
  const dropped = new Set(sameAuthor.slice(0, excess));
  return [...kept.filter((logout) => !dropped.has(logout)), added];
}
