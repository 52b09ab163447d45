/**
 * `npm run invoke -- events/<folder>/<file>.json [--token TOKEN]`: runs the real handler once
 * on a sample event (the logout's, or the authorizer's for an authorizer event), against the
 * local environment, and prints the response. Its table is `npm start`'s, `.local/dynamodb`
 * (through the running `npm start` where there is one), so a token logged out here is refused
 * there and the other way round: `TOKEN=$(npm run -s token)`, then the logout's event and an
 * authorizer's with `--token "$TOKEN"`. It says on stderr which table it used.
 *
 * The identity provider's sign-outs run the same way: `events/backchannel-logout/` (a logout
 * token of `--token`'s user and session, POSTed as the issuer would) and
 * `events/cognito-cloudtrail/` (a pool's own sign-out of `--token`'s user, as EventBridge
 * delivers CloudTrail's event). Locally the pool stands for the local identity, so the
 * sign-out reaches `npm start`'s tokens.
 */
import { authorizerHandlerFromEnvironment } from "../functions/authorizer/authorizer-handler.js";
import { requireRevocations, revocationStoreFor } from "../functions/bearer-check.js";
import { loadConfig } from "../functions/config/config.js";
import { createLogger } from "../functions/config/logger.js";
import { logoutHandlerFromEnvironment } from "../functions/logout/logout-handler.js";
import {
  createProviderHandler,
  type ProviderEvent,
  providerHandlerFromEnvironment,
} from "../functions/provider/provider-handler.js";
import { providerRevocationOnTable } from "../functions/revocation/revocation-store.js";
import { lambdaContext } from "./lambda-context.js";
import { LocalTableUnavailableError, startLocalEnvironment } from "./local-environment.js";
import { refuse } from "./refuse.js";
import {
  isAuthorizerEvent,
  isBackchannelEvent,
  isCloudTrailEvent,
  LOCAL_USER_POOL_ID,
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
  if (isCloudTrailEvent(event)) {
    // The local identity stands for the pool: its users' tokens are what `npm start` checks.
    const config = loadConfig(process.env);
    const provider = createProviderHandler({
      logger: createLogger(process.env),
      revocations: requireRevocations(
        revocationStoreFor(process.env, config, {}, providerRevocationOnTable),
      ),
      cognito: { userPoolId: LOCAL_USER_POOL_ID, issuer: local.issuer, users: undefined },
    });
    const outcome = await provider(event as ProviderEvent, context).then(
      () => ({ done: true }),
      (error: Error) => ({ thrown: error.message, deployed: "retried by Lambda, then parked" }),
    );
    console.log(JSON.stringify(outcome, null, 2));
  } else if (isBackchannelEvent(event)) {
    const response = await providerHandlerFromEnvironment(process.env)(
      event as ProviderEvent,
      context,
    );
    const body = response?.body ? JSON.parse(response.body) : undefined;
    console.log(JSON.stringify({ ...response, body }, null, 2));
  } else if (isAuthorizerEvent(event)) {
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
