/**
 * The Cognito stage's rule, as EventBridge matches it: the pattern the stack synthesizes, put on
 * moto's EventBridge (an independent implementation), with a queue as its target, and every
 * sample CloudTrail event of `events/cognito-cloudtrail/` put on the default bus. Each sign-out
 * reaches the target (the pool and the user are the function's to judge); a call Cognito
 * refused, another call and another service's do not.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { App } from "aws-cdk-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildStacks } from "../../infra/app.js";
import { MOTO_INSTALLED, type MotoServer, startMotoServer } from "../support/moto-server.js";

const REGION = "sa-east-1";
const SAMPLES = "events/cognito-cloudtrail";

/** The rule's pattern, as a Cognito stage's template holds it. */
function synthesizedPattern(): string {
  const context = JSON.parse(readFileSync("cdk.json", "utf8")).context;
  context.stages.sandbox.auth = { cognitoUserPoolId: "sa-east-1_AbC123", cognitoClientIds: ["a"] };
  context.stage = "sandbox";
  context["aws:cdk:bundling-stacks"] = [];
  const app = buildStacks(new App({ context, outdir: mkdtempSync(join(tmpdir(), "cdk-")) }));
  const template = app.synth().getStackByName("RinneAuthLogout-sandbox").template;
  const rule = Object.values(template.Resources as Record<string, Record<string, unknown>>).find(
    (resource) =>
      resource.Type === "AWS::Events::Rule" && JSON.stringify(resource).includes("aws.cognito-idp"),
  ) as { Properties: { EventPattern: unknown } };
  return JSON.stringify(rule.Properties.EventPattern);
}

describe.skipIf(!MOTO_INSTALLED)("the Cognito stage's rule, on moto's EventBridge", () => {
  let moto: MotoServer;
  let events: EventBridgeClient;
  /** moto's SQS in its JSON protocol: the rule's target, read back. */
  const sqs = async (operation: string, input: object) => {
    const response = await fetch(moto.endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": `AmazonSQS.${operation}`,
        Authorization: `AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20261207/${REGION}/sqs/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify(input),
    });
    return (await response.json()) as Record<string, unknown>;
  };
  let queueUrl: string;

  beforeAll(async () => {
    moto = await startMotoServer(26_000);
    events = new EventBridgeClient({
      endpoint: moto.endpoint,
      region: REGION,
      credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local" },
    });
    queueUrl = (await sqs("CreateQueue", { QueueName: "sign-outs" })).QueueUrl as string;
    await events.send(
      new PutRuleCommand({ Name: "sign-outs", EventPattern: synthesizedPattern() }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: "sign-outs",
        Targets: [{ Id: "queue", Arn: `arn:aws:sqs:${REGION}:123456789012:sign-outs` }],
      }),
    );
  }, 60_000);
  afterAll(() => moto?.stop());

  type Sample = { source: string; "detail-type": string; detail: Record<string, unknown> };
  /** Which of `samples` (by name) the target got, once all are put on the default bus. */
  async function deliveredOf(samples: Record<string, Sample>): Promise<string[]> {
    const entries = Object.entries(samples).map(([name, event]) => ({
      Source: event.source,
      DetailType: event["detail-type"],
      // Named by its request id, to be told apart at the target.
      Detail: JSON.stringify({ ...event.detail, requestID: name }),
    }));
    for (let start = 0; start < entries.length; start += 10) {
      await events.send(new PutEventsCommand({ Entries: entries.slice(start, start + 10) }));
    }
    const got: string[] = [];
    for (let empty = 0; empty < 2; ) {
      const { Messages = [] } = (await sqs("ReceiveMessage", {
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
      })) as { Messages?: { ReceiptHandle: string; Body: string }[] };
      if (Messages.length === 0) empty++;
      for (const { ReceiptHandle, Body } of Messages) {
        got.push(JSON.parse(Body).detail.requestID);
        await sqs("DeleteMessage", { QueueUrl: queueUrl, ReceiptHandle });
      }
    }
    return got.sort();
  }

  const sample = (file: string): Sample =>
    JSON.parse(
      readFileSync(join(SAMPLES, file), "utf8")
        .replaceAll("{{now}}", "2026-12-07T09:00:00Z")
        .replaceAll("{{sub}}", "3f6c0d2e"),
    );

  it("every sample sign-out reaches the function; a refused call, another call or service does not", async () => {
    const files = readdirSync(SAMPLES);
    const signOut = sample("admin-user-global-sign-out.json");
    const got = await deliveredOf({
      ...Object.fromEntries(files.map((file) => [file, sample(file)])),
      "another call": { ...signOut, detail: { ...signOut.detail, eventName: "AdminGetUser" } },
      "another service": { ...signOut, source: "aws.s3" },
    });
    expect(got).toEqual(files.filter((file) => file !== "failed-call.json").sort());
  });
});
