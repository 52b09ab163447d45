/**
 * An embedded DynamoDB (dynalite, in memory) on 127.0.0.1 with the revocation table created
 * from the same definition the stack uses. For local runs, tests and the bench.
 */
import type { AddressInfo } from "node:net";
import dynalite from "dynalite";
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

export async function startLocalDynamoDb(port = 0): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
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
      await client.send("CreateTable", createRevocationTableInput(tableName));
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
