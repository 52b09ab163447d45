/**
 * `npm start`: serves the functions on 127.0.0.1 as API Gateway would, on the embedded local
 * environment: POST /core/v1/auth/logout runs the logout handler on a payload 2.0 event, and
 * GET /core/v1/example/protected runs the real authorizer first, answering as API Gateway does
 * for its decision. Prints curl lines that tell the whole story: allowed, logout, refused.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import {
  type HttpRequestShape,
  httpApiAuthorizerEvent,
  httpApiEvent,
} from "./api-gateway-events.js";
import { lambdaContext } from "./lambda-context.js";
import { startLocalEnvironment } from "./local-environment.js";

const LOGOUT_ROUTE = "/core/v1/auth/logout";
const PROTECTED_ROUTE = "/core/v1/example/protected";
const port = Number(process.env.PORT ?? 3000);

const local = await startLocalEnvironment();
// The handlers read their configuration at import: import them once the environment is set.
const { handler: logout } = await import("../functions/logout/handler.js");
const { handler: authorizer } = await import("../functions/authorizer/handler.js");

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
  const response = await logout(event, lambdaContext());
  return new Response(response.body, { status: response.statusCode, headers: response.headers });
});

// A route of the API protected by the authorizer, answered as API Gateway answers each decision.
app.get(PROTECTED_ROUTE, async (c) => {
  const request = await requestShape(c.req.raw, sourceIp(c));
  // The identity source is missing: API Gateway refuses without calling the authorizer.
  if (c.req.header("authorization") === undefined) return c.json({ message: "Unauthorized" }, 401);
  let decision: Awaited<ReturnType<typeof authorizer>>;
  try {
    decision = await authorizer(httpApiAuthorizerEvent(request), lambdaContext());
  } catch {
    return c.json({ message: "Internal Server Error" }, 500);
  }
  if (!decision.isAuthorized) return c.json({ message: "Forbidden" }, 403);
  // What the backend integration sees at event.requestContext.authorizer.lambda.
  return c.json({
    message: "Hello from a protected route",
    authorizer: { lambda: decision.context },
  });
});
// API Gateway's own answer for a route it does not have.
app.all("*", (c) => c.json({ message: "Not Found" }, 404));

const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, async (info) => {
  const base = `http://127.0.0.1:${info.port}`;
  const bearer = `-H 'Authorization: Bearer ${await local.identity.mint("valid")}'`;
  console.log(`Logout:          POST ${base}${LOGOUT_ROUTE}`);
  console.log(`Protected route: GET  ${base}${PROTECTED_ROUTE} (behind the authorizer)\n`);
  console.log(
    "Try it with a fresh token (valid for one hour): the route, the logout, the route again.\n",
  );
  console.log(`curl -i ${base}${PROTECTED_ROUTE} ${bearer}`);
  console.log(`curl -i -X POST ${base}${LOGOUT_ROUTE} ${bearer}`);
  console.log(`curl -i ${base}${PROTECTED_ROUTE} ${bearer}\n`);
  console.log(
    "More tokens: npm run token -- --sub alice --session s1   (then ?scope=global|others)",
  );
});

server.on("error", (error: NodeJS.ErrnoException) => {
  console.error(
    error.code === "EADDRINUSE"
      ? `Port ${port} is in use: start on another with PORT=${port + 1} npm start`
      : `Cannot listen on 127.0.0.1:${port}: ${error.message}`,
  );
  void local.stop().then(() => process.exit(1));
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    server.close();
    void local.stop().then(() => process.exit(0));
  });
}
