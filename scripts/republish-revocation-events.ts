/**
 * `npm run republish-revocation-events -- --stage NAME [--since ISO] [--until ISO]`: puts on
 * the stage's bus again the events of the revocations written in a window, read from the table
 * itself, for what the dead-letter queue parked (docs/incident-response.md). Each item is its
 * own record of its last write, notice included, so each event has the id its first delivery
 * had, and receivers drop the ones they have. Not the stream: it keeps records 24 hours, the
 * table keeps a revocation as long as it matters. Signs with your AWS credentials (the SDK's
 * chain), which need `dynamodb:Scan` on the table and `events:PutEvents` on the bus.
 */
import { parseArgs } from "node:util";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import type { DynamoDBRecord } from "aws-lambda";
import { createEventPublisher, type EventBus } from "../functions/events/event-publisher.js";
import { eventBridgeBus } from "../functions/events/eventbridge-bus.js";
import {
  createDynamoDbClient,
  type DynamoDbClient,
  dynamoDbEndpoint,
} from "../functions/revocation/dynamodb-client.js";
import { createUserRevocationsReader } from "../functions/revocation/revocation-reader.js";
import { refuse } from "./refuse.js";

export interface RepublishResult {
  items: number;
  published: number;
  covered: number;
  failures: Record<string, number>;
}

/** Scans the table for items written in [since, until] (ms) and publishes their events. */
export async function republish({
  dynamodb,
  tableName,
  bus,
  since,
  until,
}: {
  dynamodb: DynamoDbClient;
  tableName: string;
  bus: EventBus;
  since: number;
  until: number;
}): Promise<RepublishResult> {
  const publish = createEventPublisher({
    bus,
    users: createUserRevocationsReader(dynamodb, tableName),
  });
  const result: RepublishResult = { items: 0, published: 0, covered: 0, failures: {} };
  let startKey: unknown;
  do {
    const page = await dynamodb.send<{
      Items?: Record<string, unknown>[];
      LastEvaluatedKey?: unknown;
    }>("Scan", {
      TableName: tableName,
      ConsistentRead: true,
      FilterExpression: "#notice.#at BETWEEN :since AND :until",
      ExpressionAttributeNames: { "#notice": "notice", "#at": "at" },
      ExpressionAttributeValues: { ":since": { N: String(since) }, ":until": { N: String(until) } },
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    });
    startKey = page.LastEvaluatedKey;
    const items = page.Items ?? [];
    // Each item as the record of its last write, with nothing before it.
    const records = items.map(
      (item, index): DynamoDBRecord => ({
        eventName: "INSERT",
        dynamodb: { NewImage: item as never, SequenceNumber: String(index) },
      }),
    );
    const outcome = await publish(records);
    result.items += items.length;
    result.published += outcome.published;
    result.covered += outcome.covered;
    for (const [code, count] of Object.entries(outcome.failures)) {
      result.failures[code] = (result.failures[code] ?? 0) + count;
    }
  } while (startKey);
  return result;
}

const USAGE =
  "usage: npm run republish-revocation-events -- --stage NAME [--since ISO] [--until ISO]   (default: the last 24 hours)";

async function main() {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        stage: { type: "string" },
        since: { type: "string" },
        until: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    return refuse((error as Error).message, USAGE);
  }
  if (values.help) return console.log(USAGE);
  const stage = values.stage;
  if (typeof stage !== "string") return refuse("--stage is required", USAGE);
  const instant = (value: unknown, fallback: number) => {
    if (value === undefined) return fallback;
    const ms = Date.parse(String(value));
    return Number.isNaN(ms) ? refuse(`"${value}" is not a date (ISO 8601)`, USAGE) : ms;
  };
  const until = instant(values.until, Date.now());
  const since = instant(values.since, until - 24 * 3600 * 1000);

  const ssm = new SSMClient({});
  const parameter = (name: string) =>
    ssm.send(new GetParameterCommand({ Name: `/rinne/${stage}/auth/${name}` })).then(
      (output) => output.Parameter?.Value ?? refuse(`the stage publishes no ${name}`),
      (error: Error) => refuse(`cannot read /rinne/${stage}/auth/${name}: ${error.message}`),
    );
  const [tableName, busArn] = await Promise.all([
    parameter("revocation-table-name"),
    parameter("revocation-event-bus-arn"),
  ]);
  const region = await ssm.config.region();
  const credentials = await ssm.config.credentials();
  const result = await republish({
    dynamodb: createDynamoDbClient({
      endpoint: dynamoDbEndpoint(process.env, region),
      region,
      credentials,
    }),
    tableName,
    bus: eventBridgeBus(new EventBridgeClient({}), busArn),
    since,
    until,
  });
  console.log(JSON.stringify(result));
  if (Object.keys(result.failures).length > 0) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
