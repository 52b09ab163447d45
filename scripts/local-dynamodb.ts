/**
 * An embedded DynamoDB (dynalite) on 127.0.0.1 with the revocation table created from the same
 * definition the stack uses: in memory for tests and the bench, or kept in a folder (`npm
 * start`), so that revocations survive a restart.
 */
import type { AddressInfo } from "node:net";
import dynalite from "dynalite";
import { Level } from "level";
import {
  createDynamoDbClient,
  type DynamoDbClient,
} from "../functions/revocation/dynamodb-client.js";
import { createRevocationTableInput } from "../functions/revocation/revocation-table.js";

export const LOCAL_REGION = "us-east-1";
/** dynalite checks that requests are signed, not by whom. */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

export interface LocalDynamoDb {
  endpoint: string;
  client: DynamoDbClient;
  /** Environment that points the function at this endpoint. */
  environment: Record<string, string>;
  createRevocationTable(tableName: string): Promise<void>;
  stop(): Promise<void>;
}

/** The kept folder cannot be had: its message is all a user needs to read. */
export class LocalTableUnavailableError extends Error {}

async function assertFolderFree(path: string): Promise<void> {
  const probe = new Level(path);
  try {
    await probe.open();
  } catch (error) {
    const reason = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new LocalTableUnavailableError(
      `The local table in ${path} cannot be opened (${reason}): is another npm start running? Stop it first.`,
    );
  }
  await probe.close();
}

/** @param path a folder to keep the tables in (LevelDB); undefined: in memory, gone at stop. */
export async function startLocalDynamoDb({
  port = 0,
  path,
}: {
  port?: number;
  path?: string;
} = {}): Promise<LocalDynamoDb> {
  // LevelDB lets one process at a time hold a folder; dynalite would throw out of a callback.
  if (path) await assertFolderFree(path);
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(path ? { path } : {}),
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = createDynamoDbClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  return {
    endpoint,
    client,
    environment: {
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    },
    async createRevocationTable(tableName) {
      // dynalite has no UpdateTimeToLive: the store treats expired items as absent anyway.
      try {
        await client.send("CreateTable", createRevocationTableInput(tableName));
      } catch (error) {
        // Kept from an earlier run, in a folder: its revocations are what it is kept for.
        if ((error as { type?: string }).type !== "ResourceInUseException") throw error;
      }
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
