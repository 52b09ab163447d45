/**
 * The revocation events on `npm start`'s screen: the table's change records go to the real
 * publisher, and where a deployment would put
 * each event on the stage's bus, this prints it.
 */
import type { DynamoDBRecord } from "aws-lambda";
import { DETAIL_TYPE, EVENT_SOURCE } from "../functions/domain/revocation-event.js";
import { createEventPublisher } from "../functions/events/event-publisher.js";

/** A record handler that publishes each record's event, in order, with `print`. */
export function printingPublisher(print: (line: string) => void): (record: DynamoDBRecord) => void {
  const publish = createEventPublisher({
    bus: {
      async put(details) {
        for (const detail of details) {
          print(`Event ${EVENT_SOURCE} ${DETAIL_TYPE} (${detail.revocation.scope}):`);
          print(JSON.stringify(detail, null, 2));
        }
        return details.map(() => undefined);
      },
    },
  });
  let last = Promise.resolve();
  return (record) => {
    last = last
      .then(() => publish([record]))
      .then(
        ({ failures }) => {
          for (const reason of Object.keys(failures)) print(`Event not published: ${reason}`);
        },
        (error: Error) => print(`Event not published: ${error.name}`),
      );
  };
}
