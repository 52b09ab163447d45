/**
 * Lambda entry point of POST /v1/auth/logout. Configuration and clients are made once, at
 * cold start; a bad configuration fails here, naming the variable.
 */
import { createTokenVerifier } from "../auth/token-verifier.js";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { createLogoutHandler } from "./logout-handler.js";

const config = loadConfig(process.env);
const logger = createLogger();

export const handler = createLogoutHandler({
  logger,
  verify: createTokenVerifier(config.verifier),
  revocations: undefined,
  apiBasePath: config.apiBasePath,
});
