/**
 * Which change records of the revocation table are revocations that took effect, as a model: a
 * session or token item written where none was live; a user item whose instant moved later, or
 * written where none was live. Nothing else: not a rewrite that moved nothing, not TTL's
 * deletion. The items are the codec's own.
 */
import type { DynamoDBRecord } from "aws-lambda";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  changeOf,
  revocationOf as revocationOfChange,
} from "../../../functions/events/revocation-changes.js";
import { sessionRevokedDetail } from "../../../functions/events/session-revoked.js";
import {
  type RevocationNotice,
  sessionItem,
  UnreadableAnswerError,
  userItem,
} from "../../../functions/revocation/revocation-items.js";
import { claimKey } from "../../../functions/revocation/revocation-table.js";

const NOW = 1_800_000_000;
/** A stream record's revocation, as the publisher reads it. */
const revocationOf = (record: DynamoDBRecord) => {
  const change = changeOf(record);
  return change && revocationOfChange(change);
};
const notice = (at: number, scope: RevocationNotice["scope"]): RevocationNotice => ({
  scope,
  iss: "https://issuer.example",
  sub: "alice",
  at: at * 1000,
});
const userAt = (revokedBefore: number, expiresAt: number, version: number, at: number) =>
  userItem("user#v2#a", { revokedBefore, expiresAt, logouts: [] }, version, notice(at, "global"));
const sessionAt = (at: number, expiresAt: number) =>
  sessionItem(
    "session#v2#s",
    { expiresAt, revokedBy: "w" },
    {
      ...notice(at, "local"),
      session: "s",
    },
  );
const record = (
  eventName: DynamoDBRecord["eventName"],
  newImage: object | undefined,
  oldImage?: object,
): DynamoDBRecord => ({
  eventName,
  dynamodb: {
    ...(newImage ? { NewImage: newImage } : {}),
    ...(oldImage ? { OldImage: oldImage } : {}),
  } as DynamoDBRecord["dynamodb"],
});

/** The item before: none, one still live when the new one was written, or one past its expiry. */
const before = fc.constantFrom("none", "live", "expired");
const expiryOf = (state: string) => (state === "live" ? NOW + 60 : NOW - 1);

describe("revocationOf", () => {
  it("a user item: a revocation where none was live, or where its instant moved later", () => {
    fc.assert(
      fc.property(before, fc.integer({ min: -3, max: 3 }), (old, moved) => {
        const oldItem = old === "none" ? undefined : userAt(NOW - 10, expiryOf(old), 4, NOW - 20);
        const newItem = userAt(NOW - 10 + moved, NOW + 600, 5, NOW);
        const found = revocationOf(record(oldItem ? "MODIFY" : "INSERT", newItem, oldItem));
        const tookEffect = old !== "live" || moved > 0;
        expect(found !== undefined).toBe(tookEffect);
        if (found) expect(found).toMatchObject({ revokedBefore: NOW - 10 + moved });
      }),
    );
  });

  it("a session item: a revocation only where none was live", () => {
    fc.assert(
      fc.property(before, (old) => {
        const oldItem = old === "none" ? undefined : sessionAt(NOW - 30, expiryOf(old));
        const found = revocationOf(
          record(oldItem ? "MODIFY" : "INSERT", sessionAt(NOW, NOW + 600), oldItem),
        );
        expect(found !== undefined).toBe(old !== "live");
        if (found) expect([found.writer, found.revokedBefore]).toEqual(["w", undefined]);
      }),
    );
  });

  it("an old item whose expiry is the new write's second revoked nothing any more", () => {
    const found = revocationOf(
      record("MODIFY", sessionAt(NOW, NOW + 600), sessionAt(NOW - 60, NOW)),
    );
    expect(found).toBeDefined();
  });

  it("TTL's deletion is no revocation", () => {
    expect(revocationOf(record("REMOVE", undefined, sessionAt(NOW, NOW)))).toBeUndefined();
  });

  it("a record it cannot read is an error, never skipped", () => {
    const { notice: _notice, ...ofTheReleaseBefore } = sessionAt(NOW, NOW + 60);
    for (const unreadable of [
      record("INSERT", undefined),
      record("INSERT", ofTheReleaseBefore),
      record("INSERT", { ...sessionAt(NOW, NOW + 60), notice: { M: { iss: { S: "x" } } } }),
      record("INSERT", { ...sessionAt(NOW, NOW + 60), revokedBy: undefined }),
    ]) {
      expect(() => revocationOf(unreadable)).toThrow(UnreadableAnswerError);
    }
    expect(() => revocationOf(record("INSERT", undefined))).toThrow(/stream view type/);
  });
});

describe("the event's id", () => {
  const idOf = (item: object) => {
    const found = revocationOf(record("INSERT", item));
    return sessionRevokedDetail(found as NonNullable<typeof found>).id;
  };

  it("a user's: one per instant, whichever write (version, time, reason) last carried it", () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.integer({ min: 0, max: 2 }), fc.nat(3), fc.nat(2)),
        fc.tuple(fc.integer({ min: 0, max: 2 }), fc.nat(3), fc.nat(2)),
        ([beforeA, versionA, atA], [beforeB, versionB, atB]) => {
          const a = idOf(userAt(NOW + beforeA, NOW + 600, versionA + 1, NOW + atA));
          const b = idOf(userAt(NOW + beforeB, NOW + 600, versionB + 1, NOW + atB));
          expect(a === b).toBe(beforeA === beforeB);
        },
      ),
    );
  });

  it("a session's: one per write, which only happens once the one before lapsed", () => {
    fc.assert(
      fc.property(fc.nat(3), fc.nat(3), (atA, atB) => {
        expect(
          idOf(sessionAt(NOW + atA, NOW + 600)) === idOf(sessionAt(NOW + atB, NOW + 600)),
        ).toBe(atA === atB);
      }),
    );
  });

  it("never a user's and a session's alike", () => {
    expect(idOf(userAt(NOW, NOW + 600, 1, NOW))).not.toBe(idOf(sessionAt(NOW, NOW + 600)));
  });
});

describe("the event of a local logout", () => {
  it("names no user where the token had no sub: no key for it at all", () => {
    const item = sessionItem(
      "session#v2#s",
      { expiresAt: NOW + 600, revokedBy: "w" },
      {
        scope: "local",
        iss: "https://issuer.example",
        session: "s",
        at: NOW * 1000,
      },
    );
    const found = revocationOf(record("INSERT", item));
    const detail = sessionRevokedDetail(found as NonNullable<typeof found>);
    expect(Object.keys(detail.revocation)).not.toContain("sub");
    expect(Object.keys(detail.sub_id)).toEqual(["format", "session"]);
  });

  it("names the session alone: no user-wide instant, no token id", () => {
    const found = revocationOf(record("INSERT", sessionAt(NOW, NOW + 600)));
    const { revocation } = sessionRevokedDetail(found as NonNullable<typeof found>);
    expect(Object.keys(revocation).sort()).toEqual([
      "iss",
      "recorded_at",
      "scope",
      "session",
      "sub",
    ]);
  });
});

describe("a logout's claim on the identity provider's call", () => {
  it("is no revocation, however often it is written", () => {
    const claim = { pk: { S: claimKey("writer-digest") }, expiresAt: { N: String(NOW + 10) } };
    expect(revocationOf(record("INSERT", claim))).toBeUndefined();
    expect(revocationOf(record("MODIFY", claim, claim))).toBeUndefined();
  });
});
