/**
 * The revocation events' path as deployed, on this machine: the table's change records (the
 * stream stand-in of `scripts/table-stream.ts`, fed by the real writes), the real publisher built
 * from its environment, and an EventBridge stand-in that records each `PutEvents` and answers it
 * as EventBridge does (each entry its `EventId`, or the error a test scripts). The SDK reaches it
 * through `AWS_ENDPOINT_URL_EVENTBRIDGE`.
 */
import type { DynamoDBBatchResponse, DynamoDBRecord } from "aws-lambda";
import type { SessionRevokedDetail } from "../../functions/events/session-revoked.js";
import {
  type PublisherHandler,
  publisherHandlerFromEnvironment,
} from "../../functions/publisher/publisher-handler.js";
import { type Answer, type AwsJsonStandIn, startAwsJsonStandIn } from "./aws-json-stand-in.js";
import type { RevocationFixture } from "./revocation-fixture.js";

export const TEST_BUS = "rinne-auth-test";

export interface PutEntry {
  EventBusName: string;
  Source: string;
  DetailType: string;
  Detail: string;
  Time: number;
}

/** EventBridge's answer to PutEvents: `failing` entries (by index) refused with `code`. */
export function putEventsAnswer(
  failing: (index: number) => boolean = () => false,
  code = "InternalFailure",
) {
  return (body: Record<string, unknown>): Answer => {
    const entries = body.Entries as PutEntry[];
    const results = entries.map((_, index) =>
      failing(index)
        ? { ErrorCode: code, ErrorMessage: "refused by the test" }
        : { EventId: crypto.randomUUID() },
    );
    const failed = results.filter((result) => "ErrorCode" in result).length;
    return { status: 200, body: { FailedEntryCount: failed, Entries: results } };
  };
}

export interface EventPipeline {
  bus: AwsJsonStandIn;
  handler: PublisherHandler;
  /** Hands `records` (default: the stream's records since the last delivery) to the publisher. */
  deliver(records?: DynamoDBRecord[]): Promise<DynamoDBBatchResponse>;
  /** Every entry the bus accepted, in order. */
  accepted(): PutEntry[];
  /** The details of the entries accepted since the last call. */
  takeAccepted(): SessionRevokedDetail[];
  stop(): Promise<void>;
}

export async function startEventPipeline(fixture: RevocationFixture): Promise<EventPipeline> {
  const bus = await startAwsJsonStandIn();
  bus.answer("PutEvents", putEventsAnswer());
  const handler = publisherHandlerFromEnvironment(
    {
      ...fixture.dynamodb.environment,
      REVOCATION_TABLE_NAME: fixture.tableName,
      EVENT_BUS_NAME: TEST_BUS,
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
      POWERTOOLS_SERVICE_NAME: "auth-revocation-events",
    },
    {
      retries: { attempts: 3, baseDelayMs: 5 },
    },
  );
  // What the bus took: each request's entries that its 200 answer did not refuse.
  let taken = 0;
  const accepted = () =>
    bus.requests
      .filter(({ target, answer }) => target.endsWith(".PutEvents") && answer?.status === 200)
      .flatMap(({ body, answer }) => {
        const results = (answer?.body.Entries ?? []) as { ErrorCode?: string }[];
        return (body.Entries as PutEntry[]).filter((_, i) => results[i]?.ErrorCode === undefined);
      });
  return {
    bus,
    handler,
    deliver: (records = fixture.stream.take()) => handler({ Records: records }),
    accepted,
    takeAccepted() {
      const all = accepted();
      const fresh = all.slice(taken);
      taken = all.length;
      return fresh.map((entry) => JSON.parse(entry.Detail) as SessionRevokedDetail);
    },
    stop: () => bus.stop(),
  };
}

/** What Lambda sends the on-failure destination for a batch it gives up on (its shard's range). */
export interface ParkedBatch {
  startSequenceNumber: string | undefined;
  endSequenceNumber: string | undefined;
  batchSize: number;
}

/**
 * A stand-in for Lambda's polling of a stream with ReportBatchItemFailures, as its guide
 * describes it: a batch is delivered again from the first record reported, up to
 * `retryAttempts` times; then Lambda sends the batch's range to the on-failure destination and
 * goes on. Returns what it parked.
 */
export async function pollAsLambda(
  handler: PublisherHandler,
  records: DynamoDBRecord[],
  { retryAttempts }: { retryAttempts: number },
): Promise<ParkedBatch[]> {
  let batch = records;
  for (let retries = 0; batch.length > 0; retries++) {
    const [failure] = (await handler({ Records: batch })).batchItemFailures;
    if (failure === undefined) return [];
    const from = batch.findIndex((r) => r.dynamodb?.SequenceNumber === failure.itemIdentifier);
    batch = from < 0 ? batch : batch.slice(from);
    if (retries >= retryAttempts) {
      return [
        {
          startSequenceNumber: batch[0]?.dynamodb?.SequenceNumber,
          endSequenceNumber: batch.at(-1)?.dynamodb?.SequenceNumber,
          batchSize: batch.length,
        },
      ];
    }
  }
  return [];
}
