/**
 * `npm start [-- --fresh]`: serves the functions on 127.0.0.1 as API Gateway would, on the
 * embedded local environment: POST /core/v1/auth/logout runs the logout handler on a payload
 * 2.0 event, and GET /core/v1/example/protected runs the real authorizer first, answering as
 * API Gateway does for its decision (and saying its reason on this screen). Prints short curl
 * lines that tell the whole story: allowed, logout, refused, and the revocation's event that
 * other systems would receive. Revocations are kept in `.local/dynamodb` between runs;
 * `--fresh` starts from none.
 */
import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import type { DynamoDBRecord } from "aws-lambda";
import { Hono } from "hono";
import { decide } from "../functions/authorizer/authorizer.js";
import { authorizerHandlerFor } from "../functions/authorizer/authorizer-handler.js";
import { bearerCheckFromEnvironment } from "../functions/bearer-check.js";
import { ConfigurationError } from "../functions/domain/errors.js";
import { headerValues } from "../functions/http/api-gateway-event.js";
import { logoutHandlerFromEnvironment } from "../functions/logout/logout-handler.js";
import { providerHandlerFromEnvironment } from "../functions/provider/provider-handler.js";
import {
  type HttpRequestShape,
  httpApiAuthorizerEvent,
  httpApiEvent,
} from "./api-gateway-events.js";
import { lambdaContext } from "./lambda-context.js";
import { LocalTableUnavailableError, startLocalEnvironment } from "./local-environment.js";
import { printingPublisher } from "./local-event-bus.js";
import { refuse } from "./refuse.js";

const LOGOUT_ROUTE = "/core/v1/auth/logout";
const PROTECTED_ROUTE = "/core/v1/example/protected";
const BACKCHANNEL_ROUTE = "/core/v1/auth/backchannel-logout";
const USAGE = "usage: npm start [-- --fresh]   (PORT=3001 npm start to move it)";

let fresh = false;
try {
  const { values } = parseArgs({
    options: { fresh: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  fresh = values.fresh === true;
} catch (error) {
  refuse((error as Error).message, USAGE);
}
const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  refuse(
    `PORT must be a whole number from 1 to 65535, not "${process.env.PORT}": PORT=3001 npm start`,
  );
}

// Each revocation's event, printed where a deployment would put it on the stage's bus. The
// publisher is made once the environment (the table's endpoint) is set.
let publishEvent: ((record: DynamoDBRecord) => void) | undefined;
const local = await startLocalEnvironment({
  persist: true,
  fresh,
  onTableChange: (record) => publishEvent?.(record),
}).catch((error: Error) =>
  error instanceof LocalTableUnavailableError ? refuse(error.message) : Promise.reject(error),
);
publishEvent = printingPublisher((line) => console.log(line));
let handlers: {
  logout: ReturnType<typeof logoutHandlerFromEnvironment>;
  /** The identity provider's sign-outs: the back-channel logout of the issuer in use. */
  provider: ReturnType<typeof providerHandlerFromEnvironment>;
  authorizer: ReturnType<typeof authorizerHandlerFor>;
  /** The authorizer's own verifier and store, which the screen's reasons are read with too. */
  check: ReturnType<typeof bearerCheckFromEnvironment>;
};
try {
  const check = bearerCheckFromEnvironment(process.env);
  handlers = {
    // Cognito's own sign-out needs the pool's account: on only where the user says so.
    logout: logoutHandlerFromEnvironment(process.env, {
      signOutUpstream: process.env.LOCAL_COGNITO_SIGN_OUT === "on",
    }),
    provider: providerHandlerFromEnvironment(process.env),
    authorizer: authorizerHandlerFor(check),
    check,
  };
} catch (error) {
  await local.stop();
  if (error instanceof ConfigurationError) refuse(error.message);
  throw error;
}

async function requestShape(request: Request, sourceIp: string): Promise<HttpRequestShape> {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  // Repeated headers arrive joined with ", "; API Gateway joins them with ",".
  request.headers.forEach((value, name) => {
    headers[name] = value.split(/,\s*/).join(",");
  });
  return {
    method: request.method,
    path: url.pathname,
    query: url.search.slice(1),
    headers,
    body: await request.text(),
    sourceIp,
  };
}

type Bindings = { Bindings: { incoming: { socket: { remoteAddress?: string } } } };
const app = new Hono<Bindings>();
const sourceIp = (c: { env: Bindings["Bindings"] }) =>
  c.env.incoming.socket.remoteAddress ?? "127.0.0.1";

app.post(LOGOUT_ROUTE, async (c) => {
  const event = httpApiEvent(await requestShape(c.req.raw, sourceIp(c)));
  const response = await handlers.logout(event, lambdaContext());
  return new Response(response.body, { status: response.statusCode, headers: response.headers });
});

// The issuer's back-channel logout: it POSTs a logout token when a user signs out there.
app.post(BACKCHANNEL_ROUTE, async (c) => {
  const event = httpApiEvent(await requestShape(c.req.raw, sourceIp(c)));
  const response = await handlers.provider(event, lambdaContext());
  return new Response(response?.body || null, {
    status: response?.statusCode ?? 500,
    headers: response?.headers ?? {},
  });
});

/** The authorizer's reason, which API Gateway's bare body leaves out, for this screen only. */
async function reasonFor(authorization: readonly string[]): Promise<string> {
  try {
    const decision = await decide(authorization, handlers.check);
    return decision.isAuthorized ? "allowed" : decision.problem.reason;
  } catch {
    return "undecided";
  }
}

// A route of the API protected by the authorizer, answered as API Gateway answers each decision.
app.get(PROTECTED_ROUTE, async (c) => {
  const request = await requestShape(c.req.raw, sourceIp(c));
  // The identity source is missing: API Gateway refuses without calling the authorizer.
  if (c.req.header("authorization") === undefined) return c.json({ message: "Unauthorized" }, 401);
  const event = httpApiAuthorizerEvent(request);
  let decision: Awaited<ReturnType<typeof handlers.authorizer>>;
  try {
    decision = await handlers.authorizer(event, lambdaContext());
  } catch {
    console.log(`500 GET ${PROTECTED_ROUTE}: the authorizer could not decide (see its log line)`);
    return c.json({ message: "Internal Server Error" }, 500);
  }
  if (!decision.isAuthorized) {
    const reason = await reasonFor(headerValues(event.headers, "authorization"));
    console.log(`403 GET ${PROTECTED_ROUTE}: the authorizer denied it: ${reason}`);
    return c.json({ message: "Forbidden" }, 403);
  }
  // What the backend integration sees at event.requestContext.authorizer.lambda.
  return c.json({
    message: "Hello from a protected route",
    authorizer: { lambda: decision.context },
  });
});
// API Gateway's own answer for a route it does not have.
app.all("*", (c) => c.json({ message: "Not Found" }, 404));

const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, async (info) => {
  const base = `http://127.0.0.1:${info.port}/core`;
  console.log(`Logout:          POST ${base}/v1/auth/logout`);
  console.log(`Protected route: GET  ${base}/v1/example/protected (behind the authorizer)`);
  console.log(`Back-channel:    POST ${base}/v1/auth/backchannel-logout (the issuer's sign-outs)`);
  console.log(`Revocations kept in .local/dynamodb (npm start -- --fresh forgets them)`);
  console.log(
    `Each revocation's event (CAEP session-revoked) is printed here, as the bus gets it\n`,
  );
  const token = local.identity
    ? await local.identity.mint("valid")
    : `<a token of ${local.issuer}>`;
  console.log(
    local.identity
      ? "Try it with a fresh token (valid for one hour): the route, the logout, the route again.\n"
      : `Verifying tokens of ${local.issuer} with its own keys; paste one of its tokens.\n`,
  );
  console.log(`TOKEN=${token}`);
  console.log(`curl -i ${base}/v1/example/protected -H "Authorization: Bearer $TOKEN"`);
  console.log(`curl -i -X POST ${base}/v1/auth/logout -H "Authorization: Bearer $TOKEN"`);
  console.log(`curl -i ${base}/v1/example/protected -H "Authorization: Bearer $TOKEN"\n`);
  if (local.identity) {
    console.log(
      "Or the identity provider signs the user out, and the route refuses the token:\n" +
        "TOKEN=$(npm run -s token -- --sub alice --session s1)\n" +
        `curl -i -X POST ${base}/v1/auth/backchannel-logout --data-urlencode "logout_token=$(npm run -s token -- --kind logout --sub alice --session s1)"\n` +
        `curl -i ${base}/v1/example/protected -H "Authorization: Bearer $TOKEN"\n`,
    );
  }
  console.log(
    "More tokens: npm run -s token -- --sub alice --session s1   (then ?scope=global|others)",
  );
});

server.on("error", (error: NodeJS.ErrnoException) => {
  void local
    .stop()
    .then(() =>
      refuse(
        error.code === "EADDRINUSE"
          ? `Port ${port} is in use: start on another with PORT=${port + 1} npm start`
          : `Cannot listen on 127.0.0.1:${port}: ${error.message.split("\n")[0]}`,
      ),
    );
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    server.close();
    void local.stop().then(() => process.exit(0));
  });
}
