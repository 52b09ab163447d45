/**
 * A forwarding HTTP proxy in front of dynalite that records each DynamoDB operation and can
 * answer some of them the way DynamoDB throttles (HTTP 400, ThrottlingException), lose the
 * answer of a request that reached the server, as a network would, or rewrite a real answer
 * (an answer that does not hold what was asked). The throttle and the rewrites are stand-ins:
 * dynalite does neither; everything else reaches the real server.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface DynamoDbProxy {
  endpoint: string;
  /** The operations received, in order (`PutItem`, `GetItem`, …). */
  operations: string[];
  /** The most requests it has held at once since the last `resetPeak()`. */
  peakInFlight(): number;
  resetPeak(): void;
  /** Answer the next `count` requests of `operation` with a throttling error. */
  throttle(operation: string, count: number): void;
  /** Answer the next `count` requests of `operation` with DynamoDB's error `type` (HTTP 400). */
  refuse(operation: string, count: number, type: string): void;
  /** Forward the next `count` requests of `operation`, then drop the connection unanswered. */
  loseAnswers(operation: string, count: number): void;
  /** Forward the requests of `operation` until `undefined` is given, answering 200 with `rewrite(real answer)`. */
  rewrite(operation: string, rewrite: ((answer: unknown) => string) | undefined): void;
  /** The body of every request received, in order, parsed. */
  requests: { operation: string; body: Record<string, unknown> }[];
  stop(): Promise<void>;
}

export async function startDynamoDbProxy(target: string): Promise<DynamoDbProxy> {
  const operations: string[] = [];
  const requests: DynamoDbProxy["requests"] = [];
  const rewrites = new Map<string, (answer: unknown) => string>();
  const throttles = new Map<string, number>();
  const refusals = new Map<string, { count: number; type: string }>();
  const lostAnswers = new Map<string, number>();
  let inFlight = 0;
  let peak = 0;
  const take = (counts: Map<string, number>, operation: string) => {
    const left = counts.get(operation) ?? 0;
    if (left > 0) counts.set(operation, left - 1);
    return left > 0;
  };
  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const operation = String(request.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
    operations.push(operation);
    requests.push({ operation, body: JSON.parse(Buffer.concat(chunks).toString() || "{}") });
    inFlight++;
    peak = Math.max(peak, inFlight);
    response.on("close", () => inFlight--);
    const refusal = refusals.get(operation);
    if (refusal !== undefined && refusal.count > 0) {
      refusal.count--;
      response.writeHead(400, { "Content-Type": "application/x-amz-json-1.0" });
      response.end(
        JSON.stringify({
          __type: `com.amazonaws.dynamodb.v20120810#${refusal.type}`,
          message: "refused by the test",
        }),
      );
      return;
    }
    if (take(throttles, operation)) {
      response.writeHead(400, { "Content-Type": "application/x-amz-json-1.0" });
      response.end(
        JSON.stringify({
          __type: "com.amazonaws.dynamodb.v20120810#ThrottlingException",
          message: "Rate of requests exceeds the allowed throughput.",
        }),
      );
      return;
    }
    try {
      const upstream = await fetch(target, {
        method: "POST",
        headers: request.headers as Record<string, string>,
        body: Buffer.concat(chunks),
      });
      if (take(lostAnswers, operation)) {
        response.socket?.destroy();
        return;
      }
      const rewrite = rewrites.get(operation);
      if (rewrite !== undefined) {
        response.writeHead(200, { "Content-Type": "application/x-amz-json-1.0" });
        response.end(rewrite(JSON.parse(await upstream.text())));
        return;
      }
      response.writeHead(upstream.status, { "Content-Type": "application/x-amz-json-1.0" });
      response.end(Buffer.from(await upstream.arrayBuffer()));
    } catch {
      // The real endpoint is gone: drop the connection, as a dead endpoint would.
      response.socket?.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    operations,
    requests,
    rewrite: (operation, rewrite) => {
      if (rewrite === undefined) rewrites.delete(operation);
      else rewrites.set(operation, rewrite);
    },
    peakInFlight: () => peak,
    resetPeak: () => {
      peak = inFlight;
    },
    throttle: (operation, count) => throttles.set(operation, count),
    refuse: (operation, count, type) => refusals.set(operation, { count, type }),
    loseAnswers: (operation, count) => lostAnswers.set(operation, count),
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
