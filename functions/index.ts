/**
 * What the rest of the API reuses in-process (the package's main entry): `protectedHandler`,
 * which wraps a handler with the bearer-token check that refuses revoked tokens and answers in
 * the contract's envelope; the pieces it is made of, for a function that composes its own; and
 * the failures it names, each a class to decide on; and the revocation events' names and type,
 * for a receiver. The CDK constructs are the package's `./constructs` entry.
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
export {
  CAEP_SESSION_REVOKED,
  DETAIL_TYPE,
  EVENT_SOURCE,
  SESSIONS_REVOKED_BEFORE,
} from "./domain/revocation-event.js";
export { type TokenClaims, VerifiedToken } from "./domain/verified-token.js";
export type { SessionRevokedDetail } from "./events/session-revoked.js";
export { apiContract } from "./http/api-contract.js";
export type { ApiGatewayEvent } from "./http/api-gateway-event.js";
export { type Problem, toProblem } from "./http/problems.js";
export {
  type AuthenticatedContext,
  authenticateBearer,
  type RequireValidTokenOptions,
  requireValidToken,
} from "./http/require-valid-token.js";
export { type HttpResponse, jsonResponse } from "./http/responses.js";
export {
  type ProtectedHandler,
  type ProtectedHandlerOptions,
  protectedHandler,
} from "./protected-handler.js";
export { dynamoDbClientFromEnvironment } from "./revocation/dynamodb-client.js";
export { createRevocationStore } from "./revocation/revocation-store.js";
