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
if (!local.identity) {
  console.error(
    `The sample events hold tokens of the local identity: unset COGNITO_USER_POOL_ID and JWT_ISSUER (tokens of ${local.issuer} go to npm start)`,
  );
  await local.stop();
  process.exit(2);
}
let event: Awaited<ReturnType<typeof loadSampleEvent>>;
try {
  event = await loadSampleEvent(file, local.identity);
} catch (error) {
  const { code, message } = error as NodeJS.ErrnoException;
  console.error(
    code === "ENOENT"
      ? `No event file at ${file}: pick one of events/ (ls events/*/)`
      : `Cannot read ${file} as an event: ${message.split("\n")[0]}`,
  );
  await local.stop();
  process.exit(2);
}
try {
  // The handler reads its configuration at import: import it only once the environment is set.
  const { handler } = await import("../functions/logout/handler.js");
  const response = await handler(event, lambdaContext());
  const body = response.body ? JSON.parse(response.body) : undefined;
  console.log(JSON.stringify({ ...response, body }, null, 2));
} finally {
  await local.stop();
}
