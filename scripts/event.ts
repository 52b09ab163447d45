/**
 * `npm run -s event -- events/<folder>/<file>.json [--token TOKEN] > event.json`: writes the
 * sample event with its `{{token:…}}` placeholders filled by tokens minted now, for the tools
 * that read an event as it is (`sam local invoke -e`, the Lambda console's test tab).
 */
import { LOCAL_KEY_FILE } from "./local-environment.js";
import { createLocalIdentity } from "./local-identity.js";
import { refuse } from "./refuse.js";
import { loadSampleEvent, sampleArguments, unreadableEvent } from "./sample-events.js";

const { file, token } = sampleArguments(
  "usage: npm run -s event -- events/<folder>/<file>.json [--token TOKEN] > event.json",
);
const identity = await createLocalIdentity({ keyFile: LOCAL_KEY_FILE });
try {
  console.log(JSON.stringify(await loadSampleEvent(file, identity, token), null, 2));
} catch (error) {
  refuse(unreadableEvent(file, error));
}
