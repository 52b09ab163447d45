/**
 * Revocation against a real DynamoDB-protocol server: dynalite on 127.0.0.1 (behind the
 * counting proxy), the table created from the stack's definition, the real store and handler.
 */
import { randomUUID } from "node:crypto";
import middy from "@middy/core";
import httpErrorHandler from "@middy/http-error-handler";
import type { Context } from "aws-lambda";
import { decodeJwt } from "jose";
import type { AuthenticatedContext } from "../../functions/auth/require-valid-token.js";
import type { VerifyToken } from "../../functions/auth/token-verifier.js";
import {
  type AuthorizerHandler,
  createAuthorizerHandler,
} from "../../functions/authorizer/authorizer-handler.js";
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

export const PARTNER_ISSUER = "https://partner.rinne.local.invalid";

export interface RevocationFixture {
  identity: LocalIdentity;
  /** A second issuer sharing the table (ES256, so its signatures are malleable). */
  partner: LocalIdentity;
  dynamodb: LocalDynamoDb;
  proxy: DynamoDbProxy;
  /** A client that goes through the proxy, as the function's does. */
  client: DynamoDbClient;
  tableName: string;
  store: RevocationStore;
  /**
   * The store's clock: `pinned` where set, else the real one moved by `offsetSeconds` (tests
   * move it back or forth).
   */
  clock: { offsetSeconds: number; pinned: number | undefined };
  logout: LogoutApp;
  /** The API Gateway authorizer, on the same verifier and store. */
  authorizer: AuthorizerHandler;
  /** Another function of the API, guarded by the reusable check. */
  otherFunction(event: ApiGatewayEvent): Promise<HttpResponse>;
  stop(): Promise<void>;
}

export async function startRevocationFixture(
  settings: Partial<Omit<RevocationConfig, "tableName">> & { attemptTimeoutMs?: number } = {},
): Promise<RevocationFixture> {
  const identity = await createLocalIdentity();
  const partner = await createLocalIdentity({ issuer: PARTNER_ISSUER, algorithm: "ES256" });
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
  const clock: RevocationFixture["clock"] = { offsetSeconds: 0, pinned: undefined };
  const store = createRevocationStore(
    client,
    {
      tableName,
      maxSessionSeconds: settings.maxSessionSeconds ?? 30 * 24 * 3600,
      maxTokenLifetimeSeconds: settings.maxTokenLifetimeSeconds ?? 24 * 3600,
    },
    () => clock.pinned ?? Math.floor(Date.now() / 1000) + clock.offsetSeconds,
  );
  // The verifier refuses tokens that live longer than the store keeps revocations.
  const lifetime = {
    MAX_TOKEN_LIFETIME_SECONDS: String(settings.maxTokenLifetimeSeconds ?? 24 * 3600),
  };
  // Each issuer's own verifier, from its own configuration; the token's claimed issuer picks it.
  const verifiers = new Map(
    [identity, partner].map((issuer) => [
      issuer.issuer,
      createTokenVerifier(loadConfig({ ...issuer.environment, ...lifetime }).verifier),
    ]),
  );
  const verify: VerifyToken = (token) => {
    let claimed: unknown;
    try {
      claimed = decodeJwt(token.replace(/=+/g, "")).iss;
    } catch {
      // Not a JWT at all: the main verifier says so in its own words.
    }
    return (verifiers.get(String(claimed)) ?? (verifiers.get(identity.issuer) as VerifyToken))(
      token,
    );
  };
  const logout = await createLogoutApp({ identity, verify, revocations: store });

  const logger = createLogger();
  const guarded = middy<ApiGatewayEvent, HttpResponse, Error, AuthenticatedContext>()
    .use(httpErrorHandler({ logger: false }))
    .use(apiContract({ logger, apiBasePath: "/core" }))
    .use(requireValidToken({ verify, revocations: store }))
    .handler(async (_event, context) => jsonResponse(200, { sub: context.token.claims.sub }));

  const authorizer = createAuthorizerHandler({ logger, verify, revocations: store });

  return {
    identity,
    partner,
    authorizer,
    dynamodb,
    proxy,
    client,
    tableName,
    store,
    clock,
    logout,
    otherFunction: async (event) =>
      (await guarded(event, lambdaContext() as Context as AuthenticatedContext)) as HttpResponse,
    async stop() {
      await proxy.stop();
      await dynamodb.stop();
    },
  };
}
