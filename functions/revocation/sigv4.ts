/**
 * AWS Signature Version 4 for the one request shape the DynamoDB client sends: a POST of JSON to
 * the endpoint's path, no query string (AWS General Reference, "Create a signed AWS API
 * request"). Written here rather than taken from `aws4`, which is CommonJS and `require`s
 * `url`, `querystring` and `crypto` at load: an ES module bundle (esbuild's `format: esm`, as a
 * consumer's `NodejsFunction` may build it) cannot load it without a `createRequire` banner.
 * The tests hold it to `aws4`'s signatures over random requests.
 */
const crypto = process.getBuiltinModule("node:crypto");

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface SignedRequest {
  /** What to send: the request's own headers, `Host`, the date, the token and the signature. */
  headers: Record<string, string>;
}

/** Path characters that encode to themselves, once or twice: the only ones a path may hold. */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~/]*$/;

const sha256 = (data: string) => crypto.createHash("sha256").update(data, "utf8").digest("hex");
const hmac = (key: Buffer | string, data: string) =>
  crypto.createHmac("sha256", key).update(data, "utf8").digest();

/** Whether `path` can be signed as it is (DynamoDB's is `/`; an emulator's may be longer). */
export const signablePath = (path: string) => PLAIN_PATH.test(path);

export function createSigner(service: string, region: string, credentials: SigningCredentials) {
  // The signing key changes once a day: derived once per date, not per request.
  let cached: { date: string; key: Buffer } | undefined;
  const signingKey = (date: string) => {
    if (cached?.date !== date) {
      const dated = hmac(`AWS4${credentials.secretAccessKey}`, date);
      cached = { date, key: hmac(hmac(hmac(dated, region), service), "aws4_request") };
    }
    return cached.key;
  };

  return function sign(
    {
      host,
      path,
      headers,
      body,
    }: { host: string; path: string; headers: Record<string, string>; body: string },
    now = new Date(),
  ): SignedRequest {
    if (!signablePath(path)) throw new Error(`cannot sign the path ${JSON.stringify(path)}`);
    const amzDate = now.toISOString().replace(/[:-]|\.\d{3}/g, "");
    const date = amzDate.slice(0, 8);
    const all: Record<string, string> = {
      ...headers,
      Host: host,
      "Content-Length": String(Buffer.byteLength(body)),
      "X-Amz-Date": amzDate,
      ...(credentials.sessionToken ? { "X-Amz-Security-Token": credentials.sessionToken } : {}),
    };
    const canonical = Object.entries(all)
      .map(([name, value]) => [name.toLowerCase(), value.trim().replace(/\s+/g, " ")] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const signedHeaders = canonical.map(([name]) => name).join(";");
    const request = [
      "POST",
      path,
      "",
      ...canonical.map(([name, value]) => `${name}:${value}`),
      "",
      signedHeaders,
      sha256(body),
    ].join("\n");
    const scope = `${date}/${region}/${service}/aws4_request`;
    const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(request)].join("\n");
    const signature = hmac(signingKey(date), toSign).toString("hex");
    return {
      headers: {
        ...all,
        Authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
      },
    };
  };
}
