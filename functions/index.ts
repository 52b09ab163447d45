/**
 * What the rest of the API reuses: the bearer-token check that refuses revoked tokens, as a
 * Middy middleware or a plain function, the pieces to build it from configuration, and the
 * failures it names, each a class to decide on.
 */
export { createTokenVerifier } from "./auth/token-verifier.js";
export { type BearerCheck, bearerCheckFromEnvironment } from "./bearer-check.js";
export { loadConfig } from "./config/config.js";
export { createLogger } from "./config/logger.js";
export {
  ConfigurationError,
  CredentialsMissingError,
  DependencyMisconfiguredError,
  DependencyUnavailableError,
  InvalidRequestError,
  InvalidTokenError,
  TokenRevokedError,
} from "./domain/errors.js";
export type { RevocationCheck, RevocationRecorder, VerifyToken } from "./domain/ports.js";
export { type TokenClaims, VerifiedToken } from "./domain/verified-token.js";
export { apiContract } from "./http/api-contract.js";
export { type Problem, toProblem } from "./http/problems.js";
export {
  authenticateBearer,
  type RequireValidTokenOptions,
  requireValidToken,
} from "./http/require-valid-token.js";
export { dynamoDbClientFromEnvironment } from "./revocation/dynamodb-client.js";
export { createRevocationStore } from "./revocation/revocation-store.js";
