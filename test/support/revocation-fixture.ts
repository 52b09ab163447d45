/**
 * Revocation against a real DynamoDB-protocol server: dynalite on 127.0.0.1 (behind the
 * counting proxy), the table created from the stack's definition, the real store and handler.
 */
import { randomUUID } from "node:crypto";
import { decodeJwt } from "jose";
import {
  type AuthorizerHandler,
  createAuthorizerHandler,
} from "../../functions/authorizer/authorizer-handler.js";
import {
  DEFAULT_MAX_ISSUER_CLOCK_LAG_MS,
  DEFAULT_MAX_SESSION_SECONDS,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  type RevocationConfig,
} from "../../functions/config/config.js";
import { WAIT_BUDGETS } from "../../functions/config/wait-budgets.js";
import { type Clock, systemClock } from "../../functions/domain/clock.js";
import type {
  OperatorRevocation,
  ProviderRevocation,
  RevocationRecorder,
  VerifyToken,
} from "../../functions/domain/ports.js";
import type { ApiGatewayEvent } from "../../functions/http/api-gateway-event.js";
import { type HttpResponse, jsonResponse } from "../../functions/http/responses.js";
// Another function of the API is built as the README shows: from the public exports only.
import {
  createLogger,
  createTokenVerifier,
  loadConfig,
  protectedHandler,
} from "../../functions/index.js";
import {
  createDynamoDbClient,
  type DynamoDbClient,
} from "../../functions/revocation/dynamodb-client.js";
import { createRevocationStore } from "../../functions/revocation/revocation-store.js";
import { type DynamoDbProxy, startDynamoDbProxy } from "./dynamodb-proxy.js";
import {
  createLocalIdentity,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalDynamoDb,
  type LocalIdentity,
  lambdaContext,
  startLocalDynamoDb,
  startTableStream,
  type TableStream,
} from "./kit.js";
import { createLogoutApp, type LogoutApp } from "./logout-app.js";

export const PARTNER_ISSUER = "https://partner.rinne.local.invalid";

export interface RevocationFixture {
  identity: LocalIdentity;
  /** A second issuer sharing the table (ES256, so its signatures are malleable). */
  partner: LocalIdentity;
  dynamodb: LocalDynamoDb;
  /** The table's change records, as its stream would deliver them (between proxy and table). */
  stream: TableStream;
  proxy: DynamoDbProxy;
  /** A client that goes through the proxy, as the function's does. */
  client: DynamoDbClient;
  tableName: string;
  store: RevocationRecorder & OperatorRevocation & ProviderRevocation;
  /**
   * The store's and the verifiers' clock: `pinned` where set, else the real one moved by
   * `offsetSeconds` (tests move it back or forth). Unless `realWaits`, the store's waits move
   * it instead of waiting. (aws-jwt-verify reads `exp` and `nbf` on the system's clock.)
   */
  clock: { offsetSeconds: number; pinned: number | undefined };
  /** With `realWaits`: how many requests are waiting in the store now, and the most at once. */
  waits: { now: number; most: number };
  /** The clock's time in whole seconds: a token minted "now" for the store and the verifiers. */
  now(): number;
  logout: LogoutApp;
  /** The API Gateway authorizer, on the same verifier and store. */
  authorizer: AuthorizerHandler;
  /** Another function of the API, guarded by the reusable check. */
  otherFunction(event: ApiGatewayEvent): Promise<HttpResponse>;
  stop(): Promise<void>;
}

export async function startRevocationFixture(
  settings: Partial<Omit<RevocationConfig, "tableName">> & {
    attemptTimeoutMs?: number;
    requireAuthTime?: boolean;
    /** The store waits for real, as deployed (slow: up to a second per user-wide logout). */
    realWaits?: boolean;
  } = {},
): Promise<RevocationFixture> {
  const identity = await createLocalIdentity();
  const partner = await createLocalIdentity({ issuer: PARTNER_ISSUER, algorithm: "ES256" });
  const dynamodb = await startLocalDynamoDb();
  const stream = await startTableStream(dynamodb.endpoint);
  const proxy = await startDynamoDbProxy(stream.endpoint);
  const tableName = `revocations-${randomUUID()}`;
  await dynamodb.createRevocationTable(tableName);
  const client = createDynamoDbClient({
    endpoint: proxy.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    ...(settings.attemptTimeoutMs
      ? { waits: { ...WAIT_BUDGETS.dynamoDb, attemptMs: settings.attemptTimeoutMs } }
      : {}),
  });
  const clock: RevocationFixture["clock"] = { offsetSeconds: 0, pinned: undefined };
  const now = () => clock.pinned ?? Date.now() / 1000 + clock.offsetSeconds;
  const waits = { now: 0, most: 0 };
  const storeClock: Clock = {
    now,
    async sleepUntil(instant) {
      if (clock.pinned !== undefined) clock.pinned = Math.max(clock.pinned, instant);
      else if (settings.realWaits) {
        if (instant <= now()) return;
        waits.most = Math.max(waits.most, ++waits.now);
        try {
          await systemClock.sleepUntil(instant - clock.offsetSeconds);
        } finally {
          waits.now--;
        }
      } else clock.offsetSeconds += Math.max(0, instant - now());
    },
  };
  const limits = {
    issuerClockLagMs: settings.issuerClockLagMs ?? DEFAULT_MAX_ISSUER_CLOCK_LAG_MS,
    maxSessionSeconds: settings.maxSessionSeconds ?? DEFAULT_MAX_SESSION_SECONDS,
    maxTokenLifetimeSeconds: settings.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  };
  const store = createRevocationStore(client, { tableName, ...limits }, storeClock);
  // The verifier refuses tokens that live or whose sessions last longer than the store keeps
  // revocations: the same limits, from the same variables as a deployment.
  const limitVariables = {
    MAX_TOKEN_LIFETIME_SECONDS: String(limits.maxTokenLifetimeSeconds),
    MAX_SESSION_SECONDS: String(limits.maxSessionSeconds),
    ...(settings.requireAuthTime ? { REQUIRE_AUTH_TIME: "true" } : {}),
  };
  // Each issuer's own verifier, from its own configuration; the token's claimed issuer picks it.
  const verifiers = new Map(
    [identity, partner].map((issuer) => [
      issuer.issuer,
      createTokenVerifier(loadConfig({ ...issuer.environment, ...limitVariables }).verifier, {
        clock: { now },
      }),
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
  // The other function is the package's own `protectedHandler`, on this fixture's check.
  const guarded = protectedHandler(
    async (_event, context) => jsonResponse(200, { sub: context.token.claims.sub }),
    { check: { config: loadConfig(identity.environment), logger, verify, revocations: store } },
  );

  const authorizer = createAuthorizerHandler({ logger, verify, revocations: store });

  return {
    identity,
    partner,
    authorizer,
    dynamodb,
    stream,
    proxy,
    client,
    tableName,
    store,
    clock,
    waits,
    now: () => Math.floor(now()),
    logout,
    otherFunction: (event) => guarded(event, lambdaContext()),
    async stop() {
      await proxy.stop();
      await stream.stop();
      await dynamodb.stop();
    },
  };
}
