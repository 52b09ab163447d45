/**
 * The warm half of `npm run bench`, in a child process whose stdout (the function's log lines)
 * is /dev/null: µs per invocation of the deployable handler, of a bare aws-jwt-verify verify of
 * the same token, of the 401 path and of the peer; then the cost revocation adds per logout.
 * Rounds are interleaved and each figure is the median of its rounds.
 */
import { writeSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { JwtVerifier } from "aws-jwt-verify";
import { createDynamoDbClient } from "../functions/revocation/dynamodb-client.js";
import { lambdaContext } from "../scripts/lambda-context.js";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../scripts/local-dynamodb.js";
import { createLocalIdentity } from "../scripts/local-identity.js";
import { httpApiEvent } from "../test/support/logout-app.js";
import { median } from "./median.js";

export interface WarmInput {
  deployable: string;
  peer: string;
  rounds: number;
  iterations: number;
  revocationSamples: number;
  dynamodb: Record<string, string>;
  tableName: string;
}

export interface WarmResult {
  bareVerifyUs: number;
  handlerUs: number;
  ratio: number;
  /** The same handler with LOG_LEVEL=WARN: everything but the per-request log line. */
  quietHandlerUs: number;
  quietRatio: number;
  /** The quiet handler plus one write(2) of a request line: the floor of logging per request. */
  floorUs: number;
  floorRatio: number;
  /** The same write(2), alone in a tight loop: what the system call costs without the verify. */
  writeAloneUs: number;
  refusedUs: number;
  peerUs: number;
  logoutWithRevocationUs: number;
  dynamoDbRoundTripUs: number;
}

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number }>;

async function microsecondsPerCall(call: () => Promise<unknown>, iterations: number) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await call();
  return Number(process.hrtime.bigint() - start) / iterations / 1000;
}

async function importHandler(file: string, variant: string, env: Record<string, string>) {
  Object.assign(process.env, env);
  // A query string gives a fresh module instance, configured from the environment of now.
  const module = (await import(`${pathToFileURL(file).href}?${variant}`)) as { handler: Handler };
  return module.handler;
}

async function expectStatus(handler: Handler, event: unknown, status: number) {
  const response = await handler(event, lambdaContext());
  if (response.statusCode !== status) {
    throw new Error(`bench setup: expected ${status}, got ${response.statusCode}`);
  }
}

async function measure(input: WarmInput): Promise<WarmResult> {
  const identity = await createLocalIdentity();
  const token = await identity.mint("valid");
  const event = httpApiEvent({ authorization: [`Bearer ${token}`] });
  const expired = httpApiEvent({ authorization: [`Bearer ${await identity.mint("expired")}`] });
  const context = lambdaContext();

  const handler = await importHandler(input.deployable, "warm", {
    ...identity.environment,
    LOG_LEVEL: "INFO",
  });
  const quiet = await importHandler(input.deployable, "quiet", { LOG_LEVEL: "WARN" });
  const peer = await importHandler(input.peer, "peer", identity.environment);
  const bare = JwtVerifier.create({
    issuer: identity.issuer,
    audience: identity.audience,
    jwksUri: `${identity.issuer}/.well-known/jwks.json`,
  });
  bare.cacheJwks(identity.jwks as never);
  await expectStatus(handler, event, 200);
  await expectStatus(handler, expired, 401);
  await expectStatus(quiet, event, 200);
  await expectStatus(peer, event, 200);

  // A line of the handler's length, written as Powertools writes it: one write(2) to stdout.
  const requestLine = `${JSON.stringify({
    level: "INFO",
    message: "request completed",
    timestamp: new Date().toISOString(),
    service: "auth-logout",
    status: 200,
    path: "/v1/auth/logout",
    correlation_id: event.requestContext.requestId,
    function_request_id: context.awsRequestId,
    cold_start: false,
    sub: "local-user",
    scope: "local",
    outcome: "logged_out",
  })}\n`;
  const candidates: [string, () => Promise<unknown>][] = [
    ["bare", () => bare.verify(token)],
    ["handler", () => handler(event, context)],
    ["quiet", () => quiet(event, context)],
    ["floor", () => quiet(event, context).then(() => writeSync(1, requestLine))],
    ["write", async () => writeSync(1, requestLine)],
    ["refused", () => handler(expired, context)],
    ["peer", () => peer(event, context)],
  ];
  const samples = new Map<string, number[]>(candidates.map(([name]) => [name, []]));
  const ratios: number[] = [];
  const quietRatios: number[] = [];
  const floorRatios: number[] = [];
  for (const [, call] of candidates) await microsecondsPerCall(call, input.iterations); // warm-up
  for (let round = 0; round < input.rounds; round++) {
    const perRound = new Map<string, number>();
    // Rotate the order each round, so no candidate always runs first.
    for (let i = 0; i < candidates.length; i++) {
      const [name, call] = candidates[(i + round) % candidates.length] as [
        string,
        () => Promise<unknown>,
      ];
      perRound.set(name, await microsecondsPerCall(call, input.iterations));
    }
    for (const [name, value] of perRound) samples.get(name)?.push(value);
    const bareUs = perRound.get("bare") as number;
    ratios.push((perRound.get("handler") as number) / bareUs);
    quietRatios.push((perRound.get("quiet") as number) / bareUs);
    floorRatios.push((perRound.get("floor") as number) / bareUs);
  }

  // Revocation: each logout writes, so each needs a token of its own.
  const revoking = await importHandler(input.deployable, "revocation", {
    ...input.dynamodb,
    REVOCATION_TABLE_NAME: input.tableName,
  });
  const client = createDynamoDbClient({
    endpoint: input.dynamodb.AWS_ENDPOINT_URL_DYNAMODB as string,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const logouts: number[] = [];
  const roundTrips: number[] = [];
  for (let i = 0; i < input.revocationSamples; i++) {
    const fresh = httpApiEvent({ authorization: [`Bearer ${await identity.mint("valid")}`] });
    logouts.push(await microsecondsPerCall(() => expectStatus(revoking, fresh, 200), 1));
    // The same conditional write, made directly: what one round trip costs.
    roundTrips.push(
      await microsecondsPerCall(
        () =>
          client.send("PutItem", {
            TableName: input.tableName,
            Item: { pk: { S: `direct#${i}` }, expiresAt: { N: "4102444800" } },
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        1,
      ),
    );
  }

  const us = (name: string) => median(samples.get(name) as number[]);
  return {
    bareVerifyUs: us("bare"),
    handlerUs: us("handler"),
    ratio: median(ratios),
    quietHandlerUs: us("quiet"),
    quietRatio: median(quietRatios),
    floorUs: us("floor"),
    floorRatio: median(floorRatios),
    writeAloneUs: us("write"),
    refusedUs: us("refused"),
    peerUs: us("peer"),
    logoutWithRevocationUs: median(logouts),
    dynamoDbRoundTripUs: median(roundTrips),
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
