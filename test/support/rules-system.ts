/**
 * The revocation rules alone as a `RevocationSystem`: the records in a map, each request carried
 * out as the store does it (`revocation-store.ts`), with no DynamoDB, no HTTP and no signature.
 * The conformance run holds the store itself to the same model, so the two cannot drift apart
 * unnoticed; this one runs thousands of histories in seconds.
 */
import { randomUUID } from "node:crypto";
import { SessionStartUnknownError } from "../../functions/domain/errors.js";
import { type TokenClaims, VerifiedToken } from "../../functions/domain/verified-token.js";
import {
  globalLogout,
  live,
  operatorSignOut,
  othersLogout,
  planUserRevocation,
  type RevocationLimits,
  replayPlan,
  type SessionRevocation,
  type Snapshot,
  sessionExpiry,
  sessionOutcome,
  type UserRevocation,
  verdict,
  writerOf,
} from "../../functions/revocation/revocation-rules.js";
import { sessionKeys, userKey } from "../../functions/revocation/revocation-table.js";
import { BUSY, REVOKED, type RevocationSystem, type Token } from "./revocation-history.js";

export function createRulesSystem(limits: RevocationLimits): RevocationSystem {
  const sessions = new Map<string, SessionRevocation>();
  const users = new Map<string, UserRevocation>();
  let now = 0;
  // The issuer names itself in `iss`, as a signed token would.
  const tokenOf = ({ text, claims, session }: Token) =>
    new VerifiedToken(text, { ...claims, iss: `issuer-${session.issuer}` } as TokenClaims);
  /** What the store's one read finds for the token: its session records and the user's. */
  const snapshotOf = (token: VerifiedToken) => {
    const keys = sessionKeys(token);
    const user = userKey(token.claims) as string;
    return {
      keys,
      user,
      snapshot: {
        now,
        sessions: keys.map((key) => live(sessions.get(key), now)),
        user: live(users.get(user), now),
      } satisfies Snapshot,
    };
  };
  const wait = (until: number) => {
    now = Math.max(now, until);
  };

  return {
    verifies: false,
    setNow(at) {
      now = at;
    },
    now: () => now,
    mint: async (issuer, claims) => `${issuer}.${JSON.stringify(claims)}.signature`,
    async operator(issuer, sub) {
      const user = userKey({ iss: `issuer-${issuer}`, sub }) as string;
      const writer = writerOf(user, randomUUID());
      const plan = planUserRevocation(
        live(users.get(user), now),
        now,
        operatorSignOut(now, writer, limits),
        limits,
      );
      if (plan.kind !== "write") throw new Error(`an operator's sign-out planned ${plan.kind}`);
      users.set(user, plan.record);
      wait(plan.answerAt);
    },
    async check(token) {
      return verdict(snapshotOf(tokenOf(token)).snapshot, tokenOf(token)) === "clear"
        ? undefined
        : REVOKED;
    },
    async logout(token, scope, key) {
      const verified = tokenOf(token);
      const logoutId = key === undefined ? randomUUID() : `${scope}:${key}`;
      const { keys, user, snapshot } = snapshotOf(verified);
      const writer = writerOf(keys[0] as string, logoutId);
      if (scope === "local") {
        // The writes land where no live record is; the read beside them saw the table before.
        const landed = keys.map((each) => {
          if (live(sessions.get(each), now)) return false;
          sessions.set(each, {
            expiresAt: sessionExpiry(each, verified, now, limits),
            revokedBy: writer,
          });
          return true;
        });
        return sessionOutcome(snapshot, verified, writer, landed) === "revoked"
          ? REVOKED
          : undefined;
      }
      let request: ReturnType<typeof othersLogout> | undefined;
      try {
        request = scope === "others" ? othersLogout(verified, now) : undefined;
      } catch (error) {
        if (error instanceof SessionStartUnknownError) return error.message;
        throw error;
      }
      const found = verdict(snapshot, verified, writer);
      if (found === "revoked") return REVOKED;
      const plan =
        found === "replayed"
          ? replayPlan(snapshot.user, writer, now, limits)
          : planUserRevocation(
              snapshot.user,
              now,
              request ?? globalLogout(verified, now, writer),
              limits,
            );
      if (plan.kind === "busy") return BUSY;
      if (plan.kind === "write") users.set(user, plan.record);
      if (plan.kind !== "unchanged") wait(plan.answerAt);
      return undefined;
    },
  };
}
