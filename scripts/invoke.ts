/**
 * `npm run invoke -- events/<file>.json`: runs the real handler once on a sample event, against
 * the embedded local environment, and prints the response.
 */
import { lambdaContext } from "./lambda-context.js";
import { startLocalEnvironment } from "./local-environment.js";
import { loadSampleEvent } from "./sample-events.js";

const file = process.argv[2];
if (!file) {
  console.error("usage: npm run invoke -- events/<file>.json   (see events/)");
  process.exit(2);
}

const local = await startLocalEnvironment();
try {
  const event = await loadSampleEvent(file, local.identity);
  // The handler reads its configuration at import: import it only once the environment is set.
  const { handler } = await import("../functions/logout/handler.js");
  const response = await handler(event, lambdaContext());
  const body = response.body ? JSON.parse(response.body) : undefined;
  console.log(JSON.stringify({ ...response, body }, null, 2));
} finally {
  await local.stop();
}
