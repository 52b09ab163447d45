/**
 * The package's `./constructs` entry: what another team's CDK stack uses to refuse logged-out
 * tokens on its routes, with the authorizer a stage of this project deploys, and to receive its
 * revocation events. It imports CDK alone, none of the functions' runtime.
 */
export {
  RevocationAwareAuthorizer,
  type RevocationAwareAuthorizerProps,
} from "./revocation-aware-authorizer.js";
export {
  RevocationAwareRestAuthorizer,
  type RevocationAwareRestAuthorizerProps,
} from "./revocation-aware-rest-authorizer.js";
export {
  REVOCATION_EVENT_BUS_PARAMETER,
  REVOCATION_EVENT_PATTERN,
} from "./revocation-event-bus.js";
export {
  RevocationEventsSubscription,
  type RevocationEventsSubscriptionProps,
} from "./revocation-events-subscription.js";
export { authorizerArnParameter } from "./stage-authorizer-function.js";
