/**
 * A stand-in for an AWS JSON-protocol endpoint (Cognito, Secrets Manager) on 127.0.0.1, for the
 * calls cognito-local does not implement: it records every request exactly (target, headers,
 * body) and answers from a script. The real AWS SDK talks to it, through the standard
 * AWS_ENDPOINT_URL_<SERVICE> variables.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  target: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** What it was answered; undefined: the default `{}`. */
  answer?: Answer | undefined;
}

/** `delayMs`: answer only after that long, as an endpoint that hangs would. */
export type Answer = { status: number; body: Record<string, unknown>; delayMs?: number };
/** An answer, or one made from the request's body (a PutEvents answer names each entry). */
export type Script = Answer | ((body: Record<string, unknown>) => Answer);

export interface AwsJsonStandIn {
  endpoint: string;
  requests: RecordedRequest[];
  /** The answer for an operation (`GlobalSignOut`); unscripted operations answer `{}`. */
  answer(operation: string, ...answers: Script[]): void;
  stop(): Promise<void>;
}

export async function startAwsJsonStandIn(): Promise<AwsJsonStandIn> {
  const requests: RecordedRequest[] = [];
  const scripts = new Map<string, Script[]>();
  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers["x-amz-target"] ?? "");
    const body = JSON.parse(Buffer.concat(chunks).toString() || "{}");
    const operation = target.split(".").pop() ?? "";
    const queue = scripts.get(operation) ?? [];
    const script = queue.length > 1 ? queue.shift() : queue[0];
    const next = typeof script === "function" ? script(body) : script;
    requests.push({ target, headers: request.headers, body, answer: next });
    if (next?.delayMs) await new Promise((resolve) => setTimeout(resolve, next.delayMs));
    if (response.destroyed) return;
    response.writeHead(next?.status ?? 200, { "Content-Type": "application/x-amz-json-1.1" });
    response.end(JSON.stringify(next?.body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    answer: (operation, ...answers) => scripts.set(operation, answers),
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
