/**
 * The composition root of the bearer-token check: what every function that accepts bearer
 * tokens builds from its environment, once, at cold start: the checked configuration, the
 * logger, the verifier and, where a revocation table is named, the revocation store. The
 * logout and the authorizer both start here, so they verify with the same settings and modules.
 */
import { createTokenVerifier } from "./auth/token-verifier.js";
import { type Config, type Environment, loadConfig } from "./config/config.js";
import { createLogger, type Logger } from "./config/logger.js";
import { type Clock, systemClock } from "./domain/clock.js";
import type { RevocationRecorder, VerifyToken } from "./domain/ports.js";
import {
  type DynamoDbClient,
  dynamoDbClientFromEnvironment,
} from "./revocation/dynamodb-client.js";
import { createRevocationStore } from "./revocation/revocation-store.js";

export type { Environment };

export interface BearerCheck {
  config: Config;
  logger: Logger;
  verify: VerifyToken;
  /** undefined: no REVOCATION_TABLE_NAME. */
  revocations: RevocationRecorder | undefined;
}

/**
 * @param dynamoDbClient how to reach DynamoDB (the benchmark swaps in the AWS SDK's client).
 * @param clock the verifier's and the store's time (tests that should not wait swap it).
 */
export function bearerCheckFromEnvironment(
  env: Environment,
  dynamoDbClient: (env: Environment) => DynamoDbClient = dynamoDbClientFromEnvironment,
  clock: Clock = systemClock,
): BearerCheck {
  const config = loadConfig(env);
  return {
    config,
    logger: createLogger(),
    verify: createTokenVerifier(config.verifier, clock),
    revocations:
      config.revocation && createRevocationStore(dynamoDbClient(env), config.revocation, clock),
  };
}
