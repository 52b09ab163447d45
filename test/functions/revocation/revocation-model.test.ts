/**
 * Model-based: random histories of sign-ins, refreshes, clock steps and logouts (local, global,
 * others, replayed or not) over two issuers and users whose issuers reuse ids, against
 * dynalite, checked after every step against a plain model of the promise:
 *
 * - a user revocation at T covers every session that began at or before T (by `auth_time`, else
 *   `iat`, in whole seconds), whenever its tokens were minted; later sessions are untouched;
 *   T is now, or the asking session's start where later, and never before the user's last T;
 * - the revocations of a user are the union of all of them: none narrows another;
 * - a local logout revokes the session (every token of it, later refreshes too), or the token;
 * - the same Idempotency-Key from the same session is a replay: the first answer, no change;
 * - a token is refused once expired, once its session is older than the bound, or when dated
 *   beyond the leeway; no record lapses while a token it covers can be accepted.
 *
 * The logout's answer, the reusable check's and the authorizer's must all match the model for
 * every token after every step. Time is the fixture's pinned clock, which the store and the
 * verifiers read; a user-wide logout moves it to its next second, as the real one waits for it.
 * FC_SEED and FC_RUNS replay or widen a run; a failure prints its seed.
 */
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { httpApiAuthorizerEvent } from "../../../scripts/api-gateway-events.js";
import { lambdaContext } from "../../../scripts/lambda-context.js";
import { captureOutput } from "../../support/captured-output.js";
import { eventFor } from "../../support/logout-app.js";
import {
  type RevocationFixture,
  startRevocationFixture,
} from "../../support/revocation-fixture.js";

captureOutput();
const LEEWAY = 5;
const MAX_LIFETIME = 150;
const MAX_SESSION = 300;
let fixture: RevocationFixture;

beforeAll(async () => {
  fixture = await startRevocationFixture({
    maxTokenLifetimeSeconds: MAX_LIFETIME,
    maxSessionSeconds: MAX_SESSION,
  });
});
afterAll(async () => {
  fixture.clock.pinned = undefined;
  await fixture.stop();
});

type Scope = "local" | "global" | "others";
type Issuer = 0 | 1;

interface Session {
  issuer: Issuer;
  user: 0 | 1;
  /** `origin_jti` (issuer 0) or `sid` (issuer 1); undefined: the issuer names no session. */
  id: string | undefined;
  /** undefined: no `auth_time`, the session's start is each token's `iat`. */
  authTime: number | undefined;
  signedInAt: number;
}

interface Token {
  session: Session;
  iat: number;
  exp: number;
  jti: string;
  text: string;
}

const userOf = (s: Session) => `${s.issuer}/${s.user}`;
const startOf = (token: Token) => token.session.authTime ?? token.iat;

/** The model: what the promise says, in the plainest terms. */
class Model {
  now: number;
  private readonly revokedSessions = new Map<string, string | undefined>();
  private readonly userRevocations = new Map<string, { instant: number; kept?: string }[]>();
  private readonly lastInstant = new Map<string, number>();
  private readonly replays = new Set<string>();

  constructor(now: number) {
    this.now = now;
  }

  /** What one revocation of a session reaches: the session where named, else the token. */
  static sessionOf(token: Token): string {
    const { session } = token;
    return session.id !== undefined
      ? `${userOf(session)}/s/${session.id}`
      : `${userOf(session)}/t/${token.jti}`;
  }

  private coveredByUser(token: Token): boolean {
    const began = Math.floor(startOf(token));
    const session = Model.sessionOf(token);
    return (this.userRevocations.get(userOf(token.session)) ?? []).some(
      ({ instant, kept }) => began <= instant && kept !== session,
    );
  }

  /** The verifier's refusal, if any, before revocations are looked at. */
  private refusal(token: Token): string | undefined {
    if (token.exp + LEEWAY < this.now) return "Token expired";
    if (token.iat > this.now + LEEWAY) return "Token issued in the future";
    if (this.now - startOf(token) > MAX_SESSION) return "Session exceeds the maximum age";
    return undefined;
  }

  /** The check's answer: undefined for accepted, else the reason. */
  check(token: Token): string | undefined {
    const refused = this.refusal(token);
    if (refused !== undefined) return refused;
    const revoked = this.revokedSessions.has(Model.sessionOf(token)) || this.coveredByUser(token);
    return revoked ? "Token has been revoked" : undefined;
  }

  /** The logout's answer (undefined: 200), and the state after it. */
  logout(token: Token, scope: Scope, key: string | undefined): string | undefined {
    const refused = this.refusal(token);
    if (refused !== undefined) return refused;
    const session = Model.sessionOf(token);
    const writer = key === undefined ? undefined : `${session}|${scope}:${key}`;
    if (scope === "local") {
      if (this.revokedSessions.has(session)) {
        const ours = writer !== undefined && this.revokedSessions.get(session) === writer;
        return ours && !this.coveredByUser(token) ? undefined : "Token has been revoked";
      }
      this.revokedSessions.set(session, writer);
      return this.coveredByUser(token) ? "Token has been revoked" : undefined;
    }
    if (writer !== undefined && this.replays.has(writer)) return undefined;
    if (this.check(token) !== undefined) return "Token has been revoked";
    const user = userOf(token.session);
    const second = Math.floor(this.now);
    const instant = Math.max(second, Math.floor(startOf(token)), this.lastInstant.get(user) ?? 0);
    this.lastInstant.set(user, instant);
    const revocations = this.userRevocations.get(user) ?? [];
    revocations.push(scope === "others" ? { instant, kept: session } : { instant });
    this.userRevocations.set(user, revocations);
    if (writer !== undefined) this.replays.add(writer);
    // The answer comes in the next second: a session begun after it starts after `instant`.
    this.now = Math.max(this.now, second + 1);
    return undefined;
  }
}

type Step =
  | {
      kind: "sign-in";
      issuer: Issuer;
      user: 0 | 1;
      named: boolean;
      authTime: boolean;
      skew: number;
    }
  | { kind: "refresh"; session: number; skew: number }
  | { kind: "logout"; token: number; scope: Scope; key: "k1" | "k2" | undefined }
  | { kind: "replay"; nth: number }
  | { kind: "advance"; seconds: number };

const skew = fc.constantFrom(0, 0, 0, 0.5, 3, -2);
/** Which of the sessions or tokens so far: mostly one of the latest, as a user's next step is. */
const recent = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 2 }).map((back) => -1 - back), weight: 3 },
  { arbitrary: fc.nat(), weight: 1 },
);
/** `recent`'s pick among `items`. */
const pick = <T>(items: readonly T[], index: number): T | undefined =>
  items.length === 0 ? undefined : items[((index % items.length) + items.length) % items.length];
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("sign-in" as const),
      // Mostly one user of one issuer, so histories are long enough to interleave scopes.
      issuer: fc.constantFrom<Issuer>(0, 0, 0, 1),
      user: fc.constantFrom<0 | 1>(0, 0, 0, 1),
      named: fc.boolean(),
      authTime: fc.boolean(),
      skew,
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ kind: fc.constant("refresh" as const), session: recent, skew }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("logout" as const),
      token: recent,
      scope: fc.constantFrom<Scope>("local", "global", "others"),
      key: fc.constantFrom("k1" as const, "k2" as const, undefined),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant("replay" as const), nth: fc.nat() }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      // Within a second, across the leeway, across a token's life and the session bound.
      seconds: fc.constantFrom(1, 2, 4, 6, 60, MAX_LIFETIME + 10, MAX_SESSION - 30, MAX_SESSION),
    }),
    weight: 2,
  },
);

const bearer = (text: string, scope: Scope, key?: string) =>
  eventFor("v2", {
    authorization: [`Bearer ${text}`],
    query: `scope=${scope}`,
    ...(key === undefined ? {} : { headers: { "Idempotency-Key": key } }),
  });
const reasonOf = (response: { statusCode: number; body: string }) =>
  response.statusCode === 200 ? undefined : JSON.parse(response.body).error?.details.reason;

const signIn = (
  named: boolean,
  authTime: boolean,
  skewSeconds = 0,
  user: 0 | 1 = 0,
  issuer: Issuer = 0,
): Step => ({ kind: "sign-in", issuer, user, named, authTime, skew: skewSeconds });
const refresh = (session = -1): Step => ({ kind: "refresh", session, skew: 0 });
const logOut = (scope: Scope, token = -1, key?: "k1"): Step => ({
  kind: "logout",
  token,
  scope,
  key,
});
const advance = (seconds: number): Step => ({ kind: "advance", seconds });

/** The defects this test was written against, as histories it always checks first. */
const REPRODUCTIONS: Step[][] = [
  // Other devices come back at their next refresh (global and others, with auth_time).
  [signIn(true, true), signIn(true, true), logOut("others"), refresh(0), advance(2), refresh(0)],
  [signIn(true, true), signIn(true, true), logOut("global"), advance(2), refresh(0)],
  // A fresh sign-in right after "sign out everywhere" is in.
  [signIn(true, true), logOut("global"), signIn(true, true), signIn(false, false)],
  // A replay changes nothing: the same key again, a sign-in between.
  [signIn(true, true), logOut("global", -1, "k1"), signIn(true, true), { kind: "replay", nth: 0 }],
  // A revoked session does not come back when a record lapses, before the session is too old.
  [signIn(true, true), logOut("local"), advance(MAX_LIFETIME + 10), refresh(0)],
  [
    signIn(true, true),
    signIn(true, true),
    logOut("global"),
    advance(MAX_LIFETIME + 10),
    refresh(0),
  ],
  // Others after global keeps out what the global revoked of the kept session.
  [signIn(true, false), logOut("global"), refresh(0), logOut("others")],
  // Ids an issuer reuses across users; the same session and jti at both issuers.
  [signIn(true, true, 0, 0), signIn(true, true, 0, 1), logOut("local", 0), logOut("global", 1)],
  [signIn(true, true, 0, 0, 0), signIn(true, true, 0, 0, 1), logOut("global", 1)],
  // A fractional start in the logout's own second; an issuer whose clock runs ahead.
  [
    signIn(false, false),
    signIn(false, true, 0.5),
    logOut("global", 0),
    advance(1),
    signIn(true, true),
  ],
  [signIn(true, true, 3), signIn(true, true), logOut("global", 0), signIn(true, true)],
];

const seed = Number(process.env.FC_SEED ?? 20261201);
const numRuns = Number(process.env.FC_RUNS ?? 60);

it(`the logout, the check and the authorizer agree with the model after every step (seed ${seed})`, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(step, { minLength: 10, maxLength: 30, size: "max" }),
      async (steps) => {
        // Users unique to this run; session ids and jtis repeat across users and issuers.
        const run = crypto.randomUUID();
        fixture.clock.pinned = undefined;
        const model = new Model(fixture.now() - 100);
        fixture.clock.pinned = model.now;
        const sessions: Session[] = [];
        const tokens: Token[] = [];
        const logouts: { token: Token; scope: Scope; key: string | undefined }[] = [];
        const counters = new Map<string, number>();
        const next = (name: string) => {
          const count = (counters.get(name) ?? 0) + 1;
          counters.set(name, count);
          return count;
        };

        async function mint(session: Session, skewSeconds: number): Promise<Token> {
          // An issuer's clock may be off, but never dates a token before its own sign-in.
          const iat = Math.max(model.now + skewSeconds, session.authTime ?? 0);
          const exp = Math.floor(iat) + MAX_LIFETIME;
          const jti = `j${next(`jti/${userOf(session)}`)}`;
          const identity = session.issuer === 0 ? fixture.identity : fixture.partner;
          const sessionClaim = session.issuer === 0 ? "origin_jti" : "sid";
          const text = await identity.mint("valid", {
            sub: `${run}/user-${session.user}`,
            iat,
            exp,
            jti,
            ...(session.id === undefined ? {} : { [sessionClaim]: session.id }),
            ...(session.authTime === undefined ? {} : { auth_time: session.authTime }),
          });
          const token = { session, iat, exp, jti, text };
          tokens.push(token);
          return token;
        }

        async function logout(token: Token, scope: Scope, key: string | undefined) {
          const expected = model.logout(token, scope, key);
          const response = await fixture.logout.invoke(bearer(token.text, scope, key));
          expect(reasonOf(response), `${scope} logout (key ${key}) of ${token.jti}`).toBe(expected);
          expect(fixture.clock.pinned, "the clock after the logout").toBe(model.now);
        }

        for (const each of steps) {
          switch (each.kind) {
            case "sign-in": {
              const start = model.now + each.skew;
              const session: Session = {
                issuer: each.issuer,
                user: each.user,
                id: each.named ? `s${next(`session/${each.issuer}/${each.user}`)}` : undefined,
                authTime: each.authTime ? start : undefined,
                signedInAt: model.now,
              };
              sessions.push(session);
              await mint(session, each.skew);
              break;
            }
            case "refresh": {
              const session = pick(sessions, each.session);
              // The issuer mints as long as the refresh token lives: up to the session bound.
              if (session === undefined || model.now - session.signedInAt > MAX_SESSION) break;
              await mint(session, each.skew);
              break;
            }
            case "logout": {
              const token = pick(tokens, each.token);
              if (token === undefined) break;
              logouts.push({ token, scope: each.scope, key: each.key });
              await logout(token, each.scope, each.key);
              break;
            }
            case "replay": {
              const earlier = pick(logouts, each.nth);
              if (earlier?.key === undefined) break;
              await logout(earlier.token, earlier.scope, earlier.key);
              break;
            }
            case "advance":
              model.now += each.seconds;
              fixture.clock.pinned = model.now;
              break;
          }
          for (const token of tokens) {
            const expected = model.check(token);
            const checked = await fixture.otherFunction(bearer(token.text, "local"));
            expect(reasonOf(checked), `check of ${token.jti} of ${userOf(token.session)}`).toBe(
              expected,
            );
            const decision = await fixture.authorizer(
              httpApiAuthorizerEvent({
                method: "GET",
                path: "/core/v1/example/protected",
                headers: { Authorization: `Bearer ${token.text}` },
              }),
              lambdaContext(),
            );
            expect(decision.isAuthorized, `authorizer on ${token.jti}`).toBe(
              expected === undefined,
            );
          }
        }
      },
    ),
    { seed, numRuns, examples: REPRODUCTIONS.map((steps) => [steps] as [Step[]]) },
  );
}, 120_000);
