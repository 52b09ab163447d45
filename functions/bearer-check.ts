/**
 * The composition root of the bearer-token check: what every function that accepts bearer
 * tokens builds from its environment, once, at cold start: the checked configuration, the
 * logger, the verifier and, where a revocation table is named, the revocation store. The
 * logout and the authorizer both start here, so they verify with the same settings and modules.
 */
import { createTokenVerifier } from "./auth/token-verifier.js";
import { type Config, type Environment, loadConfig } from "./config/config.js";
import { createLogger, type Logger } from "./config/logger.js";
import { WAIT_BUDGETS, type WaitBudgets } from "./config/wait-budgets.js";
import { type Clock, systemClock } from "./domain/clock.js";
import { ConfigurationError } from "./domain/errors.js";
import type { RevocationCheck, RevocationRecorder, VerifyToken } from "./domain/ports.js";
import {
  type DynamoDbClient,
  dynamoDbClientFromEnvironment,
} from "./revocation/dynamodb-client.js";
import { createRevocationCheck } from "./revocation/revocation-reader.js";
import {
  recorderOnTable,
  type StoreSide,
  storeSideOnDynamoDb,
} from "./revocation/revocation-store.js";

export type { Environment };

export interface BearerCheck {
  config: Config;
  logger: Logger;
  verify: VerifyToken;
  /** The logout's side of the store; undefined: no REVOCATION_TABLE_NAME. */
  revocations: RevocationRecorder | undefined;
}

/** What a deployment never sets: a test, the bench or a local run may. */
export interface BearerCheckOptions {
  /** How to reach DynamoDB (the benchmark swaps in the AWS SDK's client). */
  dynamoDbClient?: (env: Environment, waits: WaitBudgets["dynamoDb"]) => DynamoDbClient;
  /** The verifier's and the store's time (tests that should not wait swap it). */
  clock?: Clock;
  /** Every wait's bound (tests of a hanging dependency pass shorter ones). */
  waits?: WaitBudgets;
  /**
   * Start the network's slow steps at cold start, beside each other (the deployed entry points
   * do): the issuer's keys fetched, where they are fetched, and DynamoDB's connection opened.
   * The first request then waits for the longest of them, not their sum.
   */
  warmUp?: boolean;
}

export function bearerCheckFromEnvironment(
  env: Environment,
  options: BearerCheckOptions = {},
): BearerCheck {
  const { config, logger, verify } = verifierFromEnvironment(env, options);
  return {
    config,
    logger,
    verify,
    revocations: revocationStoreFor(env, config, options, recorderOnTable),
  };
}

/**
 * The same with the check of revocations alone, no write path: what the authorizer needs, so
 * its bundle carries none of the logout's writes.
 */
export function refusingCheckFromEnvironment(
  env: Environment,
  options: BearerCheckOptions = {},
): Omit<BearerCheck, "revocations"> & { revocations: RevocationCheck | undefined } {
  const { config, logger, verify } = verifierFromEnvironment(env, options);
  return { config, logger, verify, revocations: revocationCheckFor(env, config, options) };
}

function verifierFromEnvironment(env: Environment, options: BearerCheckOptions) {
  const config = loadConfig(env);
  const { clock = systemClock, waits = WAIT_BUDGETS } = options;
  return {
    config,
    logger: createLogger(env),
    verify: createTokenVerifier(config.verifier, {
      clock,
      jwksFetchMs: waits.jwksFetchMs,
      prefetchKeys: options.warmUp === true,
    }),
  };
}

/** The side of the store a function uses, on the table the configuration names, if any. */
export function revocationStoreFor<Side>(
  env: Environment,
  config: Config,
  options: BearerCheckOptions,
  side: StoreSide<Side>,
): Side | undefined {
  return (
    config.revocation &&
    // A local logout reads and writes at once: two connections.
    storeSideOnDynamoDb(side, dynamoDbFor(env, options, 2), config.revocation, options.clock)
  );
}

/** The check alone, on the table the configuration names: no write path. */
function revocationCheckFor(
  env: Environment,
  config: Config,
  options: BearerCheckOptions,
): RevocationCheck | undefined {
  return (
    config.revocation &&
    createRevocationCheck(dynamoDbFor(env, options, 1), config.revocation.tableName, options.clock)
  );
}

function dynamoDbFor(
  env: Environment,
  {
    dynamoDbClient = dynamoDbClientFromEnvironment,
    waits = WAIT_BUDGETS,
    warmUp = false,
  }: BearerCheckOptions,
  /** How many calls its first request makes at once: the connections the warm-up opens. */
  parallelCalls: number,
): DynamoDbClient {
  const client = dynamoDbClient(env, waits.dynamoDb);
  if (warmUp) client.warm?.(parallelCalls);
  return client;
}

/**
 * The one place a function requires the revocation table: the authorizer, the operator's
 * sign-out and `protectedHandler` would refuse no revoked token, or revoke nothing, without it.
 */
export function requireRevocations<Check>(revocations: Check | undefined): Check {
  if (revocations === undefined) {
    throw new ConfigurationError(
      "REVOCATION_TABLE_NAME",
      "is required: without it no revoked token is refused",
    );
  }
  return revocations;
}
