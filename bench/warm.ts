/**
 * The warm half of `npm run bench`, in a child process whose stdout (the functions' log lines)
 * is /dev/null: µs per invocation of the deployable handlers, each beside its own floor, the
 * work no implementation can skip, measured interleaved. Each figure is the median of its
 * rounds, each ratio the median of per-round ratios.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { JwtVerifier } from "aws-jwt-verify";
import { systemClock } from "../functions/domain/clock.js";
import { type TokenClaims, VerifiedToken } from "../functions/domain/verified-token.js";
import { jsonResponse } from "../functions/http/responses.js";
import {
  createLogger,
  createRevocationStore,
  createTokenVerifier,
  loadConfig,
  protectedHandler,
} from "../functions/index.js";
import {
  createProviderHandler,
  providerHandlerFromEnvironment,
} from "../functions/provider/provider-handler.js";
import {
  createDynamoDbClient,
  type DynamoDbClient,
  type SendOptions,
} from "../functions/revocation/dynamodb-client.js";
import { dynamoDbTable } from "../functions/revocation/dynamodb-table.js";
import { batchGetInput, sessionItem, userItem } from "../functions/revocation/revocation-items.js";
import { sessionKeys, userKey } from "../functions/revocation/revocation-table.js";
import { httpApiAuthorizerEvent, httpApiEvent } from "../scripts/api-gateway-events.js";
import { lambdaContext } from "../scripts/lambda-context.js";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../scripts/local-dynamodb.js";
import { createLocalIdentity, LOCAL_BACKCHANNEL_CLIENT } from "../scripts/local-identity.js";
import { median } from "./median.js";

export interface WarmInput {
  logout: string;
  authorizer: string;
  peer: string;
  rounds: number;
  iterations: number;
  /** Invocations per round of the paths that call DynamoDB. */
  checkIterations: number;
  revocationSamples: number;
  globalSamples: number;
  dynamodb: Record<string, string>;
  tableName: string;
  /** The commit before the performance work: its logout and authorizer, bundled as then. */
  baseline?: { logout: string; authorizer: string } | undefined;
}

export interface Figure {
  us: number;
  /** Against its floor: the median of per-round ratios. */
  ratio: number;
}

export interface WarmResult {
  verifyUs: number;
  /** The floor of a logout: verify, and one line of the same fields from the same logger. */
  verifyAndLineUs: number;
  logout: Figure;
  refusedUs: number;
  peer: Figure;
  /** The floor of a revoking logout: verify, and the same conditional PutItem. */
  verifyAndPutUs: number;
  revokingLogout: Figure;
  /** The conditional PutItem alone, and the local logout's (PutItem ∥ BatchGetItem) round trip. */
  putAloneUs: number;
  /** The same PutItem with the item of the release before events: no notice. */
  putWithoutNoticeUs: number;
  putAndReadUs: number;
  /** A local logout's floor (one answer for a revoked token): verify, hashes, both calls, line. */
  verifyPutAndReadUs: number;
  /** The revoking logout against that floor. */
  revokingLogoutOverPairRatio: number;
  /** Verify, and one BatchGetItem of the same keys: for reference. */
  verifyAndReadUs: number;
  /** The floor of every checked request: verify, the two key hashes, the read, its line. */
  checkFloorUs: number;
  authorizer: Figure;
  middleware: Figure;
  /** `others` said again from one session, through the revoking logout, against a check's floor. */
  othersAgain: Figure;
  /**
   * The inbound revocations, each against the work it must do: a back-channel logout (verify
   * its token, write the session's item) and a Cognito pool's sign-out (read the user's item,
   * write it over the version read).
   */
  backchannel: Figure & { floorUs: number };
  cognitoSignOut: Figure & { floorUs: number };
  /** A global logout on the real clock: its latency, and the share of it that is its wait. */
  globalLogout: { p50Ms: number; p99Ms: number; waitShare: number };
  /** The same figures of the commit before the performance work, in the same rounds. */
  before?: { logout: Figure; revokingLogout: Figure; authorizer: Figure } | undefined;
  /** DynamoDB round trips in sequence, and requests in all, of each store operation. */
  roundTrips: Record<"localLogout" | "check" | "userLogout" | "replay" | "othersAgain", RoundTrips>;
}

export interface RoundTrips {
  /** Waves of requests: a request sent while none is in flight starts a new one. */
  inSequence: number;
  requests: string[];
}

/** A client that counts what `call` sends to DynamoDB, in sequence and in all. */
async function countRoundTrips(
  client: DynamoDbClient,
  call: (counted: DynamoDbClient) => Promise<unknown>,
): Promise<RoundTrips> {
  let inFlight = 0;
  const counted = { inSequence: 0, requests: [] as string[] };
  await call({
    callBudgetMs: client.callBudgetMs,
    async send<Output>(operation: string, input: object, options?: SendOptions) {
      if (inFlight === 0) counted.inSequence++;
      inFlight++;
      counted.requests.push(operation);
      try {
        return await client.send<Output>(operation, input, options);
      } finally {
        inFlight--;
      }
    },
  });
  return counted;
}

type Call = () => Promise<unknown>;

async function microsecondsPerCall(call: Call, iterations: number) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await call();
  return Number(process.hrtime.bigint() - start) / iterations / 1000;
}

/**
 * One sample of each call, once each, starting at a different call each sample: no call always
 * runs first after the sample's setup, or always right after another's writes.
 */
async function rotatedSample<Name extends string>(
  calls: [Name, Call][],
  sample: number,
): Promise<Record<Name, number>> {
  const us = {} as Record<Name, number>;
  for (let i = 0; i < calls.length; i++) {
    const [name, call] = calls[(i + sample) % calls.length] as [Name, Call];
    us[name] = await microsecondsPerCall(call, 1);
  }
  return us;
}

async function importHandler<T>(file: string, variant: string, env: Record<string, string>) {
  Object.assign(process.env, env);
  // A query string gives a fresh module instance, configured from the environment of now.
  return ((await import(`${pathToFileURL(file).href}?${variant}`)) as { handler: T }).handler;
}

function expect(label: string, actual: unknown, expected: unknown) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`bench setup: ${label} gave ${JSON.stringify(actual)}, not ${expected}`);
  }
}

/**
 * Runs `candidates` in interleaved rounds (the order rotated each round) and returns, for
 * each, its median µs and its median per-round ratio to `floorOf(name)`.
 */
async function interleaved(
  candidates: [string, Call][],
  floorOf: Record<string, string>,
  rounds: number,
  iterations: number,
): Promise<Map<string, Figure>> {
  const samples = new Map<string, number[]>(candidates.map(([name]) => [name, []]));
  const ratios = new Map<string, number[]>(Object.keys(floorOf).map((name) => [name, []]));
  for (const [, call] of candidates) await microsecondsPerCall(call, iterations); // warm-up
  for (let round = 0; round < rounds; round++) {
    const perRound = new Map<string, number>();
    for (let i = 0; i < candidates.length; i++) {
      const [name, call] = candidates[(i + round) % candidates.length] as [string, Call];
      perRound.set(name, await microsecondsPerCall(call, iterations));
    }
    for (const [name, value] of perRound) samples.get(name)?.push(value);
    for (const [name, floor] of Object.entries(floorOf)) {
      ratios.get(name)?.push((perRound.get(name) as number) / (perRound.get(floor) as number));
    }
  }
  return new Map(
    candidates.map(([name]) => [
      name,
      { us: median(samples.get(name) as number[]), ratio: median(ratios.get(name) ?? [1]) },
    ]),
  );
}

async function measure(input: WarmInput): Promise<WarmResult> {
  const identity = await createLocalIdentity();
  const token = await identity.mint("valid", { sub: "bench-user" });
  const bearer = (text: string) => httpApiEvent({ headers: { Authorization: `Bearer ${text}` } });
  const event = bearer(token);
  const expired = bearer(await identity.mint("expired"));
  const context = lambdaContext();
  const revocationEnv = { ...input.dynamodb, REVOCATION_TABLE_NAME: input.tableName };

  type HttpHandler = (event: unknown, context: unknown) => Promise<{ statusCode: number }>;
  const logout = await importHandler<HttpHandler>(input.logout, "warm", {
    ...identity.environment,
    LOG_LEVEL: "INFO",
  });
  const peer = await importHandler<HttpHandler>(input.peer, "peer", identity.environment);
  const bare = JwtVerifier.create({
    issuer: identity.issuer,
    audience: identity.audience,
    jwksUri: `${identity.issuer}/.well-known/jwks.json`,
  });
  bare.cacheJwks(identity.jwks as never);
  const baseline = input.baseline;
  const logoutBefore =
    baseline &&
    (await importHandler<HttpHandler>(baseline.logout, "warm-before", {
      ...identity.environment,
      LOG_LEVEL: "INFO",
    }));
  expect("logout", (await logout(event, context)).statusCode, 200);
  if (logoutBefore) expect("logout before", (await logoutBefore(event, context)).statusCode, 200);
  expect("refused logout", (await logout(expired, context)).statusCode, 401);
  expect("peer", (await peer(event, context)).statusCode, 200);

  // The logout's own line: the same logger, the same fields (`apiContract` writes them).
  const logger = createLogger();
  const line = () =>
    logger.info("request completed", {
      status: 200,
      path: "/v1/auth/logout",
      correlation_id: event.requestContext.requestId,
      function_request_id: context.awsRequestId,
      cold_start: false,
      sub: "bench-user",
      scope: "local",
      outcome: "logged_out",
    });

  const warm = await interleaved(
    [
      ["verify", () => bare.verify(token)],
      ["verify+line", () => bare.verify(token).then(line)],
      ["logout", () => logout(event, context)],
      ["refused", () => logout(expired, context)],
      ["peer", () => peer(event, context)],
      ...(logoutBefore
        ? [["logout-before", () => logoutBefore(event, context)] as [string, Call]]
        : []),
    ],
    {
      logout: "verify+line",
      peer: "verify",
      ...(logoutBefore ? { "logout-before": "verify+line" } : {}),
    },
    input.rounds,
    input.iterations,
  );

  // The check every protected request pays: the authorizer, and the reusable middleware.
  const client = createDynamoDbClient({
    endpoint: input.dynamodb.AWS_ENDPOINT_URL_DYNAMODB as string,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  type AuthorizerHandler = (event: unknown, context: unknown) => Promise<{ isAuthorized: boolean }>;
  const authorizer = await importHandler<AuthorizerHandler>(input.authorizer, "warm", {
    ...revocationEnv,
    LOG_LEVEL: "INFO",
  });
  const authorizerBefore =
    baseline &&
    (await importHandler<AuthorizerHandler>(baseline.authorizer, "warm-before", {
      ...revocationEnv,
      LOG_LEVEL: "INFO",
    }));
  const config = loadConfig(process.env);
  const store = createRevocationStore(
    client,
    config.revocation as NonNullable<typeof config.revocation>,
  );
  const guarded = protectedHandler(async () => jsonResponse(200, { ok: true }), {
    check: { config, logger, verify: createTokenVerifier(config.verifier), revocations: store },
  });
  const authorizerEvent = httpApiAuthorizerEvent({
    method: "GET",
    path: "/core/v1/example/protected",
    headers: { Authorization: `Bearer ${token}` },
  });
  const verified = await createTokenVerifier(config.verifier)(token);
  const keys = [...sessionKeys(verified), userKey(verified.claims) as string];
  const read = () =>
    client.send("BatchGetItem", {
      RequestItems: {
        [input.tableName]: { Keys: keys.map((pk) => ({ pk: { S: pk } })), ConsistentRead: true },
      },
    });
  expect("authorizer", (await authorizer(authorizerEvent, context)).isAuthorized, true);
  if (authorizerBefore) {
    expect(
      "authorizer before",
      (await authorizerBefore(authorizerEvent, context)).isAuthorized,
      true,
    );
  }
  expect("middleware", (await guarded(event, lambdaContext())).statusCode, 200);
  // The authorizer's own line: what it writes per decision, from the same logger.
  const decisionLine = () =>
    logger.info("authorization allowed", {
      correlation_id: authorizerEvent.requestContext.requestId,
      function_request_id: context.awsRequestId,
      route: authorizerEvent.routeKey,
      cold_start: false,
      decision: "allow",
      sub: "bench-user",
    });
  // What a check cannot skip: verify, hash the token's keys, read them, write its line.
  const floorOfCheck = () =>
    bare.verify(token).then(async (claims) => {
      const verifiedNow = new VerifiedToken(token, claims as TokenClaims);
      const keysNow = [...sessionKeys(verifiedNow), userKey(verifiedNow.claims) as string];
      await client.send("BatchGetItem", batchGetInput(input.tableName, keysNow));
      decisionLine();
    });
  const checks = await interleaved(
    [
      ["verify+hashes+read+line", floorOfCheck],
      ["verify+read", () => bare.verify(token).then(read)],
      ["authorizer", () => authorizer(authorizerEvent, context)],
      ["middleware", () => guarded(event, lambdaContext())],
      ...(authorizerBefore
        ? [
            ["authorizer-before", () => authorizerBefore(authorizerEvent, context)] as [
              string,
              Call,
            ],
          ]
        : []),
    ],
    {
      authorizer: "verify+hashes+read+line",
      middleware: "verify+hashes+read+line",
      ...(authorizerBefore ? { "authorizer-before": "verify+hashes+read+line" } : {}),
    },
    input.rounds,
    input.checkIterations,
  );

  // A user-wide logout said again from one session (a stolen token's loop): it covers nothing
  // new, so it must cost what a check costs, with no write and no wait.
  const revoking = await importHandler<HttpHandler>(input.logout, "revocation", revocationEnv);
  const revokingBefore =
    baseline &&
    (await importHandler<HttpHandler>(baseline.logout, "revocation-before", revocationEnv));
  const began = Math.floor(Date.now() / 1000) - 10;
  const asker = await identity.mint("valid", { sub: "bench-others", iat: began, auth_time: began });
  const othersAgain = httpApiEvent({
    headers: { Authorization: `Bearer ${asker}` },
    query: "scope=others",
  });
  expect("others", (await revoking(othersAgain, context)).statusCode, 200);
  const repeated = await interleaved(
    [
      ["verify+hashes+read+line", floorOfCheck],
      ["others-again", () => revoking(othersAgain, context)],
    ],
    { "others-again": "verify+hashes+read+line" },
    input.rounds,
    input.checkIterations,
  );

  // Revocation: each logout writes, so each sample needs a token and a key of its own.
  const samples = {
    logout: [] as number[],
    floor: [] as number[],
    put: [] as number[],
    putWithoutNotice: [] as number[],
    putAndRead: [] as number[],
    floorPair: [] as number[],
    ratio: [] as number[],
    pairRatio: [] as number[],
    logoutBefore: [] as number[],
    pairRatioBefore: [] as number[],
  };
  const writer = "bench-logout-id-0000000000000000000000000000";
  // The logout's item, its notice included: what the revocation's event is made from.
  const item = (pk: string) =>
    sessionItem(
      pk,
      { expiresAt: 4102444800, revokedBy: writer },
      {
        scope: "local",
        iss: identity.issuer,
        sub: "bench-user-0000",
        jti: "00000000-0000-4000-8000-000000000000",
        at: 1700000000000,
      },
    );
  const put = (pk: string, withNotice = true) => {
    const full = item(pk);
    const { notice: _notice, ...withoutNotice } = full;
    return client.send("PutItem", {
      TableName: input.tableName,
      Item: withNotice ? full : withoutNotice,
      ConditionExpression: "attribute_not_exists(#pk) OR #expiresAt <= :now OR revokedBy = :writer",
      ExpressionAttributeNames: { "#pk": "pk", "#expiresAt": "expiresAt" },
      ExpressionAttributeValues: { ":now": { N: "1700000000" }, ":writer": { S: writer } },
    });
  };
  for (let i = 0; i < input.revocationSamples; i++) {
    const fresh = bearer(await identity.mint("valid", { sub: `bench-${i}` }));
    const freshBefore = bearer(await identity.mint("valid", { sub: `bench-before-${i}` }));
    const sample = await rotatedSample(
      [
        ...(revokingBefore
          ? [
              [
                "logoutBefore",
                async () =>
                  expect(
                    "revoking logout before",
                    (await revokingBefore(freshBefore, context)).statusCode,
                    200,
                  ),
              ] as [string, Call],
            ]
          : []),
        [
          "logout",
          async () => expect("revoking logout", (await revoking(fresh, context)).statusCode, 200),
        ],
        ["floor", () => bare.verify(token).then(() => put(`floor#${i}`))],
        ["put", () => put(`alone#${i}`)],
        ["putWithoutNotice", () => put(`no-notice#${i}`, false)],
        ["putAndRead", () => Promise.all([put(`pair#${i}`), read()])],
        // As the check's floor: the key hashes and the line too, which no logout can skip.
        [
          "floorPair",
          () =>
            bare.verify(token).then(async (claims) => {
              const asker = new VerifiedToken(token, claims as TokenClaims);
              const keysNow = [...sessionKeys(asker), userKey(asker.claims) as string];
              await Promise.all([
                put(`floor-pair#${i}`),
                client.send("BatchGetItem", batchGetInput(input.tableName, keysNow)),
              ]);
              line();
            }),
        ],
      ],
      i,
    );
    const {
      logout: logoutUs,
      floor: floorUs,
      put: putUs,
      putWithoutNotice: putWithoutNoticeUs,
      putAndRead: putAndReadUs,
      floorPair: floorPairUs,
    } = sample as Record<
      "logout" | "floor" | "put" | "putWithoutNotice" | "putAndRead" | "floorPair",
      number
    >;
    if (sample.logoutBefore !== undefined) {
      samples.logoutBefore.push(sample.logoutBefore);
      samples.pairRatioBefore.push(sample.logoutBefore / floorPairUs);
    }
    samples.logout.push(logoutUs);
    samples.floor.push(floorUs);
    samples.put.push(putUs);
    samples.putWithoutNotice.push(putWithoutNoticeUs);
    samples.putAndRead.push(putAndReadUs);
    samples.floorPair.push(floorPairUs);
    samples.ratio.push(logoutUs / floorUs);
    samples.pairRatio.push(logoutUs / floorPairUs);
  }

  // The inbound revocations: the deployed handler against the work it must do, sample by sample
  // (each writes, so each needs a session or a user of its own).
  const inbound = {
    backchannel: [] as number[],
    backchannelFloor: [] as number[],
    backchannelRatio: [] as number[],
    cognito: [] as number[],
    cognitoFloor: [] as number[],
    cognitoRatio: [] as number[],
  };
  const receiver = providerHandlerFromEnvironment({ ...process.env, ...identity.environment });
  const benchPool = "sa-east-1_Bench1";
  const pool = createProviderHandler({
    logger,
    revocations: store,
    cognito: { userPoolId: benchPool, issuer: identity.issuer, users: undefined },
  });
  const bareLogout = JwtVerifier.create({
    issuer: identity.issuer,
    audience: LOCAL_BACKCHANNEL_CLIENT,
    jwksUri: `${identity.issuer}/.well-known/jwks.json`,
  });
  bareLogout.cacheJwks(identity.jwks as never);
  const table = dynamoDbTable(client, input.tableName);
  const sample = readFileSync("events/cognito-cloudtrail/admin-disable-user.json", "utf8");
  const cloudTrail = (sub: string) =>
    JSON.parse(
      sample
        .replaceAll("sa-east-1_LocalPool1", benchPool)
        .replaceAll("{{sub}}", sub)
        .replaceAll("{{now}}", new Date().toISOString()),
    );
  for (let i = 0; i < input.revocationSamples; i++) {
    const logoutToken = await identity.mintLogout("valid", { sub: `bc-${i}`, sid: `bc-${i}` });
    const floorToken = await identity.mintLogout("valid", { sub: `bcf-${i}`, sid: `bcf-${i}` });
    const request = httpApiEvent({
      method: "POST",
      path: "/core/v1/auth/backchannel-logout",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `logout_token=${encodeURIComponent(logoutToken)}`,
    });
    const event = cloudTrail(`ct-${i}`);
    const floorKey = userKey({ iss: identity.issuer, sub: `ctf-${i}` }) as string;
    const {
      backchannel: backchannelUs,
      backchannelFloor: backchannelFloorUs,
      cognito: cognitoUs,
      cognitoFloor: cognitoFloorUs,
    } = await rotatedSample(
      [
        [
          "backchannel",
          async () => expect("back-channel", (await receiver(request, context))?.statusCode, 200),
        ],
        // As every floor of a request: its one log line too, from the same logger.
        [
          "backchannelFloor",
          () =>
            bareLogout
              .verify(floorToken)
              .then(() => put(`bc-floor#${i}`))
              .then(() =>
                logger.info("back-channel logout", {
                  status: 200,
                  request_id: request.requestContext.requestId,
                  sub: `bcf-${i}`,
                  outcome: "recorded",
                }),
              ),
        ],
        ["cognito", () => pool(event, context)],
        [
          "cognitoFloor",
          async () => {
            await table.read([floorKey]);
            await table.putOverVersion(
              userItem(
                floorKey,
                { expiresAt: 4102444800, revokedBefore: 1700000000, logouts: [] },
                1,
                {
                  scope: "provider",
                  iss: identity.issuer,
                  sub: `ctf-${i}`,
                  initiator: "admin",
                  reason: "Cognito AdminDisableUser",
                  at: 1700000000000,
                },
              ),
              undefined,
            );
            logger.info("provider sign-out", {
              event_id: event.id,
              action: "AdminDisableUser",
              outcome: "recorded",
              sub: `ctf-${i}`,
            });
          },
        ],
      ],
      i,
    );
    inbound.backchannel.push(backchannelUs);
    inbound.backchannelFloor.push(backchannelFloorUs);
    inbound.backchannelRatio.push(backchannelUs / backchannelFloorUs);
    inbound.cognito.push(cognitoUs);
    inbound.cognitoFloor.push(cognitoFloorUs);
    inbound.cognitoRatio.push(cognitoUs / cognitoFloorUs);
  }

  // What each operation costs in round trips, whatever the network's speed.
  const revocationConfig = config.revocation as NonNullable<typeof config.revocation>;
  const storeOn = (counted: DynamoDbClient) => createRevocationStore(counted, revocationConfig);
  const fresh = async (sub: string) =>
    createTokenVerifier(config.verifier)(
      await identity.mint("valid", { sub, iat: began, auth_time: began }),
    );
  const [local, user, replayed, again] = [
    await fresh("rounds-local"),
    await fresh("rounds-user"),
    await fresh("rounds-replay"),
    await fresh("rounds-others-again"),
  ];
  const ownStore = createRevocationStore(client, revocationConfig);
  await ownStore.revokeUserSessions(replayed, { keepOwnSession: false, logoutId: "replayed" });
  await ownStore.revokeUserSessions(again, { keepOwnSession: true, logoutId: "first" });
  const roundTrips = {
    localLogout: await countRoundTrips(client, (c) => storeOn(c).revokeSession(local, "l")),
    check: await countRoundTrips(client, (c) => storeOn(c).assertNotRevoked(verified)),
    userLogout: await countRoundTrips(client, (c) =>
      storeOn(c).revokeUserSessions(user, { keepOwnSession: false, logoutId: "u" }),
    ),
    replay: await countRoundTrips(client, (c) =>
      storeOn(c).revokeUserSessions(replayed, { keepOwnSession: false, logoutId: "replayed" }),
    ),
    othersAgain: await countRoundTrips(client, (c) =>
      storeOn(c).revokeUserSessions(again, { keepOwnSession: true, logoutId: "again" }),
    ),
  };

  // A global logout, on the real clock: how long it takes, and how much of that is its wait.
  const waited: number[] = [];
  const globalLatency: number[] = [];
  const timedClock = {
    now: systemClock.now,
    async sleepUntil(instant: number) {
      const started = performance.now();
      await systemClock.sleepUntil(instant);
      waited.push(performance.now() - started);
    },
  };
  const globalStore = createRevocationStore(client, revocationConfig, timedClock);
  for (let i = 0; i < input.globalSamples; i++) {
    const asker = await fresh(`bench-global-${i}`);
    const started = performance.now();
    await globalStore.revokeUserSessions(asker, { keepOwnSession: false, logoutId: `g${i}` });
    globalLatency.push(performance.now() - started);
    // Spread the starts over the second, as real logouts are.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 300));
  }
  const sorted = [...globalLatency].sort((a, b) => a - b);
  const quantile = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

  const figure = (map: Map<string, Figure>, name: string) => map.get(name) as Figure;
  return {
    verifyUs: figure(warm, "verify").us,
    verifyAndLineUs: figure(warm, "verify+line").us,
    logout: figure(warm, "logout"),
    refusedUs: figure(warm, "refused").us,
    peer: figure(warm, "peer"),
    verifyAndPutUs: median(samples.floor),
    revokingLogout: { us: median(samples.logout), ratio: median(samples.ratio) },
    putAloneUs: median(samples.put),
    putWithoutNoticeUs: median(samples.putWithoutNotice),
    putAndReadUs: median(samples.putAndRead),
    verifyPutAndReadUs: median(samples.floorPair),
    revokingLogoutOverPairRatio: median(samples.pairRatio),
    before: baseline && {
      logout: figure(warm, "logout-before"),
      authorizer: figure(checks, "authorizer-before"),
      revokingLogout: { us: median(samples.logoutBefore), ratio: median(samples.pairRatioBefore) },
    },
    verifyAndReadUs: figure(checks, "verify+read").us,
    checkFloorUs: figure(checks, "verify+hashes+read+line").us,
    authorizer: figure(checks, "authorizer"),
    middleware: figure(checks, "middleware"),
    othersAgain: figure(repeated, "others-again"),
    backchannel: {
      us: median(inbound.backchannel),
      ratio: median(inbound.backchannelRatio),
      floorUs: median(inbound.backchannelFloor),
    },
    cognitoSignOut: {
      us: median(inbound.cognito),
      ratio: median(inbound.cognitoRatio),
      floorUs: median(inbound.cognitoFloor),
    },
    globalLogout: {
      p50Ms: quantile(0.5),
      p99Ms: quantile(0.99),
      waitShare: sum(waited) / sum(globalLatency),
    },
    roundTrips,
  };
}

process.once("message", (input: WarmInput) => {
  measure(input).then(
    (result) => process.send?.(result, () => process.exit(0)),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
});
