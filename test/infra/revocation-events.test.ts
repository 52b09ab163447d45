/**
 * The revocation events in the stacks: the table's stream into the publisher with Lambda's
 * retries and a dead-letter queue, the stage's bus (or the one it names), the rules that carry
 * the events to other accounts, and the one-call subscription a receiver's stack makes.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Stack } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { SqsQueue } from "aws-cdk-lib/aws-events-targets";
import { Topic } from "aws-cdk-lib/aws-sns";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { describe, expect, it } from "vitest";
import { DETAIL_TYPE, EVENT_SOURCE } from "../../functions/domain/revocation-event.js";
import { buildApp, buildStacks } from "../../infra/app.js";
import { RevocationEventsSubscription } from "../../infra/constructs.js";
import { REVOCATION_FORWARDER_ROLE } from "../../infra/revocation-event-bus.js";
import { readStageConfig } from "../../infra/stage-config.js";

const CDK_CONTEXT = JSON.parse(readFileSync("cdk.json", "utf8")).context;

function sandboxWith(settings: Record<string, unknown> = {}): Template {
  const context = structuredClone(CDK_CONTEXT);
  Object.assign(context.stages.sandbox, settings);
  context.stage = "sandbox";
  context["aws:cdk:bundling-stacks"] = [];
  const app = buildStacks(new App({ context, outdir: mkdtempSync(join(tmpdir(), "cdk-")) }));
  return Template.fromJSON(app.synth().getStackByName("RinneAuthLogout-sandbox").template);
}

describe("the stage's revocation events", () => {
  const template = sandboxWith({ revocationEventConsumerAccounts: ["333333333333"] });

  it("streams every write of the table, old and new item, to the publisher", () => {
    template.hasResourceProperties("AWS::DynamoDB::GlobalTable", {
      StreamSpecification: { StreamViewType: "NEW_AND_OLD_IMAGES" },
    });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      StartingPosition: "TRIM_HORIZON",
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      DestinationConfig: {
        OnFailure: {
          Destination: { "Fn::GetAtt": [Match.stringLikeRegexp("DeadLetters"), "Arn"] },
        },
      },
      FilterCriteria: {
        Filters: [{ Pattern: JSON.stringify({ eventName: ["INSERT", "MODIFY"] }) }],
      },
    });
  });

  it("parks what Lambda gives up on in an encrypted queue, kept 14 days, SSL only", () => {
    template.hasResourceProperties("AWS::SQS::Queue", {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
  });

  it("puts on the stage's own bus, published for other stacks", () => {
    template.hasResourceProperties("AWS::Events::EventBus", { Name: "rinne-auth-sandbox" });
    template.hasResourceProperties("AWS::SSM::Parameter", {
      Name: "/rinne/sandbox/auth/revocation-event-bus-arn",
      Value: { "Fn::GetAtt": [Match.stringLikeRegexp("RevocationEventsBus"), "Arn"] },
    });
    template.hasOutput("RevocationEventBusArn", Match.anyValue());
  });

  it("forwards every revocation event to each consumer account's default bus", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      EventBusName: { Ref: Match.stringLikeRegexp("RevocationEventsBus") },
      EventPattern: { source: [EVENT_SOURCE], "detail-type": [DETAIL_TYPE] },
      Targets: [
        Match.objectLike({
          Arn: "arn:aws:events:sa-east-1:333333333333:event-bus/default",
          // As the forwarder role the receiver's bus lets in, parking what fails.
          RoleArn: { "Fn::GetAtt": [Match.stringLikeRegexp("Forwarder"), "Arn"] },
          DeadLetterConfig: {
            Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("DeliveryTo333333333333"), "Arn"] },
          },
        }),
      ],
    });
    template.hasResourceProperties("AWS::IAM::Role", {
      RoleName: REVOCATION_FORWARDER_ROLE("sandbox"),
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: "events.amazonaws.com" },
            Condition: { StringEquals: { "aws:SourceAccount": Match.anyValue() } },
          }),
        ],
      },
    });
  });

  it.each([
    [
      "every optional resource",
      {
        revocationEventConsumerAccounts: ["333333333333"],
        authorizerConsumerAccounts: ["444444444444"],
        operators: ["arn:aws:iam::222222222222:role/oncall"],
        customDomain: {
          domainName: "auth.rinne.com.br",
          certificateArn: "arn:aws:acm:sa-east-1:222222222222:certificate/abc",
          mappingKey: "core",
        },
      },
    ],
    ["a bus it names", { eventBusArn: "arn:aws:events:sa-east-1:444444444444:event-bus/security" }],
    ["an alarm topic it names", { alarmTopicArn: "arn:aws:sns:sa-east-1:222222222222:oncall" }],
  ])("passes cdk-nag and the Control Tower rules with %s", (_, settings) => {
    const context = structuredClone(CDK_CONTEXT);
    Object.assign(context.stages.production, settings);
    context.stage = "production";
    context["aws:cdk:bundling-stacks"] = [];
    const app = buildApp(new App({ context, outdir: mkdtempSync(join(tmpdir(), "cdk-")) }));
    // The forwarding's dead-letter queue once failed both (a queue without a DLQ of its own):
    // the rule packs ran only on cdk.json's stages, which set none of these.
    expect(() => app.synth()).not.toThrow();
  });

  it("pages the stage's topic when a forwarded event is parked or lost", () => {
    const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm")).filter((alarm) =>
      JSON.stringify(alarm.Properties.Metrics ?? "").includes("FailedInvocations"),
    );
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.Properties.AlarmActions).toEqual([
      expect.objectContaining({ Ref: expect.stringMatching(/AlarmTopic/) }),
    ]);
  });

  it("puts on the bus the stage names instead, creating none and forwarding nothing", () => {
    const named = "arn:aws:events:sa-east-1:444444444444:event-bus/security";
    const withBus = sandboxWith({ eventBusArn: named });
    withBus.resourceCountIs("AWS::Events::EventBus", 0);
    withBus.resourceCountIs("AWS::Events::Rule", 0);
    withBus.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ EVENT_BUS_NAME: named }) },
    });
    withBus.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: "events:PutEvents", Resource: named }),
        ]),
      },
    });
  });

  it.each([
    [{ eventBusArn: "security" }, /stages\.sandbox\.eventBusArn" must be an EventBridge/],
    [
      {
        eventBusArn: "arn:aws:events:sa-east-1:444444444444:event-bus/security",
        revocationEventConsumerAccounts: ["333333333333"],
      },
      /revocationEventConsumerAccounts" needs the stage's own bus/,
    ],
    [{ revocationEventConsumerAccounts: ["3333"] }, /must list 12-digit account ids/],
  ])("refuses a stage's events setting that cannot work: %j", (settings, message) => {
    expect(() =>
      readStageConfig("sandbox", { ...CDK_CONTEXT.stages.sandbox, ...settings }),
    ).toThrow(message);
  });
});

describe("RevocationEventsSubscription, in a receiver's stack", () => {
  function receiver(account: string, scopes?: string[]) {
    const app = new App();
    const stack = new Stack(app, "Receiver", { env: { account, region: "sa-east-1" } });
    const queue = new Queue(stack, "Revocations");
    new RevocationEventsSubscription(stack, "Subscription", {
      stage: { name: "production", account: "222222222222" },
      target: new SqsQueue(queue),
      ...(scopes ? { scopes } : {}),
    });
    return Template.fromStack(stack);
  }

  it("in the stage's account: a rule on the stage's bus, found by its SSM parameter", () => {
    const template = receiver("222222222222");
    template.hasResourceProperties("AWS::Events::Rule", {
      EventBusName: Match.anyValue(),
      EventPattern: {
        source: [EVENT_SOURCE],
        "detail-type": [DETAIL_TYPE],
        account: ["222222222222"],
      },
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [Match.anyValue(), "Arn"] } })],
    });
    expect(JSON.stringify(template.toJSON().Parameters)).toContain(
      "/rinne/production/auth/revocation-event-bus-arn",
    );
    template.resourceCountIs("AWS::Events::EventBusPolicy", 0);
  });

  it("in another account: a rule on its default bus, which lets the stage's forwarder put", () => {
    const template = receiver("333333333333", ["global", "operator"]);
    template.hasResourceProperties("AWS::Events::Rule", {
      EventBusName: "default",
      EventPattern: {
        source: [EVENT_SOURCE],
        "detail-type": [DETAIL_TYPE],
        account: ["222222222222"],
        detail: { revocation: { scope: ["global", "operator"] } },
      },
    });
    template.hasResourceProperties("AWS::Events::EventBusPolicy", {
      EventBusName: "default",
      Statement: {
        Effect: "Allow",
        Principal: {
          AWS: {
            "Fn::Join": [
              "",
              Match.arrayWith([
                `:iam::222222222222:role/${REVOCATION_FORWARDER_ROLE("production")}`,
              ]),
            ],
          },
        },
        Action: "events:PutEvents",
      },
    });
    // No other principal of the stage's account: not its root, which stands for all of them.
    expect(JSON.stringify(template.findResources("AWS::Events::EventBusPolicy"))).not.toContain(
      ":root",
    );
  });

  it.each([["222222222222"], ["333333333333"]])(
    "from %s: its target retried a day, then parked in a queue whose alarm pages",
    (account) => {
      const app = new App();
      const stack = new Stack(app, "Receiver", { env: { account, region: "sa-east-1" } });
      const onCall = new Topic(stack, "OnCall");
      const subscription = new RevocationEventsSubscription(stack, "Subscription", {
        stage: { name: "production", account: "222222222222" },
        target: new SqsQueue(new Queue(stack, "Revocations")),
        alarmActions: [new SnsAction(onCall)],
      });
      const template = Template.fromStack(stack);
      const queueArn = stack.resolve(subscription.deadLetterQueue.queueArn);
      template.hasResourceProperties("AWS::Events::Rule", {
        Targets: [
          Match.objectLike({
            DeadLetterConfig: { Arn: queueArn },
            RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
          }),
        ],
      });
      // EventBridge may park there: only for this rule.
      template.hasResourceProperties("AWS::SQS::QueuePolicy", {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: "sqs:SendMessage",
              Principal: { Service: "events.amazonaws.com" },
              Condition: {
                ArnEquals: { "aws:SourceArn": stack.resolve(subscription.rule.ruleArn) },
              },
            }),
          ]),
        },
      });
      const alarm = Object.values(template.findResources("AWS::CloudWatch::Alarm"))[0];
      expect(alarm?.Properties.AlarmActions).toEqual([stack.resolve(onCall.topicArn)]);
      const expression = JSON.stringify(alarm?.Properties.Metrics);
      for (const metric of [
        "FailedInvocations",
        "InvocationsFailedToBeSentToDlq",
        "ApproximateNumberOfMessagesVisible",
      ]) {
        expect(expression).toContain(metric);
      }
      // A rule on the stage's custom bus reports under the bus's name too; on the default, not.
      expect(expression.includes("EventBusName")).toBe(account === "222222222222");
    },
  );

  it("warns where nobody is paged, and takes a dead-letter queue of the receiver's", () => {
    const app = new App();
    const stack = new Stack(app, "Receiver", {
      env: { account: "333333333333", region: "sa-east-1" },
    });
    const parked = new Queue(stack, "Parked");
    const subscription = new RevocationEventsSubscription(stack, "Subscription", {
      stage: { name: "production", account: "222222222222" },
      target: new SqsQueue(new Queue(stack, "Revocations")),
      deadLetterQueue: parked,
    });
    expect(subscription.deadLetterQueue).toBe(parked);
    const warnings = Annotations.fromStack(stack).findWarning(
      "*",
      Match.stringLikeRegexp("nobody is paged"),
    );
    expect(warnings).toHaveLength(1);
  });

  it("needs its stack's account, to know which of the two it is", () => {
    const stack = new Stack(new App(), "Agnostic");
    expect(
      () =>
        new RevocationEventsSubscription(stack, "Subscription", {
          stage: { name: "production", account: "222222222222" },
          target: new SqsQueue(new Queue(stack, "Q")),
        }),
    ).toThrow(/needs its stack's account/);
  });
});
