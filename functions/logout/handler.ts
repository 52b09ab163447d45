/**
 * Lambda entry point of POST /v1/auth/logout. Configuration and clients are made once, at
 * cold start; a bad configuration fails here, naming the variable.
 */
import { createTokenVerifier } from "../auth/token-verifier.js";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { dynamoDbClientFromEnvironment } from "../revocation/dynamodb-client.js";
import { createRevocationStore } from "../revocation/revocation-store.js";
import { createLogoutHandler } from "./logout-handler.js";

const config = loadConfig(process.env);
const logger = createLogger();

export const handler = createLogoutHandler({
  logger,
  verify: createTokenVerifier(config.verifier),
  revocations:
    config.revocation &&
    createRevocationStore(dynamoDbClientFromEnvironment(process.env), config.revocation),
  apiBasePath: config.apiBasePath,
});
