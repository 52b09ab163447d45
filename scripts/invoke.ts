/**
 * `npm run invoke -- events/<folder>/<file>.json [--token TOKEN]`: runs the real handler once
 * on a sample event (the logout's, or the authorizer's for an authorizer event), against the
 * local environment, and prints the response. Its table is `npm start`'s, `.local/dynamodb`
 * (through the running `npm start` where there is one), so a token logged out here is refused
 * there and the other way round: `TOKEN=$(npm run -s token)`, then the logout's event and an
 * authorizer's with `--token "$TOKEN"`. It says on stderr which table it used.
 */
import { authorizerHandlerFromEnvironment } from "../functions/authorizer/authorizer-handler.js";
import { logoutHandlerFromEnvironment } from "../functions/logout/logout-handler.js";
import { lambdaContext } from "./lambda-context.js";
import { LocalTableUnavailableError, startLocalEnvironment } from "./local-environment.js";
import { refuse } from "./refuse.js";
import {
  isAuthorizerEvent,
  loadSampleEvent,
  type SampleEvent,
  sampleArguments,
  unreadableEvent,
} from "./sample-events.js";

const { file, token } = sampleArguments(
  "usage: npm run invoke -- events/<folder>/<file>.json [--token TOKEN]   (see events/)",
);

const local = await startLocalEnvironment({ persist: true, joinRunning: true }).catch(
  (error: Error) =>
    error instanceof LocalTableUnavailableError ? refuse(error.message) : Promise.reject(error),
);
if (!local.identity) {
  await local.stop();
  refuse(
    `The sample events hold tokens of the local identity: unset COGNITO_USER_POOL_ID and JWT_ISSUER (tokens of ${local.issuer} go to npm start)`,
  );
}
let event: SampleEvent;
try {
  event = await loadSampleEvent(file, local.identity, token);
} catch (error) {
  await local.stop();
  refuse(unreadableEvent(file, error));
}
console.error(`Revocations: ${local.table}`);
try {
  const context = lambdaContext();
  if (isAuthorizerEvent(event)) {
    const authorizer = authorizerHandlerFromEnvironment(process.env);
    const decision = await authorizer(event, context).catch((error: Error) => ({
      thrown: error.message,
    }));
    console.log(JSON.stringify(decision, null, 2));
  } else {
    const response = await logoutHandlerFromEnvironment(process.env)(event, context);
    const body = response.body ? JSON.parse(response.body) : undefined;
    console.log(JSON.stringify({ ...response, body }, null, 2));
  }
} finally {
  await local.stop();
}
