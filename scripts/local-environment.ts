/**
 * The embedded default the function runs on locally: the local development identity and an
 * in-memory DynamoDB holding the revocation table, set into `process.env` as the function's
 * configuration, so a new user sees the whole story with no account and no network.
 */
import { fileURLToPath } from "node:url";
import { startLocalDynamoDb } from "./local-dynamodb.js";
import { createLocalIdentity, type LocalIdentity } from "./local-identity.js";

export const LOCAL_TABLE_NAME = "auth-logout-local-revocations";
/** The local signing key, kept between runs (git-ignored): printed tokens outlive a restart. */
export const LOCAL_KEY_FILE = fileURLToPath(
  new URL("../.local/dev-signing-key.json", import.meta.url),
);

export interface LocalEnvironment {
  identity: LocalIdentity;
  stop(): Promise<void>;
}

export async function startLocalEnvironment(): Promise<LocalEnvironment> {
  const identity = await createLocalIdentity({ keyFile: LOCAL_KEY_FILE });
  const dynamodb = await startLocalDynamoDb();
  await dynamodb.createRevocationTable(LOCAL_TABLE_NAME);
  Object.assign(process.env, {
    ...identity.environment,
    ...dynamodb.environment,
    REVOCATION_TABLE_NAME: LOCAL_TABLE_NAME,
    POWERTOOLS_SERVICE_NAME: process.env.POWERTOOLS_SERVICE_NAME ?? "auth-logout-local",
  });
  return { identity, stop: () => dynamodb.stop() };
}
