/**
 * A small DynamoDB client: the JSON protocol over Node's own `http`/`https` with a keep-alive
 * agent, signed with SigV4 (`sigv4.ts`) from the Lambda's own credentials. Chosen over the AWS
 * SDK and over `fetch`-based signers for the cold start (the README's performance section has
 * the figures: on Node, the first `fetch` alone costs more than this whole client). It keeps
 * what this function needs of the SDK: the standard endpoint override, bounded retries with
 * jittered backoff, a timeout per attempt and typed errors.
 */
import type { Environment } from "../config/config.js";
import { sdkClientSettings } from "../config/sdk-client-settings.js";
import { type DynamoDbWaits, dynamoDbCallMs, WAIT_BUDGETS } from "../config/wait-budgets.js";
import { sleep } from "../domain/clock.js";
import { ConfigurationError } from "../domain/errors.js";
import { createSigner, signablePath } from "./sigv4.js";

// Taken as the module itself, not imported: on Node.js 24 an ES import of node:http builds its
// whole namespace, whose lazy getters load undici, ~45 ms of every cold start (bench/README.md).
// `process.getBuiltinModule`, not `createRequire(import.meta.url)`: a CommonJS bundle (CDK's
// default) has no `import.meta`, and the import failed there.
const http = process.getBuiltinModule("node:http");
const https = process.getBuiltinModule("node:https");

export class DynamoDbError extends Error {
  constructor(
    /** DynamoDB's error type (`ConditionalCheckFailedException`), or `NetworkError`/`Timeout`. */
    readonly type: string,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(`${type}: ${message}`, options);
    this.name = "DynamoDbError";
  }
}

export interface SendOptions {
  /**
   * Epoch ms past which no attempt starts and none runs on: several calls of one read share
   * one budget (a BatchGetItem, then its unprocessed keys).
   */
  deadline?: number;
}

export interface DynamoDbClient {
  send<Output = Record<string, unknown>>(
    operation: string,
    input: object,
    options?: SendOptions,
  ): Promise<Output>;
  /** The most one call may take, its retries included: the budget of a read as a whole. */
  readonly callBudgetMs: number;
  /**
   * Opens `connections` connections now (DNS, TCP, TLS) and leaves them in the keep-alive pool,
   * for the first calls to use: unsigned `GET /`s, which DynamoDB answers without reading
   * anything. A call made meanwhile waits for them rather than open more; failing changes
   * nothing: a call then connects as it would have.
   */
  warm?(connections: number): void;
}

export interface DynamoDbClientOptions {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined };
  waits?: DynamoDbWaits;
}

/** DynamoDB's throttling: a hot partition, which more tries at once only make hotter. */
const THROTTLED = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
]);
/** A throttled call is tried this often in all: once again, after a backoff, then given up. */
const THROTTLED_ATTEMPTS = 2;

// Worth another try: DynamoDB says so (throttling, its own faults), or the request never landed.
const RETRYABLE = new Set([
  ...THROTTLED,
  "InternalServerError",
  "ServiceUnavailable",
  "LimitExceededException",
  "NetworkError",
  "Timeout",
]);

export function createDynamoDbClient({
  endpoint,
  region,
  credentials,
  waits = WAIT_BUDGETS.dynamoDb,
}: DynamoDbClientOptions): DynamoDbClient {
  const { attempts: maxAttempts, attemptMs: attemptTimeoutMs, baseDelayMs } = waits;
  const url = new URL(endpoint);
  const path = url.pathname || "/";
  if (!signablePath(path)) {
    throw new ConfigurationError(
      "AWS_ENDPOINT_URL_DYNAMODB",
      "must have a plain path (letters, digits, - . _ ~ /)",
    );
  }
  const sign = createSigner("dynamodb", region, credentials);
  const transport = url.protocol === "http:" ? http : https;
  // One connection reused across invocations: no new TLS handshake per logout.
  const agent = new transport.Agent({ keepAlive: true, maxSockets: 50 });

  function post(
    operation: string,
    body: string,
    timeoutMs: number,
  ): Promise<{ status: number; text: string }> {
    const { headers } = sign({
      host: url.host,
      path,
      headers: {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": `DynamoDB_20120810.${operation}`,
      },
      body,
    });
    return new Promise((resolve, reject) => {
      const outgoing = transport.request(
        {
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port,
          path,
          method: "POST",
          headers,
          agent,
          signal: AbortSignal.timeout(timeoutMs),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () =>
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          );
        },
      );
      outgoing.on("error", reject);
      outgoing.end(body);
    });
  }

  async function attempt(operation: string, body: string, timeoutMs: number): Promise<unknown> {
    let response: { status: number; text: string };
    try {
      response = await post(operation, body, timeoutMs);
    } catch (error) {
      const timedOut = (error as Error).name === "AbortError";
      throw new DynamoDbError(
        timedOut ? "Timeout" : "NetworkError",
        timedOut ? `no answer within ${timeoutMs} ms` : "could not reach DynamoDB",
        true,
        { cause: error },
      );
    }
    const { status, text } = response;
    if (status >= 200 && status < 300) return text ? JSON.parse(text) : {};
    let type = `HTTP${status}`;
    let message = text.slice(0, 200);
    try {
      const parsed = JSON.parse(text) as { __type?: string; message?: string; Message?: string };
      type = parsed.__type?.split("#").pop() ?? type;
      message = parsed.message ?? parsed.Message ?? message;
    } catch {
      // Not JSON (a proxy's page): keep the status as the type.
    }
    throw new DynamoDbError(type, message, RETRYABLE.has(type) || status >= 500);
  }

  /**
   * One unsigned `GET /`: a connection made, its answer drained, the socket kept. Settles once
   * the socket is back in the pool (the agent frees it a tick after the answer ends).
   */
  function openOne(): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    const settle = () => setImmediate(resolve);
    const request = transport.request(
      {
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port,
        path,
        method: "GET",
        agent,
        signal: AbortSignal.timeout(attemptTimeoutMs),
      },
      (response) => response.on("end", settle).on("error", settle).resume(),
    );
    request.on("error", settle);
    request.end();
    return promise;
  }
  // The warm-up under way: a first call waits for its connections rather than open more beside.
  let warming: Promise<unknown> | undefined;

  const callBudgetMs = dynamoDbCallMs(waits);
  const outOfTime = () => new DynamoDbError("Timeout", "the call's budget ran out", false);

  return {
    callBudgetMs,
    warm(connections) {
      warming = Promise.all(Array.from({ length: connections }, openOne)).then(() => {
        warming = undefined;
      });
    },
    async send<Output>(
      operation: string,
      input: object,
      { deadline = Date.now() + callBudgetMs }: SendOptions = {},
    ): Promise<Output> {
      const body = JSON.stringify(input);
      if (warming !== undefined) await warming;
      for (let attemptNumber = 1; ; attemptNumber++) {
        const left = deadline - Date.now();
        if (left <= 0) throw outOfTime();
        try {
          return (await attempt(operation, body, Math.min(attemptTimeoutMs, left))) as Output;
        } catch (error) {
          if (!(error instanceof DynamoDbError) || !error.retryable) throw error;
          const attempts = THROTTLED.has(error.type) ? THROTTLED_ATTEMPTS : maxAttempts;
          if (attemptNumber >= attempts) throw error;
          // Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter").
          const backoff = Math.random() * baseDelayMs * 2 ** attemptNumber;
          if (Date.now() + backoff >= deadline) throw error;
          await sleep(backoff);
        }
      }
    },
  };
}

/** AWS's own endpoint of DynamoDB in `region`, where the environment overrides none. */
export const dynamoDbEndpoint = (region: string, override?: string): string =>
  override ?? `https://dynamodb.${region}.amazonaws.com`;

/**
 * The client Lambda's environment describes (read as every AWS client of the functions reads it,
 * `sdkClientSettings`): its region, credentials and endpoint override. Lambda always sets them;
 * where one is missing the cold start fails naming it, rather than sign with empty credentials
 * or talk to a region nobody chose.
 */
export function dynamoDbClientFromEnvironment(
  env: Environment,
  waits: DynamoDbWaits = WAIT_BUDGETS.dynamoDb,
): DynamoDbClient {
  const { region, endpoint, credentials } = sdkClientSettings(env, "AWS_ENDPOINT_URL_DYNAMODB");
  const missing = (name: string) =>
    new ConfigurationError(name, "is required to reach DynamoDB (Lambda sets it)");
  if (region === undefined) throw missing("AWS_REGION");
  if (credentials === undefined) {
    throw missing(env.AWS_ACCESS_KEY_ID ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
  }
  return createDynamoDbClient({
    endpoint: dynamoDbEndpoint(region, endpoint),
    region,
    credentials,
    waits,
  });
}
