/**
 * `npm run republish-revocation-events -- --stage NAME (--message FILE | --since ISO [--until
 * ISO])`: puts on the stage's bus again the events of the revocations written in a window, read
 * from the table itself, for what the dead-letter queue parked (docs/incident-response.md).
 * Each item holds the notice of the revocation it is in force for, and is read as the write that
 * made it (the publisher's `publishItems`), so each event has the id its first delivery had, and receivers drop the ones they have: a window wider than needed
 * costs nothing, one too narrow loses events, so every window is widened (`windowOf`). Not the
 * stream: it keeps records 24 hours, the table keeps a revocation as long as it matters. Signs
 * with your AWS credentials (the SDK's chain), which need `dynamodb:Scan` on the table and
 * `events:PutEvents` on the bus.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { sdkClientSettings } from "../functions/config/sdk-client-settings.js";
import { createEventPublisher, type EventBus } from "../functions/events/event-publisher.js";
import { eventBridgeBus } from "../functions/events/eventbridge-bus.js";
import {
  createDynamoDbClient,
  type DynamoDbClient,
  dynamoDbEndpoint,
} from "../functions/revocation/dynamodb-client.js";
import { stagePath } from "../infra/stack-names.js";
import { refuse } from "./refuse.js";

export interface RepublishResult {
  items: number;
  published: number;
  failures: Record<string, number>;
}

/**
 * How far a parked batch's window is widened each way: its times are the records' arrival on
 * the stream in whole seconds, a write's notice the writer's clock in ms, a little earlier.
 */
export const PARKED_WINDOW_MARGIN_MS = 60_000;

/**
 * The window to scan, in ms: `since` to `until` widened to whole seconds, or a dead-letter
 * message's first and last arrival (Lambda's `DDBStreamBatchInfo`) widened by the margin.
 */
export function windowOf(input: { message: unknown } | { since: number; until: number }): {
  since: number;
  until: number;
} {
  if ("message" in input) {
    const info = (input.message as { DDBStreamBatchInfo?: Record<string, unknown> } | null)
      ?.DDBStreamBatchInfo;
    const first = Date.parse(String(info?.approximateArrivalOfFirstRecord));
    const last = Date.parse(String(info?.approximateArrivalOfLastRecord));
    if (Number.isNaN(first) || Number.isNaN(last)) {
      throw new Error(
        "the message holds no DDBStreamBatchInfo with its records' arrival times (is it the dead-letter queue's message body?)",
      );
    }
    return windowOf({
      since: first - PARKED_WINDOW_MARGIN_MS,
      until: last + PARKED_WINDOW_MARGIN_MS,
    });
  }
  return {
    since: Math.floor(input.since / 1000) * 1000,
    until: Math.floor(input.until / 1000) * 1000 + 999,
  };
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
  const publish = createEventPublisher({ bus });
  const result: RepublishResult = { items: 0, published: 0, failures: {} };
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
    const outcome = await publish.publishItems(items);
    result.items += items.length;
    result.published += outcome.published;
    for (const [code, count] of Object.entries(outcome.failures)) {
      result.failures[code] = (result.failures[code] ?? 0) + count;
    }
  } while (startKey);
  return result;
}

/** Why the run did not do its job, if it did not: the bus refused events, or nothing was found. */
export function problemOf({ items, failures }: RepublishResult): string | undefined {
  if (Object.keys(failures).length > 0) return "Some events were not republished: run it again.";
  if (items === 0) {
    return "No revocation was written in that window: nothing republished. Is it the right stage and window?";
  }
  return undefined;
}

const USAGE =
  "usage: npm run republish-revocation-events -- --stage NAME (--message FILE | --since ISO [--until ISO])\n" +
  "  --message FILE   the dead-letter queue's message body, as received: its batch's window, widened a minute each way\n" +
  "  --since, --until a window (default until: now), widened to whole seconds";

async function main() {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        stage: { type: "string" },
        message: { type: "string" },
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
  let window: { since: number; until: number };
  if (typeof values.message === "string") {
    if (values.since !== undefined || values.until !== undefined) {
      return refuse("--message names its own window: no --since or --until with it", USAGE);
    }
    try {
      window = windowOf({ message: JSON.parse(readFileSync(values.message, "utf8")) });
    } catch (error) {
      return refuse(`--message ${values.message}: ${(error as Error).message}`, USAGE);
    }
  } else if (values.since !== undefined) {
    window = windowOf({
      since: instant(values.since, 0),
      until: instant(values.until, Date.now()),
    });
  } else {
    return refuse("say which window: --message FILE, or --since ISO", USAGE);
  }

  const ssm = new SSMClient({});
  const parameter = (name: string) =>
    ssm.send(new GetParameterCommand({ Name: stagePath(stage, name) })).then(
      (output) => output.Parameter?.Value ?? refuse(`the stage publishes no ${name}`),
      (error: Error) => refuse(`cannot read ${stagePath(stage, name)}: ${error.message}`),
    );
  const [tableName, busArn] = await Promise.all([
    parameter("revocation-table-name"),
    parameter("revocation-event-bus-arn"),
  ]);
  const region = await ssm.config.region();
  const credentials = await ssm.config.credentials();
  const result = await republish({
    dynamodb: createDynamoDbClient({
      endpoint: dynamoDbEndpoint(
        region,
        sdkClientSettings(process.env, "AWS_ENDPOINT_URL_DYNAMODB").endpoint,
      ),
      region,
      credentials,
    }),
    tableName,
    bus: eventBridgeBus(new EventBridgeClient({}), busArn),
    ...window,
  });
  console.log(
    JSON.stringify({ ...result, since: new Date(window.since), until: new Date(window.until) }),
  );
  if (Object.keys(result.failures).length > 0) process.exitCode = 1;
  else if (result.items === 0) {
    console.error(
      "Nothing was written in that window: nothing republished. Is it the right stage and window?",
    );
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
