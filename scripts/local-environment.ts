/**
 * The embedded default the functions run on locally: the local development identity and a
 * DynamoDB (dynalite) holding the revocation table, set into `process.env` as the functions'
 * configuration, so a new user sees the whole story with no account and no network. Where the
 * user names a real issuer (`COGNITO_USER_POOL_ID` or `JWT_ISSUER`), its tokens are verified
 * with its real keys instead, against the same local table.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DynamoDBRecord } from "aws-lambda";
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  LocalTableUnavailableError,
  startLocalDynamoDb,
} from "./local-dynamodb.js";

export { LocalTableUnavailableError };

import { createLocalIdentity, type LocalIdentity } from "./local-identity.js";
import { startTableStream } from "./table-stream.js";

export const LOCAL_TABLE_NAME = "auth-logout-local-revocations";
/** `.local/` (git-ignored), or where `RINNE_LOCAL_DIR` says (the tests' own folders). */
const local = (name: string) =>
  process.env.RINNE_LOCAL_DIR
    ? join(process.env.RINNE_LOCAL_DIR, name)
    : fileURLToPath(new URL(`../.local/${name}`, import.meta.url));
/** The local signing key, kept between runs (git-ignored): printed tokens outlive a restart. */
export const LOCAL_KEY_FILE = local("dev-signing-key.json");
/** The local table, kept beside the key: a logged-out token stays out after a restart. */

export interface LocalEnvironment {
  /** undefined: a real issuer's tokens are verified (`COGNITO_USER_POOL_ID` or `JWT_ISSUER`). */
  identity: LocalIdentity | undefined;
  /** What tokens are verified against, for the user to read. */
  issuer: string;
  /** Which table revocations go to, for the user to read. */
  table: string;
  stop(): Promise<void>;
}

export interface LocalEnvironmentOptions {
  /** Keep the table in `.local/dynamodb` between runs (`npm start`); else in memory. */
  persist?: boolean;
  /** Start from an empty table, as on a fresh clone (`npm start -- --fresh`). */
  fresh?: boolean;
  /** Its folder below `.local/`: one process at a time may hold one. */
  tableFolder?: string;
  /**
   * Where a running `npm start` holds the folder, use its table through its endpoint (`npm run
   * invoke`), so both see the same revocations; else the folder is refused.
   */
  joinRunning?: boolean;
  /**
   * Each change of the table, as its stream would deliver it (`table-stream.ts`): where
   * `npm start` publishes, on its screen, the revocation events a deployment would.
   */
  onTableChange?: (record: DynamoDBRecord) => void;
}

export async function startLocalEnvironment({
  persist = false,
  fresh = false,
  tableFolder = "dynamodb",
  joinRunning = false,
  onTableChange,
}: LocalEnvironmentOptions = {}): Promise<LocalEnvironment> {
  const directory = local(tableFolder);
  // Where the process holding the folder serves it, for another to join.
  const endpointFile = local(`${tableFolder}.endpoint`);
  const realIssuer = process.env.COGNITO_USER_POOL_ID ?? process.env.JWT_ISSUER;
  if (fresh) rmSync(directory, { recursive: true, force: true });
  let table: { environment: Record<string, string>; where: string; stop(): Promise<void> };
  try {
    const dynamodb = await startLocalDynamoDb(persist ? { path: directory } : {});
    await dynamodb.createRevocationTable(LOCAL_TABLE_NAME);
    // Every call goes through the stream's stand-in, a joining `npm run invoke`'s too.
    const stream = await startTableStream(dynamodb.endpoint, {
      region: LOCAL_REGION,
      ...(onTableChange ? { onRecord: onTableChange } : {}),
    });
    if (persist) writeFileSync(endpointFile, stream.endpoint);
    table = {
      environment: { ...dynamodb.environment, AWS_ENDPOINT_URL_DYNAMODB: stream.endpoint },
      where: persist ? directory : "memory",
      stop: async () => {
        if (persist) rmSync(endpointFile, { force: true });
        await stream.stop();
        await dynamodb.stop();
      },
    };
  } catch (error) {
    const running = joinRunning && error instanceof LocalTableUnavailableError;
    const endpoint = running ? runningEndpoint(endpointFile) : undefined;
    if (endpoint === undefined) throw error;
    table = {
      environment: {
        AWS_ENDPOINT_URL_DYNAMODB: endpoint,
        AWS_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      },
      where: `${directory}, through the running npm start (${endpoint})`,
      stop: async () => undefined,
    };
  }
  const identity = realIssuer ? undefined : await createLocalIdentity({ keyFile: LOCAL_KEY_FILE });
  // dynalite checks that requests are signed, not by whom: a user's own AWS credentials (for a
  // Cognito pool's sign-out) stay as they are.
  const { AWS_ENDPOINT_URL_DYNAMODB, ...credentials } = table.environment;
  Object.assign(process.env, {
    ...identity?.environment,
    ...Object.fromEntries(Object.entries(credentials).filter(([name]) => !process.env[name])),
    AWS_ENDPOINT_URL_DYNAMODB,
    REVOCATION_TABLE_NAME: LOCAL_TABLE_NAME,
    POWERTOOLS_SERVICE_NAME: process.env.POWERTOOLS_SERVICE_NAME ?? "auth-logout-local",
  });
  return {
    identity,
    issuer: identity?.issuer ?? (realIssuer as string),
    table: `${LOCAL_TABLE_NAME} in ${table.where}`,
    stop: () => table.stop(),
  };
}

function runningEndpoint(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}
