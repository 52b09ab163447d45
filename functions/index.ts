/**
 * What the rest of the API reuses: the bearer-token check that refuses revoked tokens, as a
 * Middy middleware or a plain function, and the pieces to build it from configuration.
 */
export { type BearerCheck, bearerCheckFromEnvironment } from "./auth/bearer-check.js";
export {
  authenticateBearer,
  type RequireValidTokenOptions,
  requireValidToken,
} from "./auth/require-valid-token.js";
export { createTokenVerifier, VerifiedToken } from "./auth/token-verifier.js";
export { loadConfig } from "./config.js";
export { apiContract } from "./http/api-contract.js";
export { AuthenticationError, HttpProblem, ServiceUnavailableError } from "./http/problems.js";
export { createLogger } from "./logger.js";
export { dynamoDbClientFromEnvironment } from "./revocation/dynamodb-client.js";
export { createRevocationStore } from "./revocation/revocation-store.js";
