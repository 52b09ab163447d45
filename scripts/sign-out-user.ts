/**
 * `npm run sign-out-user -- --stage sandbox (--sub ID | --username NAME) --reason "WHY"`:
 * the operator's sign-out of a user, for incident response. It finds the stage's function URL
 * (SSM `/rinne/<stage>/auth/operator-sign-out-url`, or `--url`), signs the call with your AWS
 * credentials (the SDK's usual chain: env, profile, SSO), and prints the answer. Who you are is
 * what AWS says of that signature; the function logs it with your reason.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import aws4 from "aws4";
import { stagePath } from "../infra/stack-names.js";
import { refuse } from "./refuse.js";

const USAGE =
  'usage: npm run sign-out-user -- --stage NAME (--sub ID | --username NAME) --reason "WHY" [--iss URL] [--idempotency-key KEY] [--url URL]';

const fail: (message: string) => never = (message) => refuse(message, USAGE);

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      stage: { type: "string" },
      sub: { type: "string" },
      username: { type: "string" },
      iss: { type: "string" },
      reason: { type: "string" },
      "idempotency-key": { type: "string" },
      url: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const text = (name: string) =>
  typeof values[name] === "string" ? (values[name] as string) : undefined;
if (text("reason") === undefined) fail("--reason is required: why, for the log");
if ((text("sub") === undefined) === (text("username") === undefined)) {
  fail("name the user by exactly one of --sub and --username");
}
if (text("url") === undefined && text("stage") === undefined)
  fail("--stage (or --url) is required");

const ssm = new SSMClient({});
const url = new URL(
  text("url") ??
    (await ssm
      .send(
        new GetParameterCommand({
          Name: stagePath(String(text("stage")), "operator-sign-out-url"),
        }),
      )
      .then(
        (output) => output.Parameter?.Value ?? fail("the stage publishes no operator-sign-out-url"),
        (error: Error) => fail(`cannot read the stage's function URL: ${error.message}`),
      )),
);
const credentials = await ssm.config.credentials();
const region = await ssm.config.region();
// A retry with the same key is a replay: it changes nothing, and answers as the first did.
const idempotencyKey = text("idempotency-key") ?? randomUUID();
const body = JSON.stringify({
  ...(text("sub") ? { sub: text("sub") } : { username: text("username") }),
  ...(text("iss") ? { iss: text("iss") } : {}),
  reason: text("reason"),
});
const signed = aws4.sign(
  {
    host: url.host,
    path: url.pathname,
    method: "POST",
    service: "lambda",
    region,
    body,
    headers: { "content-type": "application/json", "idempotency-key": idempotencyKey },
  },
  credentials,
);
const response = await fetch(url, {
  method: "POST",
  headers: signed.headers as Record<string, string>,
  body,
});
console.log(await response.text());
if (!response.ok) {
  console.error(
    `${response.status}: not done. Retry with --idempotency-key ${idempotencyKey} to make it a replay if it was.`,
  );
  process.exit(1);
}
