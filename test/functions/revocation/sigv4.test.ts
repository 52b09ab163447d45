/**
 * The hand-written SigV4 signer against `aws4`, the library it replaced (kept as a dev
 * dependency for this): the same headers and signature for random requests of the shape the
 * DynamoDB client sends, credentials with and without a session token, any date.
 */
import aws4 from "aws4";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSigner, signablePath } from "../../../functions/revocation/sigv4.js";

const text = (min: number) => fc.string({ minLength: min, maxLength: 40, unit: "grapheme" });
const request = fc.record({
  host: fc.constantFrom("dynamodb.sa-east-1.amazonaws.com", "127.0.0.1:8000", "localhost:4566"),
  path: fc.constantFrom("/", "/dynamodb", "/a-b_c.d~e/"),
  region: fc.constantFrom("sa-east-1", "us-east-1", "eu-central-1"),
  operation: fc.constantFrom("BatchGetItem", "PutItem", "Scan"),
  // The client always sends a JSON body: never an empty one, which aws4 signs without a length.
  body: fc.oneof(fc.json(), text(1)),
  accessKeyId: fc.stringMatching(/^[A-Z0-9]{16,20}$/),
  secretAccessKey: text(1),
  sessionToken: fc.option(text(1), { nil: undefined }),
  // A header value with runs of spaces: both must fold them alike.
  target: fc.constantFrom("DynamoDB_20120810", "DynamoDB_20120810  x"),
  at: fc.date({ min: new Date("2000-01-01"), max: new Date("2099-12-31"), noInvalidDate: true }),
});

describe("SigV4", () => {
  it("signs as aws4 does", () => {
    fc.assert(
      fc.property(request, (r) => {
        const credentials = {
          accessKeyId: r.accessKeyId,
          secretAccessKey: r.secretAccessKey,
          ...(r.sessionToken === undefined ? {} : { sessionToken: r.sessionToken }),
        };
        const headers = {
          "Content-Type": "application/x-amz-json-1.0",
          "X-Amz-Target": `${r.target}.${r.operation}`,
        };
        const ours = createSigner(
          "dynamodb",
          r.region,
          credentials,
        )({ host: r.host, path: r.path, headers, body: r.body }, r.at).headers;
        const theirs = aws4.sign(
          {
            host: r.host,
            path: r.path,
            method: "POST",
            service: "dynamodb",
            region: r.region,
            headers: { ...headers, "X-Amz-Date": ours["X-Amz-Date"] as string },
            body: r.body,
          },
          credentials,
        ).headers as Record<string, string | number>;
        expect(ours.Authorization).toBe(theirs.Authorization);
        expect(ours["X-Amz-Security-Token"]).toBe(theirs["X-Amz-Security-Token"]);
        expect(Number(ours["Content-Length"])).toBe(Number(theirs["Content-Length"]));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a path it would have to encode, rather than sign it wrong", () => {
    for (const path of ["/a b", "/ü", "/a?b", "", "a"]) expect(signablePath(path)).toBe(false);
    const sign = createSigner("dynamodb", "sa-east-1", { accessKeyId: "A", secretAccessKey: "s" });
    expect(() => sign({ host: "h", path: "/a b", headers: {}, body: "" })).toThrow(/cannot sign/);
  });
});
