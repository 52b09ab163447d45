/**
 * The logout's core on its own: which port it calls, in what order and with what, for each
 * scope, body and key. The ports are small recording fakes
 * here (the store and Cognito are tested for real elsewhere): the core's promise is the order.
 */
import { describe, expect, it } from "vitest";
import { type LogoutRequest, logOut } from "../../../functions/core/logout.js";
import { NoSubjectError, TokenRevokedError } from "../../../functions/domain/errors.js";
import type {
  LogoutRecord,
  RevocationRecorder,
  UpstreamSignOut,
} from "../../../functions/domain/ports.js";
import { type TokenClaims, VerifiedToken } from "../../../functions/domain/verified-token.js";

const token = (claims: Record<string, unknown> = {}) =>
  new VerifiedToken("header.payload.signature", {
    iss: "https://issuer.example",
    sub: "user-1",
    iat: 1_800_000_000,
    exp: 1_800_003_600,
    ...claims,
  } as TokenClaims);

/** Ports that record each call; `found` and `recorded` say what the store answers. */
function ports(found: "new" | LogoutRecord | Error = "new", recorded: LogoutRecord = "recorded") {
  const calls: string[] = [];
  const ids: string[] = [];
  const revocations: RevocationRecorder = {
    async assertNotRevoked() {
      calls.push("assertNotRevoked");
    },
    async claimLogout(_token, logoutId) {
      calls.push("claimLogout");
      ids.push(logoutId);
      if (found instanceof Error) throw found;
      return found;
    },
    async revokeSession(_token, logoutId) {
      calls.push("revokeSession");
      ids.push(logoutId);
      return recorded;
    },
    async revokeUserSessions(_token, { keepOwnSession, logoutId }) {
      calls.push(`revokeUserSessions(keep=${keepOwnSession})`);
      ids.push(logoutId);
      return recorded;
    },
  };
  const upstream: UpstreamSignOut = {
    async signOutEverywhere() {
      calls.push("signOutEverywhere");
    },
    async revokeRefreshToken(_token, refreshToken) {
      calls.push(`revokeRefreshToken(${refreshToken})`);
    },
  };
  return { calls, ids, revocations, upstream };
}

const request = (scope: LogoutRequest["scope"], extra: Partial<LogoutRequest> = {}) => ({
  scope,
  refreshToken: undefined,
  idempotencyKey: undefined,
  ...extra,
});

describe("logOut", () => {
  it.each([
    ["local", {}, ["revokeSession"]],
    ["local", { refreshToken: "r" }, ["claimLogout", "revokeRefreshToken(r)", "revokeSession"]],
    ["global", {}, ["claimLogout", "signOutEverywhere", "revokeUserSessions(keep=false)"]],
    [
      "global",
      { refreshToken: "r" },
      ["claimLogout", "signOutEverywhere", "revokeUserSessions(keep=false)"],
    ],
    // Cognito cannot sign out all but one session; the body's refresh token is the kept one.
    ["others", { refreshToken: "kept" }, ["revokeUserSessions(keep=true)"]],
  ] as const)("%s %j: %j", async (scope, extra, expected) => {
    const { calls, revocations, upstream } = ports();
    expect(await logOut(token(), request(scope, extra), { revocations, upstream })).toBe(
      "logged_out",
    );
    expect(calls).toEqual(expected);
  });

  it("a replay found before anything upstream ends there: no upstream call, no write", async () => {
    for (const [scope, extra] of [
      ["global", {}],
      ["local", { refreshToken: "r" }],
    ] as const) {
      const { calls, revocations, upstream } = ports("replayed");
      expect(await logOut(token(), request(scope, extra), { revocations, upstream })).toBe(
        "replayed",
      );
      expect(calls).toEqual(["claimLogout"]);
    }
  });

  it("a replay the write finds is said to be one", async () => {
    const { revocations, upstream } = ports("new", "replayed");
    for (const scope of ["local", "global", "others"] as const) {
      expect(await logOut(token(), request(scope), { revocations, upstream })).toBe("replayed");
    }
  });

  it("a revoked token causes no upstream call", async () => {
    const { calls, revocations, upstream } = ports(new TokenRevokedError());
    await expect(logOut(token(), request("global"), { revocations, upstream })).rejects.toThrow(
      TokenRevokedError,
    );
    expect(calls).toEqual(["claimLogout"]);
  });

  it.each([undefined, ""])(
    "global and others need a subject (sub %j): refused before any call; local does not",
    async (sub) => {
      const { calls, revocations, upstream } = ports();
      for (const scope of ["global", "others"] as const) {
        await expect(
          logOut(token({ sub }), request(scope), { revocations, upstream }),
        ).rejects.toThrow(NoSubjectError);
      }
      expect(calls).toEqual([]);
      await logOut(token({ sub }), request("local"), { revocations, upstream });
      expect(calls).toEqual(["revokeSession"]);
    },
  );

  it("without a revocation table, only the identity provider acts", async () => {
    const { calls, upstream } = ports();
    expect(await logOut(token(), request("global"), { revocations: undefined, upstream })).toBe(
      "logged_out",
    );
    expect(calls).toEqual(["signOutEverywhere"]);
  });

  it("names a logout by its scope and Idempotency-Key, else afresh each time", async () => {
    const { ids, revocations, upstream } = ports();
    const withKey = request("global", { idempotencyKey: "k-1" });
    await logOut(token(), withKey, { revocations, upstream });
    expect(ids).toEqual(["global:k-1", "global:k-1"]);
    ids.length = 0;
    await logOut(token(), request("local"), { revocations, upstream });
    await logOut(token(), request("local"), { revocations, upstream });
    expect(ids[0]).not.toBe(ids[1]);
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
  });
});
