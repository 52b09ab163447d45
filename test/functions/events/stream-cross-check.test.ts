/**
 * The stream stand-in (`scripts/table-stream.ts`), which every other events test and `npm start`
 * rely on, held to a second implementation of DynamoDB Streams: moto's (`moto_server`, on this
 * kind of machine; the suite says so and skips where it is absent). The same real writes of the
 * store go through the stand-in into moto: both must tell the same changes (moto also records a
 * write that changed nothing, which DynamoDB does not: those are set aside), and the publisher
 * must make the same events of either.
 */
import { isDeepStrictEqual } from "node:util";
import type { DynamoDBRecord } from "aws-lambda";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "../../../functions/domain/clock.js";
import { type TokenClaims, VerifiedToken } from "../../../functions/domain/verified-token.js";
import { createEventPublisher, type EventBus } from "../../../functions/events/event-publisher.js";
import type { SessionRevokedDetail } from "../../../functions/events/session-revoked.js";
import {
  createDynamoDbClient,
  type DynamoDbClient,
} from "../../../functions/revocation/dynamodb-client.js";
import { createRevocationStore } from "../../../functions/revocation/revocation-store.js";
import { createRevocationTableInput } from "../../../functions/revocation/revocation-table.js";
import { startTableStream, type TableStream } from "../../../scripts/table-stream.js";
import { createLocalIdentity, LOCAL_CREDENTIALS, LOCAL_REGION } from "../../support/kit.js";
import { MOTO_INSTALLED, type MotoServer, startMotoServer } from "../../support/moto-server.js";

const MOTO = MOTO_INSTALLED;
const TABLE = "revocations-cross-check";

let moto: MotoServer | undefined;
let motoEndpoint: string;
let stream: TableStream;
let client: DynamoDbClient;

async function motoCall(target: string, body: object): Promise<Record<string, unknown>> {
  const response = await fetch(motoEndpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": target,
      authorization: `AWS4-HMAC-SHA256 Credential=local/20260101/${LOCAL_REGION}/dynamodb/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`moto: ${target}: ${JSON.stringify(answer)}`);
  return answer;
}

/** Every record moto's stream holds, oldest first. */
async function motoRecords(): Promise<DynamoDBRecord[]> {
  const { Table } = (await motoCall("DynamoDB_20120810.DescribeTable", { TableName: TABLE })) as {
    Table: { LatestStreamArn: string };
  };
  const { StreamDescription } = (await motoCall("DynamoDBStreams_20120810.DescribeStream", {
    StreamArn: Table.LatestStreamArn,
  })) as { StreamDescription: { Shards: { ShardId: string }[] } };
  const records: DynamoDBRecord[] = [];
  for (const { ShardId } of StreamDescription.Shards) {
    let { ShardIterator } = (await motoCall("DynamoDBStreams_20120810.GetShardIterator", {
      StreamArn: Table.LatestStreamArn,
      ShardId,
      ShardIteratorType: "TRIM_HORIZON",
    })) as { ShardIterator?: string };
    while (ShardIterator) {
      const page = (await motoCall("DynamoDBStreams_20120810.GetRecords", { ShardIterator })) as {
        Records: DynamoDBRecord[];
        NextShardIterator?: string;
      };
      records.push(...page.Records);
      ShardIterator = page.Records.length > 0 ? page.NextShardIterator : undefined;
    }
  }
  return records;
}

beforeAll(async () => {
  if (!MOTO) return;
  moto = await startMotoServer(21_000);
  motoEndpoint = moto.endpoint;
  await motoCall("DynamoDB_20120810.CreateTable", {
    ...createRevocationTableInput(TABLE),
    // As the stack's table: its stream carries each item before and after.
    StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
  });
  stream = await startTableStream(motoEndpoint, { region: LOCAL_REGION });
  client = createDynamoDbClient({
    endpoint: stream.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
}, 30_000);

afterAll(async () => {
  await stream?.stop();
  await moto?.stop();
});

describe.skipIf(!MOTO)("the stream stand-in against moto's DynamoDB Streams", () => {
  it("tells the changes moto's stream tells, and the publisher makes the same events of both", async () => {
    // The store's own clock, moved by its waits rather than waiting.
    let now = Date.now() / 1000;
    const clock: Clock = {
      now: () => now,
      sleepUntil: async (instant) => {
        now = Math.max(now, instant);
      },
    };
    const store = createRevocationStore(
      client,
      {
        tableName: TABLE,
        maxSessionSeconds: 3600,
        maxTokenLifetimeSeconds: 600,
        issuerClockLagMs: 500,
      },
      clock,
    );
    const identity = await createLocalIdentity();
    const token = async (sub: string, claims: Record<string, unknown> = {}) => {
      const text = await identity.mint("valid", {
        sub,
        origin_jti: crypto.randomUUID(),
        auth_time: Math.floor(now) - 60,
        iat: Math.floor(now),
        ...claims,
      });
      return new VerifiedToken(text, decodeJwt(text) as TokenClaims);
    };
    const ignoringRevoked = (promise: Promise<unknown>) =>
      promise.catch((error: Error) => {
        if (error.name !== "TokenRevokedError") throw error;
      });

    // Every scope, the operator, replays, a no-op and a covered local logout.
    const [alice, bob, carol] = ["alice", "bob", "carol"].map(
      (name) => `${name}-${crypto.randomUUID()}`,
    );
    const both = await token(carol as string, { sid: "oidc-1" });
    await store.revokeSession(both, "l1");
    await store.revokeSession(both, "l1");
    const old = await token(alice as string);
    await store.revokeUserSessions(await token(alice as string), {
      keepOwnSession: false,
      logoutId: "g1",
    });
    await ignoringRevoked(store.revokeSession(old, "l2"));
    now += 5;
    const fresh = await token(alice as string, { auth_time: Math.floor(now) });
    await store.revokeUserSessions(fresh, { keepOwnSession: true, logoutId: "o1" });
    await store.revokeUserSessions(fresh, { keepOwnSession: true, logoutId: "o2" });
    await store.revokeUser({ iss: identity.issuer, sub: bob as string }, "operator:1", "INC-1");
    await store.revokeUser({ iss: identity.issuer, sub: bob as string }, "operator:1", "INC-1");

    const fromMoto = (await motoRecords()).filter(
      (record) => !isDeepStrictEqual(record.dynamodb?.OldImage, record.dynamodb?.NewImage),
    );
    const change = (record: DynamoDBRecord) => ({
      eventName: record.eventName,
      Keys: record.dynamodb?.Keys,
      NewImage: record.dynamodb?.NewImage,
      OldImage: record.dynamodb?.OldImage,
    });
    // Writes of different items run at once: the same changes, in whichever order they landed.
    const changes = (records: DynamoDBRecord[]) => records.map(change).sort(byContent);
    expect(stream.records.length).toBeGreaterThanOrEqual(6);
    expect(changes(fromMoto)).toEqual(changes(stream.records));

    const eventsOf = async (records: DynamoDBRecord[]) => {
      const put: SessionRevokedDetail[] = [];
      const bus: EventBus = {
        async put(details) {
          put.push(...details);
          return details.map(() => undefined);
        },
      };
      const publish = createEventPublisher({ bus });
      const result = await publish(records.map((record, i) => withSequence(record, i)));
      expect(result.batchItemFailures).toEqual([]);
      return put;
    };
    const [fromStandIn, fromMotosStream] = [
      await eventsOf(stream.records),
      await eventsOf(fromMoto),
    ];
    expect([...fromMotosStream].sort(byContent)).toEqual([...fromStandIn].sort(byContent));
    // The covered local logout too: a later token of its session would need it.
    expect(fromStandIn.map((detail) => detail.revocation.scope).sort()).toEqual([
      "global",
      "local",
      "local",
      "local",
      "operator",
      "others",
    ]);
  }, 60_000);
});

/** Its content, keys sorted at every depth: the same for two encodings of one value. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, inner) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );
const byContent = (a: unknown, b: unknown) => canonical(a).localeCompare(canonical(b));

const withSequence = (record: DynamoDBRecord, index: number): DynamoDBRecord => ({
  ...record,
  dynamodb: { ...record.dynamodb, SequenceNumber: String(index) },
});
