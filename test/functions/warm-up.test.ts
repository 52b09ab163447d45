/**
 * The deployed entry points' warm-up: at cold start the issuer's keys are fetched and DynamoDB's
 * connection is opened, beside each other, and the first request uses both rather than making
 * them: one fetch of the keys and one connection in all. Without it, nothing happens until a
 * request comes. The bench measures what it saves (`npm run bench`: the cold request with the
 * network's latency).
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { authorizerHandlerFromEnvironment } from "../../functions/authorizer/authorizer-handler.js";
import { logoutHandlerFromEnvironment } from "../../functions/logout/logout-handler.js";
import { captureOutput } from "../support/captured-output.js";
import { type JwksServer, startJwksServer } from "../support/jwks-server.js";
import {
  createLocalIdentity,
  httpApiAuthorizerEvent,
  httpApiEvent,
  type LocalDynamoDb,
  lambdaContext,
  startLocalDynamoDb,
} from "../support/kit.js";

captureOutput();
const TABLE = "warm-up-revocations";
let dynamodb: LocalDynamoDb;
let keys: JwksServer;
let tcp: Server;
let connections = 0;
const identity = await createLocalIdentity();

beforeAll(async () => {
  dynamodb = await startLocalDynamoDb();
  await dynamodb.createRevocationTable(TABLE);
  keys = await startJwksServer();
  keys.answer(200, JSON.stringify(identity.jwks));
  // DynamoDB behind a counter of the connections made to it.
  const target = new URL(dynamodb.environment.AWS_ENDPOINT_URL_DYNAMODB as string);
  tcp = createServer((socket: Socket) => {
    connections++;
    const upstream = connect(Number(target.port), target.hostname);
    socket.pipe(upstream).pipe(socket);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  tcp.close();
  await keys.close();
  await dynamodb.stop();
});

const environment = () => {
  const { JWKS: _pinned, ...issuer } = identity.environment;
  return {
    ...dynamodb.environment,
    ...issuer,
    JWKS_URI: keys.uri,
    REVOCATION_TABLE_NAME: TABLE,
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(tcp.address() as { port: number }).port}`,
  };
};
const settled = async (done: () => boolean) => {
  for (let waited = 0; !done() && waited < 3000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

it.each([
  [
    "the logout",
    // A local logout reads and writes at once: two connections.
    2,
    async (warmUp: boolean) => {
      const handler = logoutHandlerFromEnvironment(environment(), { warmUp });
      return async () => {
        const token = await identity.mint("valid", { sub: `warm-${crypto.randomUUID()}` });
        const event = httpApiEvent({ headers: { authorization: `Bearer ${token}` } });
        return (await handler(event, lambdaContext())).statusCode === 200;
      };
    },
  ],
  [
    "the authorizer",
    1,
    async (warmUp: boolean) => {
      const handler = authorizerHandlerFromEnvironment(environment(), { warmUp });
      return async () => {
        const token = await identity.mint("valid", { sub: `warm-${crypto.randomUUID()}` });
        const event = httpApiAuthorizerEvent({
          method: "GET",
          path: "/core/v1/example/protected",
          headers: { Authorization: `Bearer ${token}` },
        });
        return (await handler(event, lambdaContext())).isAuthorized;
      };
    },
  ],
])(
  "%s fetches its keys and opens DynamoDB's %i connection(s) at cold start, once",
  async (_, opened, start) => {
    // Without the warm-up: nothing before the first request.
    const [fetchesBefore, connectionsBefore] = [keys.fetches(), connections];
    await start(false);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([keys.fetches(), connections]).toEqual([fetchesBefore, connectionsBefore]);

    const request = await start(true);
    await settled(
      () => keys.fetches() > fetchesBefore && connections >= connectionsBefore + opened,
    );
    expect([keys.fetches(), connections]).toEqual([fetchesBefore + 1, connectionsBefore + opened]);
    // The first request uses them: no second fetch, no new connection.
    expect(await request()).toBe(true);
    expect([keys.fetches(), connections]).toEqual([fetchesBefore + 1, connectionsBefore + opened]);
  },
);
