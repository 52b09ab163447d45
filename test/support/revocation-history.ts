/**
 * The promise of revocation as a model, and random histories to hold a system to it: sign-ins,
 * refreshes, clock steps and logouts (local, global, others, replayed or not) over two issuers
 * and users whose issuers reuse ids, interleaved with an adversary (any token of any session of
 * the user, repeating any logout as often as it likes). After every step, every token's check
 * must match the model:
 *
 * - a user-wide revocation at T covers every session that began at or before T (by `auth_time`,
 *   else `iat`, in whole seconds), whenever its tokens were minted; later sessions are
 *   untouched. `global` and the operator: T is now (or the asker's start, where later);
 *   `others`: T is the asker's start (or now, where earlier) minus a second, and only a token
 *   with `auth_time` may ask;
 * - the revocations of a user are the union of all of them: none narrows another;
 * - a local logout revokes the session under every id the token names (`origin_jti`, `sid`),
 *   or the token;
 * - the same Idempotency-Key from the same session is a replay: the first answer, no change;
 * - a token is refused once expired, once its session is older than the bound, or when dated
 *   beyond the leeway; no record lapses while a token it covers can be accepted.
 *
 * And invariants checked on the system's own answers, whatever the model says:
 * - no request made with a token of a session S revokes a session that began after S unless
 *   that request also revokes S;
 * - a session begun after a logout's 200 is accepted, where the issuer's clock runs behind ours
 *   by no more than the lag (and no further behind than it did for the user's earlier tokens);
 * - where the stage requires `auth_time` (both stages do): the owner's `global` ends every
 *   session that truly began at or before it (by the issuer's clock at its sign-in, whatever
 *   its tokens say), refreshes included, so a refresh-token thief cannot outlive it. A stage
 *   that accepts tokens without `auth_time` gives this one up: a refresh passes for a new
 *   session there (its acknowledgement says so), and a run of it with this invariant fails.
 *
 * The issuer's token shapes: with and without `auth_time`, sessions named by `origin_jti`,
 * `sid`, both or neither; a shape the stage refuses is refused by the verifier (the model says
 * so). The adversary holds any token, or a refresh token: it refreshes an old session and logs
 * out with the new token, as often as it likes.
 *
 * Two systems run it: the production store on the in-memory table (`revocation-model.test.ts`,
 * hundreds of histories in seconds) and the deployed code against dynalite
 * (`revocation-conformance.test.ts`).
 */
import fc from "fast-check";
import { expect } from "vitest";
import { LogoutInProgressError, SessionStartUnknownError } from "../../functions/domain/errors.js";

export const LEEWAY = 5;
export const LAG = 0.5;
export const MAX_LIFETIME = 150;
export const MAX_SESSION = 300;
export const REVOKED = "Token has been revoked";
export const BUSY = new LogoutInProgressError(1).message;
const NO_START = new SessionStartUnknownError().message;
const NO_AUTH_TIME = "Token has no auth_time";

export type Scope = "local" | "global" | "others";
export type Issuer = 0 | 1;
/**
 * How the issuer names the session: `origin_jti`, `sid`, both (refreshes carry one or both),
 * none (each token its own, by its `jti`), or bare (no `jti` either: each token by its bytes).
 */
export type Naming = "origin" | "sid" | "both" | "none" | "bare";

export interface Session {
  issuer: Issuer;
  user: 0 | 1;
  naming: Naming;
  id: string;
  /** undefined: no `auth_time`, the session's start is each token's `iat`. */
  authTime: number | undefined;
  /** When it truly began, by the issuer's clock: what `auth_time` says, or would have said. */
  began: number;
  signedInAt: number;
}

export interface Token {
  session: Session;
  /** The session ids the token carries (none where the issuer names no session). */
  ids: string[];
  /** Its `auth_time`: the session's, or a re-authentication's (a step-up) within it. */
  authTime: number | undefined;
  /** When its authentication truly happened, by the issuer's clock. */
  began: number;
  claims: Record<string, unknown>;
  iat: number;
  exp: number;
  jti: string;
  text: string;
}

const userOf = (s: Session) => `${s.issuer}/${s.user}`;
/**
 * The session's `sid`, where its issuer names one: unique at the issuer, as OpenID Connect has
 * it (an identity provider may end a session by it alone), while other ids repeat across users.
 */
const sidOf = (s: Session) =>
  s.naming === "both" ? `u${s.user}-${s.id}-sid` : `u${s.user}-${s.id}`;
const startOf = (token: Token) => token.authTime ?? token.iat;

/** The model: what the promise says, in the plainest terms. */
export class Model {
  now: number;
  /** Revoked session ids (and tokens of unnamed sessions), with the logout that revoked them. */
  private readonly revoked = new Map<string, string | undefined>();
  /** Per user: every session that began at or before this second is revoked. */
  private readonly revokedBefore = new Map<string, number>();
  /** Global logouts by writer, remembered while the token that made each can be used. */
  private readonly replays = new Map<string, { until: number; answerAt: number }>();
  /** Sessions the issuer ended naming only their id (`sid`): the issuer's, whoever's they are. */
  private readonly providerSids = new Set<string>();
  /** Whether the last logout was a replay: it revoked nothing new. */
  lastWasReplay = false;

  constructor(
    now: number,
    /** The stage's `requireAuthTime`: the verifier refuses tokens without `auth_time`. */
    readonly requireAuthTime: boolean,
  ) {
    this.now = now;
  }

  /** What a local logout reaches: each session id the token names, else the token. */
  static keysOf(token: Token): string[] {
    const user = userOf(token.session);
    if (token.ids.length > 0) return token.ids.map((id) => `${user}/s/${id}`);
    return token.session.naming === "bare"
      ? [`${user}/d/${token.text}`]
      : [`${user}/t/${token.jti}`];
  }

  /** Whether the issuer ended the token's session by its `sid` alone. */
  private endedByProvider(token: Token): boolean {
    const sid = token.claims.sid;
    return typeof sid === "string" && this.providerSids.has(`${token.session.issuer}/${sid}`);
  }

  /** The identity provider ended a session: of `user` by its `sid`, or where no user, any's. */
  endSession(issuer: Issuer, user: string | undefined, sid: string) {
    this.lastWasReplay = false;
    if (user === undefined) this.providerSids.add(`${issuer}/${sid}`);
    else if (!this.revoked.has(`${user}/s/${sid}`))
      this.revoked.set(`${user}/s/${sid}`, "provider");
  }

  /** The identity provider signed `user` out at `at`: every session begun in a second before. */
  endUserSessions(user: string, at: number) {
    this.lastWasReplay = false;
    this.revokeBefore(user, Math.min(Math.floor(at), Math.floor(this.now)) - 1);
  }

  private coveredByUser(token: Token): boolean {
    const before = this.revokedBefore.get(userOf(token.session));
    return before !== undefined && Math.floor(startOf(token)) <= before;
  }

  /** The verifier's refusal, if any, before revocations are looked at. */
  refusal(token: Token): string | undefined {
    if (token.exp + LEEWAY < this.now) return "Token expired";
    if (this.requireAuthTime && token.authTime === undefined) return NO_AUTH_TIME;
    if (token.iat > this.now + LEEWAY) return "Token issued in the future";
    if (this.now - startOf(token) > MAX_SESSION) return "Session exceeds the maximum age";
    return undefined;
  }

  /** The check's answer: undefined for accepted, else the reason. */
  check(token: Token): string | undefined {
    const refused = this.refusal(token);
    if (refused !== undefined) return refused;
    const revoked = Model.keysOf(token).some((key) => this.revoked.has(key));
    return revoked || this.endedByProvider(token) || this.coveredByUser(token)
      ? REVOKED
      : undefined;
  }

  /** When a revocation at `instant` may answer: once a later sign-in starts after it. */
  private answerAfter(instant: number) {
    return instant > Math.floor(this.now) ? this.now + 1 : instant + 1 + LAG;
  }

  /** Every session of `user` that began at or before `instant`: the union with what was. */
  revokeBefore(user: string, instant: number) {
    const before = this.revokedBefore.get(user) ?? Number.NEGATIVE_INFINITY;
    if (instant > before) this.revokedBefore.set(user, instant);
  }

  /** The logout's answer (undefined: 200), and the state after it. */
  logout(token: Token, scope: Scope, key: string | undefined): string | undefined {
    this.lastWasReplay = false;
    const refused = this.refusal(token);
    if (refused !== undefined) return refused;
    const keys = Model.keysOf(token);
    const writer = key === undefined ? undefined : `${keys[0]}|${scope}:${key}`;
    const user = userOf(token.session);
    if (scope === "local") {
      const found = keys.filter((each) => this.revoked.has(each));
      const ours = writer !== undefined && found.every((each) => this.revoked.get(each) === writer);
      for (const each of keys) if (!this.revoked.has(each)) this.revoked.set(each, writer);
      if (found.length > 0 && !ours) return REVOKED;
      return this.coveredByUser(token) || this.endedByProvider(token) ? REVOKED : undefined;
    }
    if (scope === "others" && token.authTime === undefined) return NO_START;
    const replayed = writer === undefined ? undefined : this.replays.get(writer);
    if (replayed !== undefined && replayed.until > this.now) {
      // A replay answers when its first answer went: at once, unless that is still to come, when
      // the first is waiting and this one must not wait beside it.
      this.lastWasReplay = true;
      return replayed.answerAt > this.now ? BUSY : undefined;
    }
    if (this.check(token) !== undefined) return REVOKED;
    const start = Math.floor(startOf(token));
    const instant =
      scope === "others"
        ? Math.min(start, Math.floor(this.now)) - 1
        : Math.max(Math.floor(this.now), start);
    this.revokeBefore(user, instant);
    if (scope === "global") {
      const answerAt = this.answerAfter(instant);
      if (writer !== undefined) {
        this.replays.set(writer, { until: Math.ceil(token.exp) + LEEWAY + 1, answerAt });
      }
      this.now = Math.max(this.now, answerAt);
    }
    return undefined;
  }
}

/** The model's operator sign-out of a user: every session up to now, answered after the lag. */
export function operatorInModel(model: Model, user: string): void {
  model.lastWasReplay = false;
  model.revokeBefore(user, Math.floor(model.now));
  model.now = Math.max(model.now, Math.floor(model.now) + 1 + LAG);
}

export type Step =
  | {
      kind: "sign-in";
      issuer: Issuer;
      user: 0 | 1;
      naming: Naming;
      authTime: boolean;
      skew: number;
    }
  | { kind: "refresh"; session: number; skew: number; sidOnly: boolean }
  | { kind: "logout"; token: number; scope: Scope; key: "k1" | "k2" | undefined }
  | { kind: "attack"; token: number; scope: Scope; times: number }
  /** A refresh-token thief: a new token of an old session, then a logout with it. */
  | { kind: "steal"; session: number; scope: Scope; times: number }
  | { kind: "replay"; nth: number }
  /** A re-authentication within a session (OpenID's step-up): the same ids, a later auth_time. */
  | { kind: "step-up"; session: number }
  /** An operator's sign-out of a user (no token of theirs). */
  | { kind: "operator"; issuer: Issuer; user: 0 | 1 }
  /**
   * The identity provider's sign-out: a back-channel logout of a session by its `sid` (naming
   * its user, or not), or of a user by `sub` (as a Cognito pool's own sign-out is too).
   */
  | { kind: "provider"; session: number; by: "sid" | "sid-only" | "sub" }
  | { kind: "advance"; seconds: number };

/** The issuer's clock against ours: mostly right, ahead, or behind within the lag and beyond. */
const skew = fc.constantFrom(0, 0, 0, 0.3, 3, -0.3, -2);
/** Which of the sessions or tokens so far: mostly one of the latest, as a user's next step is. */
const recent = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 2 }).map((back) => -1 - back), weight: 3 },
  { arbitrary: fc.nat(), weight: 1 },
);
/** `recent`'s pick among `items`. */
const pick = <T>(items: readonly T[], index: number): T | undefined =>
  items.length === 0 ? undefined : items[((index % items.length) + items.length) % items.length];
const scope = fc.constantFrom<Scope>("local", "global", "others");
export const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("sign-in" as const),
      // Mostly one user of one issuer, so histories are long enough to interleave scopes.
      issuer: fc.constantFrom<Issuer>(0, 0, 0, 1),
      user: fc.constantFrom<0 | 1>(0, 0, 0, 1),
      naming: fc.constantFrom<Naming>("origin", "sid", "both", "none", "bare"),
      authTime: fc.constantFrom(true, true, false),
      skew,
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("refresh" as const),
      session: recent,
      skew,
      sidOnly: fc.boolean(),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("logout" as const),
      token: recent,
      scope,
      key: fc.constantFrom("k1" as const, "k2" as const, undefined),
    }),
    weight: 4,
  },
  {
    // The holder of any token, old or new, saying the same thing again and again.
    arbitrary: fc.record({
      kind: fc.constant("attack" as const),
      token: fc.nat(),
      scope: fc.constantFrom<Scope>("others", "others", "global", "local"),
      times: fc.integer({ min: 1, max: 3 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("steal" as const),
      session: fc.nat(),
      scope: fc.constantFrom<Scope>("global", "global", "others", "local"),
      times: fc.integer({ min: 1, max: 3 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant("replay" as const), nth: fc.nat() }), weight: 1 },
  {
    arbitrary: fc.record({ kind: fc.constant("step-up" as const), session: recent }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("operator" as const),
      issuer: fc.constantFrom<Issuer>(0, 0, 0, 1),
      user: fc.constantFrom<0 | 1>(0, 0, 0, 1),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("provider" as const),
      session: recent,
      by: fc.constantFrom("sid" as const, "sid-only" as const, "sub" as const),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      // Within a second, across the leeway, across a token's life and the session bound.
      seconds: fc.constantFrom(0.4, 1, 2, 4, 6, 60, MAX_LIFETIME + 10, MAX_SESSION - 30),
    }),
    weight: 2,
  },
);

const signIn = (
  naming: Naming,
  authTime: boolean,
  skewSeconds = 0,
  user: 0 | 1 = 0,
  issuer: Issuer = 0,
): Step => ({ kind: "sign-in", issuer, user, naming, authTime, skew: skewSeconds });
const refresh = (session = -1, sidOnly = false): Step => ({
  kind: "refresh",
  session,
  skew: 0,
  sidOnly,
});
const logOut = (scope: Scope, token = -1, key?: "k1"): Step => ({
  kind: "logout",
  token,
  scope,
  key,
});
const attack = (token: number, scope: Scope, times = 3): Step => ({
  kind: "attack",
  token,
  scope,
  times,
});
const advance = (seconds: number): Step => ({ kind: "advance", seconds });
const steal = (session: number, scope: Scope, times = 1): Step => ({
  kind: "steal",
  session,
  scope,
  times,
});

const stepUp = (session: number): Step => ({ kind: "step-up", session });

/**
 * A refresh-token thief against a stage that accepts tokens without auth_time: the owner's
 * global, then the thief's refreshed token of the old session, dated after it by its iat.
 */
export const REFRESH_OUTLIVES_GLOBAL: Step[] = [
  signIn("origin", false),
  advance(2),
  signIn("origin", false),
  logOut("global"),
  advance(2),
  refresh(0),
];

/** The defects this test was written against, as histories it always checks first. */
export const REPRODUCTIONS: Step[][] = [
  // A stolen token repeating `others` keeps every later sign-in out; the owner's answer.
  [
    signIn("origin", true),
    advance(2),
    signIn("origin", true),
    attack(0, "others"),
    advance(1),
    signIn("origin", true),
    attack(0, "others"),
    logOut("others"),
    attack(0, "others"),
  ],
  // The thief's `global` ends everything once, itself included; a later sign-in is in.
  [
    signIn("origin", true),
    advance(2),
    signIn("sid", true),
    attack(0, "global"),
    signIn("sid", true),
  ],
  // More global logouts than are remembered: an old replay changes nothing.
  [
    signIn("origin", true),
    logOut("global", -1, "k1"),
    ...Array.from({ length: 4 }, () => [signIn("origin", true), logOut("global")]).flat(),
    { kind: "replay", nth: 0 },
  ],
  // A clock that runs behind by less than the lag: a sign-in after the 200 is in.
  [signIn("origin", true), logOut("global"), signIn("origin", true, -0.3)],
  // A token with origin_jti and sid; its sibling with sid only is out with it.
  [signIn("both", true), refresh(0, true), logOut("local", 0), refresh(0, true)],
  // Other devices stay out at their next refresh (global and others, with auth_time).
  [signIn("origin", true), advance(2), signIn("origin", true), logOut("others"), refresh(0)],
  [signIn("origin", true), signIn("origin", true), logOut("global"), advance(2), refresh(0)],
  // `others` needs auth_time; with it, said again, it changes nothing and waits for nothing.
  [signIn("origin", false), logOut("others"), signIn("origin", true), logOut("others", -1, "k1")],
  // A revoked session does not come back when a record lapses, before the session is too old.
  [signIn("origin", true), logOut("local"), advance(MAX_LIFETIME + 10), refresh(0)],
  [
    signIn("origin", true),
    signIn("origin", true),
    logOut("global"),
    advance(MAX_LIFETIME + 10),
    refresh(0),
  ],
  // Ids an issuer reuses across users; the same session and jti at both issuers.
  [
    signIn("origin", true, 0, 0),
    signIn("origin", true, 0, 1),
    logOut("local", 0),
    logOut("global", 1),
  ],
  [signIn("sid", true, 0, 0, 0), signIn("sid", true, 0, 0, 1), logOut("global", 1)],
  // The refresh-token thief: refused at the verifier where auth_time is required.
  REFRESH_OUTLIVES_GLOBAL,
  [
    signIn("origin", true),
    advance(2),
    signIn("sid", true),
    steal(0, "global", 3),
    signIn("sid", true),
    logOut("global"),
    steal(0, "global"),
    steal(1, "others"),
  ],
  // A token stamped ahead (an issuer's clock) asks `others`: it never reaches past our present.
  [
    signIn("origin", true),
    signIn("origin", true, 3),
    logOut("others"),
    signIn("origin", true),
    advance(1),
    signIn("origin", true),
  ],
  // A replay of a global answers at once once its first answer went.
  [signIn("origin", true), logOut("global", -1, "k1"), advance(0.4), { kind: "replay", nth: 0 }],
  // A fractional start in the logout's own second; an issuer whose clock runs ahead.
  [signIn("none", false), signIn("none", true, 0.3), logOut("global", 0), advance(1)],
  [signIn("origin", true, 3), signIn("origin", true), logOut("global", 0), signIn("origin", true)],
  // A local logout of a session an `others` covers, after a step-up within it began after the
  // `others`: the session's item refuses the step-up's token, and its event must say so.
  [
    signIn("sid", true),
    advance(2),
    signIn("sid", true),
    advance(2),
    stepUp(0),
    logOut("others", 1),
    logOut("local", 0),
    { kind: "operator", issuer: 0, user: 0 },
  ],
];

/** What a history drives: the logout and the checks, on a clock the history sets. */
export interface RevocationSystem {
  /** Whether its answers hold the verifier's refusals; where not, the model's stand in. */
  verifies: boolean;
  setNow(now: number): void;
  /** The clock after a request: a revocation's wait moves it. */
  now(): number;
  mint(issuer: Issuer, claims: Record<string, unknown>): Promise<string>;
  /** The logout's answer: undefined for a 200, else the refusal's reason. */
  logout(token: Token, scope: Scope, key: string | undefined): Promise<string | undefined>;
  /** An operator's sign-out of the user `sub` of `issuer`, once recorded and answered. */
  operator(issuer: Issuer, sub: string): Promise<void>;
  /**
   * The identity provider's sign-out, once recorded: of the session `sid` (of `sub` where
   * given), or of every session of `sub` begun before `at`; `id` is its message's (a `jti`).
   */
  provider(
    issuer: Issuer,
    signOut: { sub?: string; sid?: string; at: number; id: string },
  ): Promise<void>;
  /** After a token is minted, with the check's answer for it then. */
  minted?(token: Token, accepted: boolean): void;
  /** The check's answer, the same way (a system with several checks asserts they agree). */
  check(token: Token): Promise<string | undefined>;
  /** After each step, with the check's answers for every token so far. */
  afterStep?(answers: ReadonlyMap<Token, string | undefined>): Promise<void>;
}

/** Runs one history on `system` from `startAt`, asserting the model and the invariants. */
export interface HistoryOptions {
  /** The stage's `requireAuthTime` (default: true, as both stages ship). */
  requireAuthTime?: boolean;
  /**
   * Whether to hold the system to "the owner's global ends every older session, refreshes
   * included" (default: where auth_time is required; a run without it shows the defect).
   */
  globalEndsOlderSessions?: boolean;
}

export async function runHistory(
  steps: Step[],
  system: RevocationSystem,
  startAt: number,
  { requireAuthTime = true, globalEndsOlderSessions = requireAuthTime }: HistoryOptions = {},
): Promise<void> {
  // Users unique to this run; session ids and jtis repeat across users and issuers.
  const run = crypto.randomUUID();
  const model = new Model(startAt, requireAuthTime);
  /** Each owner's global that answered 200 (not a replay): the second it covers up to. */
  const globals: { user: string; second: number; by: string }[] = [];
  system.setNow(model.now);
  const sessions: Session[] = [];
  const tokens: Token[] = [];
  const logouts: { token: Token; scope: Scope; key: string | undefined }[] = [];
  const counters = new Map<string, number>();
  const next = (name: string) => {
    const count = (counters.get(name) ?? 0) + 1;
    counters.set(name, count);
    return count;
  };
  /** The most an issuer's clock has run ahead for each user's tokens so far. */
  const skews = new Map<string, number>();
  /** The system's own answers, for the invariants: the reusable check's, per token. */
  let accepted = new Map<Token, string | undefined>();

  async function mint(
    session: Session,
    skewSeconds: number,
    sidOnly = false,
    reauthenticatedAt?: number,
  ) {
    const authTime = reauthenticatedAt ?? session.authTime;
    // An issuer's clock may be off, but never dates a token before its own sign-in.
    const iat = Math.max(model.now + skewSeconds, authTime ?? 0);
    const exp = Math.floor(iat) + MAX_LIFETIME;
    const jti = `j${next(`jti/${userOf(session)}`)}`;
    const named: Record<string, string> =
      session.naming === "origin"
        ? { origin_jti: session.id }
        : session.naming === "sid"
          ? { sid: sidOf(session) }
          : session.naming === "both"
            ? sidOnly
              ? { sid: sidOf(session) }
              : { origin_jti: session.id, sid: sidOf(session) }
            : {};
    const claims = {
      sub: `${run}/user-${session.user}`,
      iat,
      exp,
      // A bare token has no jti (`jti` only names it in the test's messages); a claim of no
      // meaning to the API keeps two minted in one instant apart, as two sign-ins' are.
      ...(session.naming === "bare" ? { jti: undefined, x_mint: jti } : { jti }),
      ...named,
      ...(authTime === undefined ? {} : { auth_time: authTime }),
    };
    const text = await system.mint(session.issuer, claims);
    const user = userOf(session);
    skews.set(user, Math.max(skewSeconds, skews.get(user) ?? skewSeconds));
    const began = reauthenticatedAt ?? session.began;
    const token = {
      session,
      ids: Object.values(named),
      authTime,
      began,
      claims,
      iat,
      exp,
      jti,
      text,
    };
    tokens.push(token);
    system.minted?.(token, model.check(token) === undefined);
    return token;
  }

  async function logout(token: Token, scope: Scope, key: string | undefined) {
    // Where the system does not verify, the verifier's refusal is the model's.
    const refused = !system.verifies && model.refusal(token) !== undefined;
    const requestedAt = model.now;
    const expected = model.logout(token, scope, key);
    if (refused) return;
    const answer = await system.logout(token, scope, key);
    expect(answer, `${scope} logout (key ${key}) of ${token.jti}`).toBe(expected);
    expect(system.now(), "the clock after the logout").toBe(model.now);
    if (scope === "global" && answer === undefined && !model.lastWasReplay) {
      const second = Math.max(Math.floor(requestedAt), Math.floor(token.began));
      globals.push({ user: userOf(token.session), second, by: token.jti });
    }
  }

  /** The owner's global ended every session that began at or before it, refreshes included. */
  function expectOlderSessionsEnded(answers: Map<Token, string | undefined>) {
    for (const [token, reason] of answers) {
      if (reason !== undefined) continue;
      const global = globals.find(
        (each) => each.user === userOf(token.session) && Math.floor(token.began) <= each.second,
      );
      expect(
        global,
        `${token.jti} of a session begun at ${token.began} is accepted after the global of ${global?.by} up to ${global?.second}`,
      ).toBeUndefined();
    }
  }

  /** Checks every token against the model; returns the check's answers. */
  async function checkAll() {
    const answers = new Map<Token, string | undefined>();
    for (const token of tokens) {
      const expected = model.check(token);
      const reason = system.verifies
        ? await system.check(token)
        : (model.refusal(token) ?? (await system.check(token)));
      expect(reason, `check of ${token.jti} of ${userOf(token.session)}`).toBe(expected);
      answers.set(token, reason);
    }
    return answers;
  }

  /**
   * No request of a token of S revoked a session that began after S, unless it revoked S
   * too: compared with the check's answers before the request.
   */
  function expectNoLaterSessionRevoked(by: Token, after: Map<Token, string | undefined>) {
    if (after.get(by) === REVOKED) return;
    for (const [token, reason] of after) {
      const later = Math.floor(startOf(token)) > Math.floor(startOf(by));
      const another = token.session !== by.session;
      const sameUser = userOf(token.session) === userOf(by.session);
      if (!later || !another || !sameUser || accepted.get(token) !== undefined) continue;
      expect(reason, `${token.jti}, begun after ${by.jti}, revoked by it`).not.toBe(REVOKED);
    }
  }

  for (const each of steps) {
    let actor: Token | undefined;
    switch (each.kind) {
      case "sign-in": {
        const start = model.now + each.skew;
        const session: Session = {
          issuer: each.issuer,
          user: each.user,
          naming: each.naming,
          id: `s${next(`session/${each.issuer}/${each.user}`)}`,
          authTime: each.authTime ? start : undefined,
          began: start,
          signedInAt: model.now,
        };
        sessions.push(session);
        // A sign-in after the last 200, by an issuer's clock behind ours by no more than
        // the lag, and no further behind than it read for the user's earlier tokens.
        const consistent = each.skew >= Math.max(-LAG, skews.get(userOf(session)) ?? -LAG);
        const token = await mint(session, each.skew);
        // (Of the shapes the stage accepts: one it refuses is refused at the verifier.)
        const accepted = !requireAuthTime || each.authTime;
        if (consistent && accepted) {
          expect(model.check(token), "a sign-in after the 200").toBeUndefined();
        }
        break;
      }
      case "refresh": {
        const session = pick(sessions, each.session);
        // The issuer mints as long as the refresh token lives: up to the session bound.
        if (session === undefined || model.now - session.signedInAt > MAX_SESSION) break;
        await mint(session, each.skew, each.sidOnly);
        break;
      }
      case "logout": {
        actor = pick(tokens, each.token);
        if (actor === undefined) break;
        logouts.push({ token: actor, scope: each.scope, key: each.key });
        await logout(actor, each.scope, each.key);
        break;
      }
      case "attack": {
        actor = pick(tokens, each.token);
        if (actor === undefined) break;
        for (let time = 0; time < each.times; time++) await logout(actor, each.scope, "k1");
        break;
      }
      case "steal": {
        const session = pick(sessions, each.session);
        if (session === undefined || model.now - session.signedInAt > MAX_SESSION) break;
        actor = await mint(session, 0);
        for (let time = 0; time < each.times; time++) await logout(actor, each.scope, "k1");
        break;
      }
      case "replay": {
        const earlier = pick(logouts, each.nth);
        if (earlier?.key === undefined) break;
        actor = earlier.token;
        await logout(earlier.token, earlier.scope, earlier.key);
        break;
      }
      case "step-up": {
        const session = pick(sessions, each.session);
        if (session === undefined || model.now - session.signedInAt > MAX_SESSION) break;
        // Re-authenticated a second on, so its start is a later second than anything before.
        model.now += 1;
        system.setNow(model.now);
        await mint(session, 0, false, model.now);
        break;
      }
      case "operator": {
        const requestedAt = model.now;
        const user = `${each.issuer}/${each.user}`;
        operatorInModel(model, user);
        await system.operator(each.issuer, `${run}/user-${each.user}`);
        expect(system.now(), "the clock after the operator's sign-out").toBe(model.now);
        globals.push({ user, second: Math.floor(requestedAt), by: "the operator" });
        break;
      }
      case "provider": {
        const session = pick(sessions, each.session);
        if (session === undefined) break;
        const user = userOf(session);
        const sub = `${run}/user-${session.user}`;
        const named = session.naming === "sid" || session.naming === "both";
        const sid = sidOf(session);
        const id = `logout-${next("provider")}`;
        if (named && each.by !== "sub") {
          const withUser = each.by === "sid";
          model.endSession(session.issuer, withUser ? user : undefined, sid);
          await system.provider(session.issuer, {
            ...(withUser ? { sub } : {}),
            sid,
            at: model.now,
            id,
          });
        } else {
          // By the issuer's clock, as it read for this user's tokens: a sign-in after it is later.
          const at = model.now + (skews.get(user) ?? 0);
          model.endUserSessions(user, at);
          await system.provider(session.issuer, { sub, at, id });
        }
        expect(system.now(), "the clock after the provider's sign-out").toBe(model.now);
        break;
      }
      case "advance":
        model.now += each.seconds;
        system.setNow(model.now);
        break;
    }
    const after = await checkAll();
    if (globalEndsOlderSessions) expectOlderSessionsEnded(after);
    await system.afterStep?.(after);
    if (actor !== undefined) expectNoLaterSessionRevoked(actor, after);
    accepted = after;
  }
}
