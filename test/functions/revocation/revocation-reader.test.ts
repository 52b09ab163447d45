/**
 * The read's retry of unprocessed keys, on a DynamoDB client stand-in that answers as throttled
 * DynamoDB does (part of the batch listed in `UnprocessedKeys`): the control flow only, which
 * the dynalite suites cannot steer to its budget's edge. The answers are DynamoDB's own format.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { TokenClaims } from "../../../functions/domain/verified-token.js";
import { VerifiedToken } from "../../../functions/domain/verified-token.js";
import type { DynamoDbClient, SendOptions } from "../../../functions/revocation/dynamodb-client.js";
import { createRevocationCheck } from "../../../functions/revocation/revocation-reader.js";
import { createRevocationStore } from "../../../functions/revocation/revocation-store.js";

const TABLE = "revocations";
const now = Date.now() / 1000;
const token = new VerifiedToken("h.p.s", {
  iss: "https://issuer.example",
  sub: "alice",
  iat: now - 10,
  exp: now + 600,
  origin_jti: "s1",
} as TokenClaims);

/** A stand-in that leaves every batch's first key unread, and records what it was sent. */
function throttledClient(callBudgetMs: number) {
  const sent: { keys: string[]; options: SendOptions | undefined; at: number }[] = [];
  const client: DynamoDbClient = {
    callBudgetMs,
    async send<Output>(_operation: string, input: object, options?: SendOptions) {
      const requested =
        (input as { RequestItems: Record<string, { Keys: { pk: { S: string } }[] }> }).RequestItems[
          TABLE
        ]?.Keys ?? [];
      sent.push({ keys: requested.map((key) => key.pk.S), options, at: performance.now() });
      return {
        Responses: { [TABLE]: [] },
        UnprocessedKeys: { [TABLE]: { Keys: requested.slice(0, 1) } },
      } as Output;
    },
  };
  return { client, sent };
}

afterEach(() => vi.restoreAllMocks());

describe("a read DynamoDB keeps throttling", () => {
  it("reads the unread keys again after full-jitter backoffs, all under one deadline, three rounds", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.99);
    const { client, sent } = throttledClient(10_000);
    const check = createRevocationCheck(client, TABLE);
    await expect(check.assertNotRevoked(token)).rejects.toMatchObject({
      name: "RevocationStoreUnavailableError",
      cause: { message: "DynamoDB's answer left keys unread" },
    });
    expect(sent.map(({ keys }) => keys.length)).toEqual([2, 1, 1]);
    const deadlines = new Set(sent.map(({ options }) => options?.deadline));
    expect(deadlines.size).toBe(1);
    expect([...deadlines][0]).toBeGreaterThan(Date.now());
    // The backoffs: up to 25 ms × 2^round, here 0.99 of it.
    expect((sent[1]?.at ?? 0) - (sent[0]?.at ?? 0)).toBeGreaterThanOrEqual(45);
    expect((sent[2]?.at ?? 0) - (sent[1]?.at ?? 0)).toBeGreaterThanOrEqual(95);
  });

  it("stops before a backoff that would pass the read's budget", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.99);
    const { client, sent } = throttledClient(30);
    await expect(createRevocationCheck(client, TABLE).assertNotRevoked(token)).rejects.toThrow(
      "Revocation store unavailable",
    );
    expect(sent).toHaveLength(1);
  });

  it("an operator's sign-out reads the user's item alone", async () => {
    const { client, sent } = throttledClient(30);
    const store = createRevocationStore(client, {
      tableName: TABLE,
      maxSessionSeconds: 3600,
      maxTokenLifetimeSeconds: 600,
      issuerClockLagMs: 0,
    });
    await expect(
      store.revokeUser({ iss: "https://issuer.example", sub: "alice" }, "op"),
    ).rejects.toThrow();
    expect(sent[0]?.keys).toHaveLength(1);
    expect(sent[0]?.keys[0]).toMatch(/^user#/);
  });
});
