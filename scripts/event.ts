/**
 * `npm run -s event -- events/<folder>/<file>.json [--token TOKEN] > event.json`: writes the
 * sample event with its `{{token:…}}` placeholders filled by tokens minted now, for the tools
 * that read an event as it is (`sam local invoke -e`, the Lambda console's test tab).
 */
import { parseArgs } from "node:util";
import { LOCAL_KEY_FILE } from "./local-environment.js";
import { createLocalIdentity } from "./local-identity.js";
import { loadSampleEvent } from "./sample-events.js";

const USAGE = "usage: npm run -s event -- events/<folder>/<file>.json [--token TOKEN] > event.json";
let file: string | undefined;
let token: string | undefined;
try {
  const { values, positionals } = parseArgs({
    options: { token: { type: "string" } },
    allowPositionals: true,
  });
  [file] = positionals;
  token = values.token;
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (!file) {
  console.error(USAGE);
  process.exit(2);
}
const identity = await createLocalIdentity({ keyFile: LOCAL_KEY_FILE });
try {
  console.log(JSON.stringify(await loadSampleEvent(file, identity, token), null, 2));
} catch (error) {
  const { code, message } = error as NodeJS.ErrnoException;
  console.error(
    code === "ENOENT"
      ? `No event file at ${file}: pick one of events/ (ls events/*/)`
      : `Cannot read ${file} as an event: ${message.split("\n")[0]}`,
  );
  process.exit(2);
}
