/**
 * The bus, through the AWS SDK's EventBridge client (the runtime's own SDK; the publisher is
 * off every request's path, so its cold start is no one's wait). The SDK retries a call that
 * failed whole; `PutEvents` answers 200 with some entries refused, which the publisher retries.
 */
import { type EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { DETAIL_TYPE, EVENT_SOURCE } from "../domain/revocation-event.js";
import type { EventBus } from "./event-publisher.js";

/** An answer without one result per entry: none of them is known to be on the bus. */
const UNREADABLE = "UnreadableAnswer";

export function eventBridgeBus(client: EventBridgeClient, busName: string): EventBus {
  return {
    async put(details) {
      const output = await client.send(
        new PutEventsCommand({
          Entries: details.map((detail) => ({
            EventBusName: busName,
            Source: EVENT_SOURCE,
            DetailType: DETAIL_TYPE,
            Detail: JSON.stringify(detail),
            Time: new Date(detail.revocation.recorded_at),
          })),
        }),
      );
      const results = output.Entries ?? [];
      if (results.length !== details.length) return details.map(() => UNREADABLE);
      return results.map((result) =>
        result.ErrorCode ? result.ErrorCode : result.EventId ? undefined : UNREADABLE,
      );
    },
  };
}
