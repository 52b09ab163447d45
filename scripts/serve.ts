/**
 * `npm start`: serves the function on 127.0.0.1 at POST /core/v1/auth/logout, as API Gateway
 * would: each HTTP request becomes a real payload 2.0 event for the real handler, on the
 * embedded local environment. Prints a ready-to-paste curl line with a fresh token.
 */
import { randomUUID } from "node:crypto";
import { serve } from "@hono/node-server";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { Hono } from "hono";
import { lambdaContext } from "./lambda-context.js";
import { startLocalEnvironment } from "./local-environment.js";

const ROUTE = "/core/v1/auth/logout";
const port = Number(process.env.PORT ?? 3000);

const local = await startLocalEnvironment();
const { handler } = await import("../functions/logout/handler.js");

/** The mapping API Gateway's HTTP API does for payload format 2.0. */
async function toHttpApiEvent(request: Request, sourceIp: string): Promise<APIGatewayProxyEventV2> {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    // Repeated headers arrive joined with ", "; API Gateway joins them with ",".
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  });
  const cookies = request.headers.get("cookie")?.split(/;\s*/);
  delete headers.cookie;
  const body = await request.text();
  const now = new Date();
  return {
    version: "2.0",
    routeKey: `POST ${ROUTE}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(url.search
      ? { queryStringParameters: Object.fromEntries(url.searchParams.entries()) }
      : {}),
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: url.hostname,
      domainPrefix: url.hostname.split(".")[0] ?? url.hostname,
      http: {
        method: request.method,
        path: url.pathname,
        protocol: "HTTP/1.1",
        sourceIp,
        userAgent: request.headers.get("user-agent") ?? "",
      },
      requestId: randomUUID(),
      routeKey: `POST ${ROUTE}`,
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body ? { body } : {}),
    isBase64Encoded: false,
  };
}

const app = new Hono<{ Bindings: { incoming: { socket: { remoteAddress?: string } } } }>();
app.post(ROUTE, async (c) => {
  const event = await toHttpApiEvent(c.req.raw, c.env.incoming.socket.remoteAddress ?? "127.0.0.1");
  const response = await handler(event, lambdaContext());
  return new Response(response.body, { status: response.statusCode, headers: response.headers });
});
// API Gateway's own answer for a route it does not have.
app.all("*", (c) => c.json({ message: "Not Found" }, 404));

const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, async (info) => {
  const token = await local.identity.mint("valid");
  console.log(`Logout function listening on http://127.0.0.1:${info.port}${ROUTE}`);
  console.log("Try it with a fresh token (valid for one hour):\n");
  console.log(
    `curl -i -X POST http://127.0.0.1:${info.port}${ROUTE} -H 'Authorization: Bearer ${token}'\n`,
  );
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    server.close();
    void local.stop().then(() => process.exit(0));
  });
}
