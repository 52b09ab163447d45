/**
 * What every function that accepts bearer tokens builds from its environment, once, at cold
 * start: the checked configuration, the logger, the verifier and, where a revocation table is
 * named, the revocation store. The logout and the authorizer both start here, so they verify
 * with the same settings and the same modules.
 */
import { type Config, loadConfig } from "../config.js";
import { createLogger, type Logger } from "../logger.js";
import {
  type DynamoDbClient,
  dynamoDbClientFromEnvironment,
} from "../revocation/dynamodb-client.js";
import {
  createRevocationStore,
  type RevocationStore,
  type StoreClock,
  systemClock,
} from "../revocation/revocation-store.js";
import { createTokenVerifier, type VerifyToken } from "./token-verifier.js";

export type Environment = Readonly<Record<string, string | undefined>>;

export interface BearerCheck {
  config: Config;
  logger: Logger;
  verify: VerifyToken;
  /** undefined: no REVOCATION_TABLE_NAME. */
  revocations: RevocationStore | undefined;
}

/**
 * @param dynamoDbClient how to reach DynamoDB (the benchmark swaps in the AWS SDK's client).
 * @param clock the verifier's and the store's time (tests that should not wait swap it).
 */
export function bearerCheckFromEnvironment(
  env: Environment,
  dynamoDbClient: (env: Environment) => DynamoDbClient = dynamoDbClientFromEnvironment,
  clock: StoreClock = systemClock,
): BearerCheck {
  const config = loadConfig(env);
  return {
    config,
    logger: createLogger(),
    verify: createTokenVerifier(config.verifier, clock.now),
    revocations:
      config.revocation && createRevocationStore(dynamoDbClient(env), config.revocation, clock),
  };
}
