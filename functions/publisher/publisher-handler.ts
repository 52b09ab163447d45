/**
 * The Lambda adapter of the revocation events' publisher: fed by the revocation table's stream
 * (ReportBatchItemFailures on), it puts each revocation's event on the bus and writes one log
 * line per batch. Lambda retries from the first record reported, then parks the batch in the
 * dead-letter queue (`infra/revocation-events.ts`).
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { type Environment, loadPublisherConfig } from "../config/config.js";
import { createLogger, type Logger } from "../config/logger.js";
import { sdkClientSettings } from "../config/sdk-client-settings.js";
import { type PublishLogLine, SERVICE_NAMES } from "../domain/log-schema.js";
import {
  createEventPublisher,
  type EventBus,
  type PublisherRetries,
} from "../events/event-publisher.js";
import { eventBridgeBus } from "../events/eventbridge-bus.js";

export type PublisherHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

export function createPublisherHandler({
  logger,
  ...dependencies
}: {
  logger: Logger;
  bus: EventBus;
  retries?: PublisherRetries;
}): PublisherHandler {
  const publish = createEventPublisher(dependencies);
  return async (event) => {
    const { batchItemFailures, records, published, failures } = await publish(event.Records ?? []);
    const line: PublishLogLine = {
      records,
      published,
      failures,
      ...(batchItemFailures[0] ? { retry_from: batchItemFailures[0].itemIdentifier } : {}),
    };
    if (batchItemFailures.length > 0) logger.error("Revocation events not all published", line);
    else logger.info("Revocation events published", line);
    return { batchItemFailures };
  };
}

/**
 * The function as deployed: its table, its bus, and AWS's clients, made once at cold start.
 * `retries`: a test's.
 */
export function publisherHandlerFromEnvironment(
  env: Environment,
  { retries }: { retries?: PublisherRetries } = {},
): PublisherHandler {
  const { eventBusName } = loadPublisherConfig(env);
  const client = new EventBridgeClient(sdkClientSettings(env, "AWS_ENDPOINT_URL_EVENTBRIDGE"));
  return createPublisherHandler({
    logger: createLogger({ POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.publisher, ...env }),
    bus: eventBridgeBus(client, eventBusName),
    ...(retries ? { retries } : {}),
  });
}
