/**
 * The wait budgets are what the code waits: the DynamoDB client against an endpoint that never
 * answers makes exactly its attempts and gives up within `dynamoDbCallMs`, which the stack's
 * timeouts are computed from (test/infra/logout-stack.test.ts checks those).
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  authorizerWaitMs,
  dynamoDbCallMs,
  logoutWaitMs,
  operatorWaitMs,
  WAIT_BUDGETS,
} from "../../../functions/config/wait-budgets.js";
import { createDynamoDbClient } from "../../../functions/revocation/dynamodb-client.js";

let server: net.Server;
let connections = 0;
let endpoint: string;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket); // accepted, never answered
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe("the DynamoDB client's waits", () => {
  it("makes its attempts, each cut at its budget, and no more: the call's bound holds", async () => {
    const waits = { attempts: 3, attemptMs: 150, baseDelayMs: 20 };
    const client = createDynamoDbClient({
      endpoint,
      region: "local",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      waits,
    });
    connections = 0;
    const started = performance.now();
    await expect(client.send("GetItem", {})).rejects.toMatchObject({ type: "Timeout" });
    const elapsed = performance.now() - started;
    expect(connections).toBe(waits.attempts);
    expect(elapsed).toBeGreaterThanOrEqual(waits.attempts * waits.attemptMs - 5);
    // The bound is what the stack sums; the rest is this machine's scheduling.
    expect(elapsed).toBeLessThan(dynamoDbCallMs(waits) + 1000);
  });
});

describe("the slowest paths", () => {
  it("sum the deployed budgets: a global logout at Cognito is the logout's longest", () => {
    const { jwksFetchMs, dynamoDb, cognitoCallMs } = WAIT_BUDGETS;
    const store = dynamoDbCallMs(dynamoDb);
    expect(store).toBe(dynamoDb.attempts * dynamoDb.attemptMs + 25 * 2 + 25 * 4);
    expect(logoutWaitMs()).toBe(2 * jwksFetchMs + 3 * store + 2 * cognitoCallMs + 3000);
    expect(authorizerWaitMs()).toBe(2 * jwksFetchMs + store);
    // The operator's: AdminGetUser and AdminUserGlobalSignOut, the read and write, the second.
    expect(operatorWaitMs()).toBe(2 * cognitoCallMs + 2 * store + 3000);
  });

  it("follow each budget: a longer secret read can make the local path the longest", () => {
    const slowSecret = { ...WAIT_BUDGETS, secretReadMs: 60_000 };
    expect(logoutWaitMs(slowSecret)).toBe(
      2 * WAIT_BUDGETS.jwksFetchMs +
        2 * dynamoDbCallMs(WAIT_BUDGETS.dynamoDb) +
        60_000 +
        WAIT_BUDGETS.cognitoCallMs,
    );
  });
});
