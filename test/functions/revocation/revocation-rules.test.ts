/**
 * The rules and the item codec at their edges, with no DynamoDB: the boundaries the model's
 * random histories seldom land on exactly (a memory's last second, a write that half landed,
 * an item DynamoDB should never hold).
 */
import { describe, expect, it } from "vitest";
import {
  CLOCK_LEEWAY_SECONDS,
  type TokenClaims,
  VerifiedToken,
} from "../../../functions/domain/verified-token.js";
import {
  UnreadableAnswerError,
  userRevocationOf,
} from "../../../functions/revocation/revocation-items.js";
import {
  globalLogout,
  operatorSignOut,
  othersLogout,
  planUserRevocation,
  REMEMBERED_LOGOUTS,
  type RevocationLimits,
  replayPlan,
  sessionExpiry,
  sessionOutcome,
  type UserRevocation,
  verdict,
} from "../../../functions/revocation/revocation-rules.js";

const NOW = 1_800_000_000;
const limits: RevocationLimits = {
  maxSessionSeconds: 3600,
  maxTokenLifetimeSeconds: 600,
  issuerClockLagSeconds: 0.5,
};
const token = (claims: Partial<TokenClaims> = {}) =>
  new VerifiedToken("h.p.s", {
    iss: "https://issuer.example",
    sub: "alice",
    iat: NOW - 100,
    auth_time: NOW - 100,
    exp: NOW + 200,
    origin_jti: "s1",
    ...claims,
  } as TokenClaims);

/** The writers a user's record remembers after a new session's global logout ("new"). */
function rememberedAfterGlobal(user: UserRevocation): string[] {
  const asker = token({ auth_time: NOW - 5, iat: NOW - 5 });
  const plan = planUserRevocation(user, NOW, globalLogout(asker, NOW, "new"), limits);
  if (plan.kind !== "write") throw new Error(plan.kind);
  return plan.record.logouts.map(({ writer }) => writer);
}

describe("a global logout's memory", () => {
  it("lasts as long as its token can be used: to the last second the verifier accepts it", () => {
    const asker = token();
    const { remember } = globalLogout(asker, NOW, "writer-1");
    expect(remember?.until).toBe(NOW + 200 + CLOCK_LEEWAY_SECONDS + 1);
    const user: UserRevocation = {
      expiresAt: NOW + 5000,
      revokedBefore: NOW,
      logouts: [remember as NonNullable<typeof remember>],
    };
    // The verifier still accepts the token at exp + leeway: its replay is still a replay.
    const lastAccepted = NOW + 200 + CLOCK_LEEWAY_SECONDS;
    const at = (now: number) => verdict({ now, sessions: [undefined], user }, asker, "writer-1");
    expect(at(lastAccepted)).toBe("replayed");
    expect(at(lastAccepted + 0.9)).toBe("replayed");
    // Forgotten from then on: the token, covered, is revoked; never a new revocation.
    expect(at(lastAccepted + 1)).toBe("revoked");
  });

  it("an operator's lasts as long as any token may, and is forgotten after", () => {
    const request = operatorSignOut(NOW + 0.5, "op-1", limits);
    expect(request).toEqual({
      instant: NOW,
      remember: { writer: "op-1", by: "admin", until: NOW + 600 + CLOCK_LEEWAY_SECONDS + 1 },
    });
    const first = planUserRevocation(undefined, NOW + 0.5, request, limits);
    if (first.kind !== "write") throw new Error(first.kind);
    const until = NOW + 600 + CLOCK_LEEWAY_SECONDS + 1;
    const again = (now: number) =>
      planUserRevocation(first.record, now, operatorSignOut(now, "op-1", limits), limits).kind;
    expect(again(until - 0.5)).toBe("replayed");
    expect(again(until)).toBe("write");
  });

  it("keeps no logout past its time when it writes the next", () => {
    const user: UserRevocation = {
      expiresAt: NOW + 5000,
      revokedBefore: NOW - 10,
      logouts: [
        { writer: "gone", by: "user", until: NOW },
        { writer: "kept", by: "user", until: NOW + 1 },
      ],
    };
    expect(rememberedAfterGlobal(user)).toEqual(["kept", "new"]);
  });

  it(`keeps the last ${REMEMBERED_LOGOUTS} of each author`, () => {
    const logouts = Array.from({ length: REMEMBERED_LOGOUTS }, (_, n) => ({
      writer: `u${n}`,
      by: "user" as const,
      until: NOW + 100,
    }));
    const user = { expiresAt: NOW + 5000, revokedBefore: NOW - 10, logouts };
    expect(rememberedAfterGlobal(user)).toEqual([
      ...logouts.slice(1).map(({ writer }) => writer),
      "new",
    ]);
  });
});

describe("a local logout's answer", () => {
  const snapshot = (sessions: ({ revokedBy: string } | undefined)[]) => ({
    now: NOW,
    sessions: sessions.map((each) => each && { ...each, expiresAt: NOW + 100 }),
    user: undefined,
  });

  it("is recorded where one write landed and the other found this logout's own item", () => {
    const both = token({ sid: "oidc-1" });
    expect(
      sessionOutcome(snapshot([undefined, { revokedBy: "me" }]), both, "me", [true, false]),
    ).toBe("recorded");
    expect(
      sessionOutcome(snapshot([{ revokedBy: "me" }, { revokedBy: "me" }]), both, "me", [
        false,
        false,
      ]),
    ).toBe("replayed");
    expect(
      sessionOutcome(snapshot([undefined, { revokedBy: "another" }]), both, "me", [true, false]),
    ).toBe("revoked");
  });
});

describe("the item codec", () => {
  const item = (fields: Record<string, unknown>) => ({
    pk: { S: "user#v2#x" },
    expiresAt: { N: String(NOW + 100) },
    version: { N: "3" },
    revokedBefore: { N: String(NOW) },
    ...fields,
  });

  it("reads a user item without a list of logouts as remembering none", () => {
    expect(userRevocationOf(item({})).record.logouts).toEqual([]);
  });

  it("refuses a number that is not DynamoDB's string, and a logout that is no map", () => {
    expect(() => userRevocationOf(item({ revokedBefore: { N: NOW } }))).toThrow(
      UnreadableAnswerError,
    );
    expect(() => userRevocationOf(item({ logouts: { L: [null] } }))).toThrow(
      "DynamoDB's answer has a logout without its writer",
    );
  });
});

describe("one waiting logout per user, and replays at their first answer", () => {
  const remembered = (writer: string, answerAt: number | undefined, request?: string) => ({
    writer,
    by: "user" as const,
    until: NOW + 600,
    ...(answerAt === undefined ? {} : { answerAt }),
    ...(request === undefined ? {} : { request }),
  });
  const userWith = (...logouts: ReturnType<typeof remembered>[]): UserRevocation => ({
    expiresAt: NOW + 5000,
    revokedBefore: NOW - 1,
    logouts,
  });
  const asker = token({ auth_time: NOW - 5, iat: NOW - 5 });

  it("turns a global away while another's answer is still to come, with the latest answer's time", () => {
    const user = userWith(
      remembered("a", NOW + 0.4),
      remembered("b", NOW + 1.2),
      remembered("c", NOW - 3),
    );
    expect(planUserRevocation(user, NOW, globalLogout(asker, NOW, "new"), limits)).toEqual({
      kind: "busy",
      retryAt: NOW + 1.2,
    });
  });

  it("writes a global, remembering its own answer's time, once every other answer has gone", () => {
    const user = userWith(remembered("a", NOW - 0.1), remembered("b", NOW));
    const plan = planUserRevocation(user, NOW, globalLogout(asker, NOW, "new"), limits);
    expect(plan.kind).toBe("write");
    if (plan.kind !== "write") return;
    expect(plan.answerAt).toBe(NOW + 1 + limits.issuerClockLagSeconds);
    expect(plan.record.logouts.at(-1)).toMatchObject({ writer: "new", answerAt: plan.answerAt });
  });

  it("never turns an operator away, nor an others that waits for nothing", () => {
    const user = { ...userWith(remembered("a", NOW + 1)), revokedBefore: NOW - 10 };
    expect(planUserRevocation(user, NOW, operatorSignOut(NOW, "admin", limits), limits).kind).toBe(
      "write",
    );
    expect(
      planUserRevocation(user, NOW, othersLogout(token({ auth_time: NOW, iat: NOW }), NOW), limits)
        .kind,
    ).toBe("write");
  });

  it("answers a replay at once when its own first answer has gone, whatever another's", () => {
    const user = userWith(remembered("mine", NOW - 2), remembered("other", NOW + 1));
    expect(replayPlan(user, "mine", NOW, limits)).toEqual({ kind: "replayed", answerAt: NOW });
    expect(replayPlan(user, "other", NOW, limits)).toEqual({ kind: "busy", retryAt: NOW + 1 });
  });

  it("waits for its own write whose answer was lost, found by the request's id, and only then", () => {
    const user = userWith(remembered("mine", NOW + 1.5, "request-1"));
    expect(replayPlan(user, "mine", NOW, limits, "request-1")).toEqual({
      kind: "replayed",
      answerAt: NOW + 1.5,
    });
    expect(replayPlan(user, "mine", NOW, limits, "request-2")).toEqual({
      kind: "busy",
      retryAt: NOW + 1.5,
    });
  });

  it("reads a logout of the release before, with no answer time, by the user's latest instant", () => {
    const user = userWith(remembered("old", undefined));
    // revokedBefore NOW - 1: its answer went at NOW - 1 + 1 + lag, half a second from now.
    expect(replayPlan(user, "old", NOW, limits)).toEqual({
      kind: "busy",
      retryAt: NOW + limits.issuerClockLagSeconds,
    });
  });

  it("a replay of a logout the user no longer remembers answers at once", () => {
    expect(replayPlan(userWith(), "gone", NOW, limits)).toEqual({
      kind: "replayed",
      answerAt: NOW,
    });
    expect(replayPlan(undefined, "gone", NOW, limits)).toEqual({ kind: "replayed", answerAt: NOW });
  });
});

describe("how long a session's revocation is kept", () => {
  it("until the last token its id may mint has expired, step-ups with later auth_time included", () => {
    // Signed in long ago: the verifier refuses this token soon, but a re-authentication within
    // the session (the same sid, auth_time now) mints tokens for up to the session's bound.
    const old = token({ auth_time: NOW - limits.maxSessionSeconds + 10, sid: "s" });
    const kept = sessionExpiry("session#v2#x", old, NOW, limits);
    const lastStepUpToken = NOW + limits.maxSessionSeconds + limits.maxTokenLifetimeSeconds;
    expect(kept).toBeGreaterThan(lastStepUpToken + CLOCK_LEEWAY_SECONDS);
    // A token's own item: its own expiry is enough.
    expect(sessionExpiry("token#v2#x", old, NOW, limits)).toBe(
      Math.ceil(old.claims.exp) + CLOCK_LEEWAY_SECONDS + 1,
    );
  });
});
