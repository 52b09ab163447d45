/**
 * Revocation against a real DynamoDB-protocol server: dynalite on 127.0.0.1 (behind the
 * counting proxy), the table created from the stack's definition, the real store and handler.
 */
import { randomUUID } from "node:crypto";
import middy from "@middy/core";
import httpErrorHandler from "@middy/http-error-handler";
import type { Context } from "aws-lambda";
import type { AuthenticatedContext } from "../../functions/auth/require-valid-token.js";
import type { RevocationConfig } from "../../functions/config.js";
import type { ApiGatewayEvent } from "../../functions/http/api-gateway-event.js";
import { type HttpResponse, jsonResponse } from "../../functions/http/responses.js";
// Another function of the API is built as the README shows: from the public exports only.
import {
  apiContract,
  createLogger,
  createTokenVerifier,
  loadConfig,
  requireValidToken,
} from "../../functions/index.js";
import {
  createDynamoDbClient,
  type DynamoDbClient,
} from "../../functions/revocation/dynamodb-client.js";
import {
  createRevocationStore,
  type RevocationStore,
} from "../../functions/revocation/revocation-store.js";
import { lambdaContext } from "../../scripts/lambda-context.js";
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalDynamoDb,
  startLocalDynamoDb,
} from "../../scripts/local-dynamodb.js";
import { createLocalIdentity, type LocalIdentity } from "../../scripts/local-identity.js";
import { type DynamoDbProxy, startDynamoDbProxy } from "./dynamodb-proxy.js";
import { createLogoutApp, type LogoutApp } from "./logout-app.js";

export interface RevocationFixture {
  identity: LocalIdentity;
  dynamodb: LocalDynamoDb;
  proxy: DynamoDbProxy;
  /** A client that goes through the proxy, as the function's does. */
  client: DynamoDbClient;
  tableName: string;
  store: RevocationStore;
  logout: LogoutApp;
  /** Another function of the API, guarded by the reusable check. */
  otherFunction(event: ApiGatewayEvent): Promise<HttpResponse>;
  stop(): Promise<void>;
}

export async function startRevocationFixture(
  settings: Partial<Omit<RevocationConfig, "tableName">> & { attemptTimeoutMs?: number } = {},
): Promise<RevocationFixture> {
  const identity = await createLocalIdentity();
  const dynamodb = await startLocalDynamoDb();
  const proxy = await startDynamoDbProxy(dynamodb.endpoint);
  const tableName = `revocations-${randomUUID()}`;
  await dynamodb.createRevocationTable(tableName);
  const client = createDynamoDbClient({
    endpoint: proxy.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    ...(settings.attemptTimeoutMs ? { attemptTimeoutMs: settings.attemptTimeoutMs } : {}),
  });
  const store = createRevocationStore(client, {
    tableName,
    maxSessionSeconds: settings.maxSessionSeconds ?? 30 * 24 * 3600,
    maxTokenLifetimeSeconds: settings.maxTokenLifetimeSeconds ?? 24 * 3600,
  });
  const logout = await createLogoutApp({ identity, revocations: store });

  const config = loadConfig(identity.environment);
  const logger = createLogger();
  const guarded = middy<ApiGatewayEvent, HttpResponse, Error, AuthenticatedContext>()
    .use(httpErrorHandler({ logger: false }))
    .use(apiContract({ logger, apiBasePath: "/core" }))
    .use(requireValidToken({ verify: createTokenVerifier(config.verifier), revocations: store }))
    .handler(async (_event, context) => jsonResponse(200, { sub: context.token.claims.sub }));

  return {
    identity,
    dynamodb,
    proxy,
    client,
    tableName,
    store,
    logout,
    otherFunction: async (event) =>
      (await guarded(event, lambdaContext() as Context as AuthenticatedContext)) as HttpResponse,
    async stop() {
      await proxy.stop();
      await dynamodb.stop();
    },
  };
}
