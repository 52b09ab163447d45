/**
 * The package's `./constructs` entry: what another team's CDK stack uses to refuse logged-out
 * tokens on its routes, with the authorizer a stage of this project deploys. It imports CDK
 * alone, none of the functions' runtime.
 */
export {
  RevocationAwareAuthorizer,
  type RevocationAwareAuthorizerProps,
} from "./revocation-aware-authorizer.js";
export {
  RevocationAwareRestAuthorizer,
  type RevocationAwareRestAuthorizerProps,
} from "./revocation-aware-rest-authorizer.js";
export { authorizerArnParameter } from "./stage-authorizer-function.js";
