/**
 * A small DynamoDB client: the JSON protocol over `fetch`, signed with SigV4 by aws4fetch from
 * the Lambda's own credentials. Chosen over the AWS SDK for its cold start (see the README's
 * performance section). It keeps what this function needs of the SDK: the standard endpoint
 * override, bounded retries with jittered backoff, a timeout per attempt and typed errors.
 */
import { AwsClient } from "aws4fetch";

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

export interface DynamoDbClient {
  send<Output = Record<string, unknown>>(operation: string, input: object): Promise<Output>;
}

export interface DynamoDbClientOptions {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined };
  /** Attempts in all, the first included. */
  maxAttempts?: number;
  attemptTimeoutMs?: number;
  baseDelayMs?: number;
}

// Worth another try: DynamoDB says so (throttling, its own faults), or the request never landed.
const RETRYABLE = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "InternalServerError",
  "ServiceUnavailable",
  "LimitExceededException",
  "NetworkError",
  "Timeout",
]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createDynamoDbClient({
  endpoint,
  region,
  credentials,
  maxAttempts = 3,
  attemptTimeoutMs = 1000,
  baseDelayMs = 25,
}: DynamoDbClientOptions): DynamoDbClient {
  // aws4fetch's own retries only cover 5xx; DynamoDB throttles with a 400, so retry here.
  const { accessKeyId, secretAccessKey, sessionToken } = credentials;
  const aws = new AwsClient({
    accessKeyId,
    secretAccessKey,
    ...(sessionToken ? { sessionToken } : {}),
    service: "dynamodb",
    region,
    retries: 0,
  });
  const url = endpoint.endsWith("/") ? endpoint : `${endpoint}/`;

  async function attempt(operation: string, body: string): Promise<unknown> {
    let response: Response;
    try {
      response = await aws.fetch(url, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.0",
          "X-Amz-Target": `DynamoDB_20120810.${operation}`,
        },
        body,
        signal: AbortSignal.timeout(attemptTimeoutMs),
      });
    } catch (error) {
      const timedOut = (error as Error).name === "TimeoutError";
      throw new DynamoDbError(
        timedOut ? "Timeout" : "NetworkError",
        timedOut ? `no answer within ${attemptTimeoutMs} ms` : "could not reach DynamoDB",
        true,
        { cause: error },
      );
    }
    const text = await response.text();
    if (response.ok) return text ? JSON.parse(text) : {};
    let type = `HTTP${response.status}`;
    let message = text.slice(0, 200);
    try {
      const parsed = JSON.parse(text) as { __type?: string; message?: string; Message?: string };
      type = parsed.__type?.split("#").pop() ?? type;
      message = parsed.message ?? parsed.Message ?? message;
    } catch {
      // Not JSON (a proxy's page): keep the status as the type.
    }
    throw new DynamoDbError(type, message, RETRYABLE.has(type) || response.status >= 500);
  }

  return {
    async send<Output>(operation: string, input: object): Promise<Output> {
      const body = JSON.stringify(input);
      for (let attemptNumber = 1; ; attemptNumber++) {
        try {
          return (await attempt(operation, body)) as Output;
        } catch (error) {
          if (!(error instanceof DynamoDbError) || !error.retryable) throw error;
          if (attemptNumber >= maxAttempts) throw error;
          // Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter").
          await sleep(Math.random() * baseDelayMs * 2 ** attemptNumber);
        }
      }
    },
  };
}

type Environment = Readonly<Record<string, string | undefined>>;

/** The client Lambda's environment describes: its region, credentials and endpoint override. */
export function dynamoDbClientFromEnvironment(env: Environment): DynamoDbClient {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  return createDynamoDbClient({
    // The SDKs' standard service-specific endpoint variable, then the global one.
    endpoint:
      env.AWS_ENDPOINT_URL_DYNAMODB ??
      env.AWS_ENDPOINT_URL ??
      `https://dynamodb.${region}.amazonaws.com`,
    region,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? "",
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "",
      sessionToken: env.AWS_SESSION_TOKEN,
    },
  });
}
