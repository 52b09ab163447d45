import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CfnGuardValidator } from "@cdklabs/cdk-validator-cfnguard";
import { App, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Bucket } from "aws-cdk-lib/aws-s3";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import {
  authorizerWaitMs,
  logoutWaitMs,
  operatorWaitMs,
  providerWaitMs,
} from "../../functions/config/wait-budgets.js";
import { SERVICE_NAMES } from "../../functions/domain/log-schema.js";
import { REVOCATION_TABLE } from "../../functions/revocation/revocation-table.js";
import { buildApp, buildStacks } from "../../infra/app.js";
import { ROUTE_PATH } from "../../infra/logout-stack.js";
import { LOG_METRICS } from "../../infra/monitoring.js";
import { BACKCHANNEL_OPERATION_PATH } from "../../infra/provider-sign-out.js";
import { readStageConfig, StageConfigError } from "../../infra/stage-config.js";

const CDK_CONTEXT = JSON.parse(readFileSync("cdk.json", "utf8")).context;
type Stages = Record<string, Record<string, unknown>>;

/**
 * Synthesizes the app with cdk.json's context, changed as given: every stage, or the one a
 * variant reads (as `cdk synth -c stage=…` does). The stages' first synth, in `beforeAll`, is
 * validated (cdk-nag and the Control Tower rules) as `cdk synth` does; a variant is read for
 * its template only. None bundles: the bundles are cdk-synth.test.ts's and
 * deployable-bundle.test.ts's to check.
 */
function synthesize(
  change: (stages: Stages) => void = () => undefined,
  { stage, validate = false }: { stage?: string; validate?: boolean } = {},
) {
  const context = structuredClone(CDK_CONTEXT);
  change(context.stages);
  if (stage) context.stage = stage;
  context["aws:cdk:bundling-stacks"] = [];
  const build = validate ? buildApp : buildStacks;
  const app = build(new App({ context, outdir: mkdtempSync(join(tmpdir(), "cdk-")) }));
  const assembly = app.synth();
  const template = (stage: string) =>
    Template.fromJSON(assembly.getStackByName(`RinneAuthLogout-${stage}`).template);
  return { assembly, template };
}

const secretArn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:rinne/clients-AbCdEf";
let cognitoSynth: ReturnType<typeof synthesize> | undefined;
/** The sandbox on a Cognito pool, with its app clients' secrets: synthesized once, when asked. */
function cognitoSandbox() {
  cognitoSynth ??= synthesize(
    (stages) => {
      (stages.sandbox as Record<string, unknown>).auth = {
        cognitoUserPoolId: "us-east-1_AbC123",
        cognitoClientIds: ["client-a", "client-b"],
        clientSecretArn: secretArn,
      };
    },
    { stage: "sandbox" },
  );
  return cognitoSynth;
}

interface PluginReport {
  pluginName: string;
  conclusion: string;
  violations?: unknown[];
  suppressedViolations?: { ruleName: string; reason: string; acknowledgedAt: string }[];
}
const validationReport = (): PluginReport[] =>
  JSON.parse(readFileSync(join(outdir, "validation-report.json"), "utf8")).pluginReports;

let sandbox: Template;
let production: Template;
let outdir: string;
let synthesized: ReturnType<typeof synthesize>["assembly"];
const synthesizedSandboxAndProduction = () => synthesized;

beforeAll(() => {
  const { assembly, template } = synthesize(undefined, { validate: true });
  sandbox = template("sandbox");
  production = template("production");
  outdir = assembly.directory;
  synthesized = assembly;
});

describe.each([
  ["sandbox", () => sandbox, 365, 50, 100],
  ["production", () => production, 365, 500, 1000],
])("the %s stack", (stage, template, retentionDays, rateLimit, burstLimit) => {
  it("routes exactly POST /core/v1/auth/logout and the back-channel logout, each to its function, with no authorizer", () => {
    template().resourceCountIs("AWS::ApiGatewayV2::Api", 1);
    template().resourceCountIs("AWS::ApiGatewayV2::Route", 2);
    for (const path of [ROUTE_PATH, `/core${BACKCHANNEL_OPERATION_PATH}`]) {
      template().hasResourceProperties("AWS::ApiGatewayV2::Route", {
        RouteKey: `POST ${path}`,
        AuthorizationType: "NONE",
      });
    }
    template().resourceCountIs("AWS::ApiGatewayV2::Authorizer", 0);
    template().hasResourceProperties("AWS::ApiGatewayV2::Integration", {
      IntegrationType: "AWS_PROXY",
      PayloadFormatVersion: "2.0",
    });
    expect(ROUTE_PATH).toBe("/core/v1/auth/logout");
  });

  it("runs the five functions on Node.js 24, arm64, with their memory and timeouts, source maps off at run time", () => {
    template().resourceCountIs("AWS::Lambda::Function", 5);
    // The publisher is on no request's path: a batch of records, its retries, in 30 s.
    template().hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      MemorySize: 256,
      Timeout: 30,
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.publisher,
          EVENT_BUS_NAME: Match.anyValue(),
          // Its events come from the stream alone: it reads no table.
          REVOCATION_TABLE_NAME: Match.absent(),
        }),
      },
    });
    for (const [service, waitMs] of [
      [SERVICE_NAMES.logout, logoutWaitMs()],
      [SERVICE_NAMES.authorizer, authorizerWaitMs()],
      [SERVICE_NAMES.operator, operatorWaitMs()],
      [SERVICE_NAMES.provider, providerWaitMs()],
    ] as const) {
      const [fn] = Object.values(
        template().findResources("AWS::Lambda::Function", {
          Properties: {
            Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: service }) },
          },
        }),
      ) as { Properties: { Timeout: number } }[];
      // Every wait the code bounds fits, with room for the work between; and within the 30 s
      // after which an HTTP API integration gives up.
      const timeoutMs = (fn?.Properties.Timeout ?? 0) * 1000;
      expect(timeoutMs).toBeGreaterThanOrEqual(waitMs * 1.25);
      expect(timeoutMs).toBeLessThan(waitMs * 1.25 + 1000);
      expect(timeoutMs).toBeLessThan(30_000);
      template().hasResourceProperties("AWS::Lambda::Function", {
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        MemorySize: 512,
        Handler: "index.handler",
        Environment: {
          Variables: Match.objectLike({
            NODE_OPTIONS: Match.absent(),
            POWERTOOLS_SERVICE_NAME: service,
          }),
        },
      });
    }
  });

  it("has beside it the stage's pipeline roles stack, in the same account and region", () => {
    const roles = synthesizedSandboxAndProduction().getStackByName(`RinneAuthPipeline-${stage}`);
    const { account, region } = CDK_CONTEXT.stages[stage];
    expect(roles.environment).toMatchObject({ account, region });
    expect(JSON.stringify(roles.template)).toContain(`rinne-auth-${stage}-deploy`);
  });

  it("lands in the stage's own account and region, and nowhere else", () => {
    const { account, region } = CDK_CONTEXT.stages[stage];
    const stack = synthesizedSandboxAndProduction().getStackByName(`RinneAuthLogout-${stage}`);
    expect(stack.environment).toMatchObject({ account, region });
    expect(account).toMatch(/^\d{12}$/);
  });

  it("reserves each function's concurrency as the stage says, and none where it says none", () => {
    const reserved: Record<string, number | undefined> =
      CDK_CONTEXT.stages[stage].reservedConcurrency;
    for (const [service, count] of [
      ["auth-logout", reserved.logout],
      ["auth-authorizer", reserved.authorizer],
      ["auth-operator-sign-out", reserved.operator],
    ] as const) {
      template().hasResourceProperties("AWS::Lambda::Function", {
        ReservedConcurrentExecutions: count ?? Match.absent(),
        Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: service }) },
      });
    }
  });

  it("configures both functions from the stage's context, with the same verifier settings", () => {
    const auth = CDK_CONTEXT.stages[stage].auth;
    for (const service of ["auth-logout", "auth-authorizer"]) {
      template().hasResourceProperties("AWS::Lambda::Function", {
        Environment: {
          Variables: {
            JWT_ISSUER: auth.issuer,
            JWT_AUDIENCE: auth.audience.join(","),
            REVOCATION_TABLE_NAME: { Ref: Match.stringLikeRegexp("RevocationsTable") },
            MAX_SESSION_SECONDS: String(CDK_CONTEXT.stages[stage].maxSessionSeconds),
            MAX_TOKEN_LIFETIME_SECONDS: String(CDK_CONTEXT.stages[stage].maxTokenLifetimeSeconds),
            REQUIRE_AUTH_TIME: String(CDK_CONTEXT.stages[stage].requireAuthTime),
            POWERTOOLS_SERVICE_NAME: service,
            LOG_LEVEL: CDK_CONTEXT.stages[stage].logLevel,
          },
        },
      });
    }
  });

  it("keeps each function's logs and the access logs, encrypted with the stage's rotated key, for the stage's retention", () => {
    template().resourceCountIs("AWS::Logs::LogGroup", 6);
    template().allResourcesProperties("AWS::Logs::LogGroup", {
      RetentionInDays: retentionDays,
      KmsKeyId: { "Fn::GetAtt": [Match.stringLikeRegexp("^OperationsKey"), "Arn"] },
    });
    for (const name of [
      "logout",
      "authorizer",
      "revocation-events",
      "provider-sign-out",
      "api-access",
    ]) {
      template().hasResourceProperties("AWS::Logs::LogGroup", {
        LogGroupName: `/rinne/${stage}/auth/${name}`,
      });
    }
    template().hasResourceProperties("AWS::Lambda::Function", {
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp("^LogoutLogs") } },
    });
    template().resourceCountIs("AWS::KMS::Key", 1);
    template().hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
  });

  it("lets CloudWatch Logs use the key for exactly these log groups", () => {
    const [key] = Object.values(template().findResources("AWS::KMS::Key")) as {
      Properties: { KeyPolicy: { Statement: Record<string, unknown>[] } };
    }[];
    const forLogs = (key?.Properties.KeyPolicy.Statement ?? []).filter((statement) =>
      JSON.stringify(statement.Principal).includes("logs."),
    );
    const arns = forLogs.map((statement) =>
      JSON.stringify(
        (statement.Condition as Record<string, Record<string, unknown>>).ArnEquals?.[
          "kms:EncryptionContext:aws:logs:arn"
        ],
      ),
    );
    expect(arns).toHaveLength(6);
    for (const [index, name] of [
      "logout",
      "authorizer",
      "operator-sign-out",
      "revocation-events",
      "api-access",
      "provider-sign-out",
    ].entries()) {
      expect(arns[index]).toContain(`:log-group:/rinne/${stage}/auth/${name}`);
    }
  });

  it("throttles the stage and writes JSON access logs to their own group", () => {
    const stages = template().findResources("AWS::ApiGatewayV2::Stage");
    const [stageResource] = Object.values(stages) as { Properties: Record<string, never> }[];
    const properties = stageResource?.Properties ?? {};
    expect(properties).toMatchObject({
      StageName: "$default",
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: rateLimit, ThrottlingBurstLimit: burstLimit },
      AccessLogSettings: {
        DestinationArn: { "Fn::GetAtt": [expect.stringMatching(/^LogoutApiAccessLogs/), "Arn"] },
      },
    });
    const format = JSON.parse(
      (properties.AccessLogSettings as unknown as { Format: string }).Format,
    );
    expect(format).toMatchObject({ requestId: "$context.requestId", status: "$context.status" });
  });

  it("allows CORS from the stage's origins only, with Authorization", () => {
    template().hasResourceProperties("AWS::ApiGatewayV2::Api", {
      CorsConfiguration: {
        AllowOrigins: CDK_CONTEXT.stages[stage].corsAllowedOrigins,
        AllowMethods: ["POST"],
        AllowHeaders: ["Authorization", "Content-Type", "Idempotency-Key"],
        ExposeHeaders: ["Retry-After", "WWW-Authenticate"],
      },
    });
  });

  it("alarms on each function's errors, throttles and p99 duration and the API's 5xx, to its encrypted topic, on alarm and on recovery", () => {
    template().resourceCountIs("AWS::CloudWatch::Alarm", 13);
    for (const [metric, extra] of [
      ["Errors", {}],
      ["Throttles", {}],
      ["Duration", { ExtendedStatistic: "p99" }],
      ["5xx", {}],
      // Revocation events: late, or parked in the dead-letter queue (the first one pages).
      ["IteratorAge", { Statistic: "Maximum", Threshold: 60_000 }],
      ["ApproximateNumberOfMessagesVisible", { Namespace: "AWS/SQS", Threshold: 1 }],
    ] as const) {
      template().hasResourceProperties("AWS::CloudWatch::Alarm", {
        MetricName: metric,
        ...extra,
      });
    }
    const topic = { Ref: Match.stringLikeRegexp("^MonitoringAlarmTopic") };
    template().allResourcesProperties("AWS::CloudWatch::Alarm", {
      AlarmActions: [topic],
      OKActions: [topic],
    });
    template().hasResourceProperties("AWS::SNS::Topic", {
      KmsMasterKeyId: { "Fn::GetAtt": [Match.stringLikeRegexp("^OperationsKey"), "Arn"] },
    });
  });

  it("lets exactly this stack's alarms publish to the topic and use its key, from this account", () => {
    const [policy] = Object.values(template().findResources("AWS::SNS::TopicPolicy")) as {
      Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } };
    }[];
    const statements = policy?.Properties.PolicyDocument.Statement ?? [];
    const allow = statements.find((statement) => statement.Effect === "Allow");
    expect(allow).toMatchObject({
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: "sns:Publish",
      Resource: { Ref: expect.stringMatching(/^MonitoringAlarmTopic/) },
    });
    const bound = (conditions: unknown) => {
      const text = JSON.stringify(conditions);
      expect(text).toContain(`"aws:SourceAccount":"${CDK_CONTEXT.stages[stage].account}"`);
      expect(text).toContain(`:alarm:RinneAuthLogout-${stage}-*`);
    };
    bound(allow?.Condition);
    // enforceSSL's Deny stays beside it.
    expect(statements.some((statement) => statement.Effect === "Deny")).toBe(true);
    const keyStatements = (
      Object.values(template().findResources("AWS::KMS::Key"))[0] as {
        Properties: { KeyPolicy: { Statement: Record<string, unknown>[] } };
      }
    ).Properties.KeyPolicy.Statement;
    const cloudwatch = keyStatements.filter(
      (statement) =>
        JSON.stringify(statement.Principal) === '{"Service":"cloudwatch.amazonaws.com"}',
    );
    expect(cloudwatch).toHaveLength(1);
    bound(cloudwatch[0]?.Condition);
  });

  it("draws metrics from the structured log lines, and shows them on one dashboard", () => {
    const filters = Object.values(template().findResources("AWS::Logs::MetricFilter")) as {
      Properties: {
        FilterPattern: string;
        MetricTransformations: {
          MetricName: string;
          MetricNamespace: string;
          Dimensions?: { Key: string; Value: string }[];
        }[];
      };
    }[];
    // Exactly the metrics whose patterns test/infra/metric-filters.test.ts runs real lines through.
    const deployed = filters.map(({ Properties: { FilterPattern, MetricTransformations } }) => {
      const [metric] = MetricTransformations;
      expect(metric?.MetricNamespace).toBe(`Rinne/Auth/${stage}`);
      const dimensions = Object.fromEntries(
        (metric?.Dimensions ?? []).map(({ Key, Value }) => [Key, Value]),
      );
      return [metric?.MetricName, FilterPattern, dimensions];
    });
    const declared = [...LOG_METRICS.logout, ...LOG_METRICS.authorizer].map(
      ([name, pattern, dimensions = {}]) => [name, pattern, dimensions],
    );
    expect(deployed).toEqual(expect.arrayContaining(declared));
    expect(deployed).toHaveLength(declared.length);
    template().resourceCountIs("AWS::CloudWatch::Dashboard", 1);
    const body = JSON.stringify(template().findResources("AWS::CloudWatch::Dashboard"));
    for (const title of [
      "Alarms",
      "Logouts by scope",
      "Refusals by reason",
      "Latency (ms)",
      "Cold starts",
      "Authorizer decisions",
      "Operator sign-outs",
    ]) {
      expect(body).toContain(title);
    }
  });

  it("creates the revocation table from the function's own definition", () => {
    template().hasResourceProperties("AWS::DynamoDB::GlobalTable", {
      KeySchema: [{ AttributeName: REVOCATION_TABLE.partitionKey, KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: REVOCATION_TABLE.partitionKey, AttributeType: "S" }],
      TimeToLiveSpecification: {
        AttributeName: REVOCATION_TABLE.timeToLiveAttribute,
        Enabled: true,
      },
      BillingMode: "PAY_PER_REQUEST",
      SSESpecification: { SSEEnabled: true },
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      ],
    });
  });

  it("lets the logout read and write its table, the authorizer only read it, each its own logs", () => {
    const policies = template().findResources("AWS::IAM::Policy") as Record<
      string,
      { Properties: { PolicyDocument: { Statement: { Action: string[] }[] } } }
    >;
    const actionsOf = (prefix: string) =>
      Object.entries(policies)
        .filter(([logicalId]) => logicalId.startsWith(prefix))
        .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement)
        .flatMap((statement) => [statement.Action].flat())
        .sort();
    expect(Object.keys(policies)).toHaveLength(5);
    expect(actionsOf("Logout")).toEqual([
      "dynamodb:BatchGetItem",
      "dynamodb:PutItem",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]);
    expect(actionsOf("Authorizer")).toEqual([
      "dynamodb:BatchGetItem",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]);
    // The stages' issuers are not Cognito pools: no user admin calls to grant.
    expect(actionsOf("OperatorSignOut")).toEqual([
      "dynamodb:BatchGetItem",
      "dynamodb:PutItem",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]);
    // The publisher: its stream, its bus, its dead-letter queue; no read of the table.
    expect(actionsOf("RevocationEvents")).toEqual([
      "dynamodb:DescribeStream",
      "dynamodb:GetRecords",
      "dynamodb:GetShardIterator",
      "dynamodb:ListStreams",
      "events:PutEvents",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:SendMessage",
    ]);
    template().allResourcesProperties("AWS::IAM::Role", { ManagedPolicyArns: Match.absent() });
  });

  it("publishes the endpoint, and the table's name and ARN for other stacks", () => {
    template().hasOutput("LogoutEndpoint", {
      Value: { "Fn::Join": ["", Match.arrayWith([Match.stringLikeRegexp(`${ROUTE_PATH}$`)])] },
    });
    template().hasOutput("RevocationTableName", {
      Export: { Name: `RinneAuthLogout-${stage}-RevocationTableName` },
    });
    template().hasOutput("RevocationTableArn", {
      Export: { Name: `RinneAuthLogout-${stage}-RevocationTableArn` },
    });
    template().hasResourceProperties("AWS::SSM::Parameter", {
      Name: `/rinne/${stage}/auth/revocation-table-name`,
    });
    template().hasResourceProperties("AWS::SSM::Parameter", {
      Name: `/rinne/${stage}/auth/revocation-table-arn`,
    });
    template().hasOutput("AuthorizerFunctionArn", {
      Export: { Name: `RinneAuthLogout-${stage}-AuthorizerFunctionArn` },
    });
    template().hasResourceProperties("AWS::SSM::Parameter", {
      Name: `/rinne/${stage}/auth/authorizer-function-arn`,
      Value: { "Fn::GetAtt": [Match.stringLikeRegexp("^AuthorizerFunction"), "Arn"] },
    });
  });
});

describe("the stages' differences", () => {
  it("keeps and protects production's stateful resources, and lets sandbox's go", () => {
    production.hasResource("AWS::DynamoDB::GlobalTable", {
      DeletionPolicy: "Retain",
      Properties: Match.objectLike({
        Replicas: [Match.objectLike({ DeletionProtectionEnabled: true })],
      }),
    });
    production.allResources("AWS::Logs::LogGroup", { DeletionPolicy: "Retain" });
    sandbox.hasResource("AWS::DynamoDB::GlobalTable", {
      DeletionPolicy: "Delete",
      Properties: Match.objectLike({
        Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
      }),
    });
    sandbox.allResources("AWS::Logs::LogGroup", { DeletionPolicy: "Delete" });
  });

  it("sends alarms to the stage's SNS topic when it names one, else to its own, with email subscriptions", () => {
    const topic = "arn:aws:sns:us-east-1:111122223333:rinne-alarms";
    const { template } = synthesize((stages) => {
      (stages.production as Record<string, unknown>).alarmTopicArn = topic;
      (stages.sandbox as Record<string, unknown>).alarmEmails = ["oncall@rinne.com.br"];
    });
    template("production").allResourcesProperties("AWS::CloudWatch::Alarm", {
      AlarmActions: [topic],
      OKActions: [topic],
    });
    template("production").resourceCountIs("AWS::SNS::Topic", 0);
    template("sandbox").hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "oncall@rinne.com.br",
    });
    sandbox.resourceCountIs("AWS::SNS::Subscription", 0);
  });

  it("serves the contract's URL on a custom domain: mapped at core, route /v1/auth/logout, default endpoint closed", () => {
    const { template } = synthesize(
      (stages) => {
        (stages.sandbox as Record<string, unknown>).customDomain = {
          domainName: "api-sandbox.rinne.com.br",
          certificateArn: "arn:aws:acm:us-east-1:111122223333:certificate/abc",
        };
      },
      { stage: "sandbox" },
    );
    template("sandbox").hasResourceProperties("AWS::ApiGatewayV2::DomainName", {
      DomainName: "api-sandbox.rinne.com.br",
    });
    template("sandbox").resourceCountIs("AWS::ApiGatewayV2::ApiMapping", 1);
    template("sandbox").hasResourceProperties("AWS::ApiGatewayV2::ApiMapping", {
      ApiMappingKey: "core",
    });
    template("sandbox").hasResourceProperties("AWS::ApiGatewayV2::Route", {
      RouteKey: "POST /v1/auth/logout",
    });
    template("sandbox").hasResourceProperties("AWS::ApiGatewayV2::Api", {
      DisableExecuteApiEndpoint: true,
    });
    template("sandbox").hasOutput("LogoutEndpoint", {
      Value: "https://api-sandbox.rinne.com.br/core/v1/auth/logout",
    });
    sandbox.resourceCountIs("AWS::ApiGatewayV2::DomainName", 0);
    // The function's base path is the mapping's, so error.path stays relative to /core.
    template("sandbox").hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ API_BASE_PATH: "/core" }) },
    });
  });

  it("gives the operator's sign-out an IAM-only function URL, invocable by the stage's operators, and publishes it", () => {
    const operator = "arn:aws:iam::111111111111:role/rinne-support";
    const { template } = synthesize(
      (stages) => {
        (stages.sandbox as Record<string, unknown>).operators = [operator];
      },
      { stage: "sandbox" },
    );
    template("sandbox").resourceCountIs("AWS::Lambda::Url", 1);
    template("sandbox").hasResourceProperties("AWS::Lambda::Url", { AuthType: "AWS_IAM" });
    template("sandbox").hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunctionUrl",
      Principal: operator,
      FunctionUrlAuthType: "AWS_IAM",
    });
    // No API Gateway route reaches it: the API has the logout's and the back-channel's.
    template("sandbox").resourceCountIs("AWS::ApiGatewayV2::Route", 2);
    template("sandbox").hasResourceProperties("AWS::SSM::Parameter", {
      Name: "/rinne/sandbox/auth/operator-sign-out-url",
    });
    // Without operators, nobody but the account's own IAM policies may call it.
    sandbox.resourceCountIs("AWS::Lambda::Url", 1);
    expect(
      Object.values(sandbox.findResources("AWS::Lambda::Permission")).filter((permission) =>
        JSON.stringify(permission).includes("InvokeFunctionUrl"),
      ),
    ).toEqual([]);
  });

  it("configures a Cognito user pool where the stage names one, and may sign its users out", () => {
    const { template } = cognitoSandbox();
    const statements = Object.values(template("sandbox").findResources("AWS::IAM::Policy")).flatMap(
      (policy) =>
        (policy as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } })
          .Properties.PolicyDocument.Statement,
    );
    expect(statements).toContainEqual({
      Action: "cognito-idp:AdminUserGlobalSignOut",
      Effect: "Allow",
      Resource: `arn:aws:cognito-idp:us-east-1:${CDK_CONTEXT.stages.sandbox.account}:userpool/us-east-1_AbC123`,
    });
    expect(statements).toContainEqual({
      Action: "secretsmanager:GetSecretValue",
      Effect: "Allow",
      Resource: secretArn,
    });
    // The operator's sign-out finds and signs out users of that pool, and of no other.
    expect(statements).toContainEqual({
      Action: ["cognito-idp:AdminGetUser", "cognito-idp:AdminUserGlobalSignOut"],
      Effect: "Allow",
      Resource: `arn:aws:cognito-idp:us-east-1:${CDK_CONTEXT.stages.sandbox.account}:userpool/us-east-1_AbC123`,
    });
    // Without a pool, no Cognito permission at all.
    expect(JSON.stringify(sandbox.toJSON())).not.toContain("cognito-idp:");
    template("sandbox").hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          COGNITO_USER_POOL_ID: "us-east-1_AbC123",
          COGNITO_CLIENT_ID: "client-a,client-b",
          COGNITO_TOKEN_USE: "access",
          COGNITO_CLIENT_SECRET_ARN: secretArn,
          JWT_ISSUER: Match.absent(),
        }),
      },
    });
  });
});

describe("the identity provider's sign-outs", () => {
  it("on a Cognito stage: the pool's sign-outs from CloudTrail, delivered or parked with an alarm", () => {
    const { template } = cognitoSandbox();
    const cognito = template("sandbox");
    cognito.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: {
        source: ["aws.cognito-idp"],
        "detail-type": ["AWS API Call via CloudTrail"],
        detail: {
          eventSource: ["cognito-idp.amazonaws.com"],
          eventName: Match.arrayWith([
            "AdminUserGlobalSignOut",
            "GlobalSignOut",
            "AdminDisableUser",
          ]),
          errorCode: [{ exists: false }],
        },
      },
      // The account's default bus, where CloudTrail puts them.
      EventBusName: Match.absent(),
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("^ProviderSignOutFunction"), "Arn"] },
          DeadLetterConfig: { Arn: Match.anyValue() },
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        }),
      ],
    });
    // What the function throws on after Lambda's retries is parked too.
    cognito.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.provider }),
      },
      DeadLetterConfig: { TargetArn: Match.anyValue() },
    });
    for (const alarm of ["ProviderSignOutErrors", "ProviderSignOutsParked"]) {
      cognito.hasResourceProperties("AWS::CloudWatch::Alarm", {
        AlarmName: `RinneAuthLogout-sandbox-${alarm}`,
      });
    }
    // No back-channel route: Cognito sends no logout tokens.
    cognito.resourceCountIs("AWS::ApiGatewayV2::Route", 1);
  });

  it("on a generic issuer's stage: the back-channel route, for the client ids the stage names", () => {
    sandbox.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.provider,
          BACKCHANNEL_LOGOUT_CLIENT_IDS:
            CDK_CONTEXT.stages.sandbox.auth.backchannelLogoutClientIds.join(","),
        }),
      },
    });
    sandbox.hasOutput("BackchannelLogoutEndpoint", {});
    // No CloudTrail rule without a pool.
    expect(JSON.stringify(sandbox.findResources("AWS::Events::Rule"))).not.toContain(
      "aws.cognito-idp",
    );
    // Production caps it: its route is open to anyone.
    production.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.provider }),
      },
      ReservedConcurrentExecutions: CDK_CONTEXT.stages.production.reservedConcurrency.provider,
    });
  });

  it("refuses back-channel client ids on a Cognito stage, which sends no logout tokens", () => {
    expect(() =>
      synthesize(
        (stages) => {
          (stages.sandbox as Record<string, unknown>).auth = {
            cognitoUserPoolId: "us-east-1_AbC123",
            cognitoClientIds: ["client-a"],
            backchannelLogoutClientIds: ["client-a"],
          };
        },
        { stage: "sandbox" },
      ),
    ).toThrow(/auth\.backchannelLogoutClientIds/);
  });
});

describe("cdk-nag AwsSolutions", () => {
  it("finds nothing unacknowledged in either stage, and neither do the Control Tower rules", () => {
    for (const plugin of validationReport()) {
      expect(plugin.conclusion).toBe("success");
      // Only the sandbox's own warning that its alarms reach nobody (production refuses it).
      const violations = (plugin.violations ?? []) as {
        ruleName: string;
        severity: string;
        violatingConstructs: { constructPath: string }[];
      }[];
      expect(
        violations.filter(
          (violation) =>
            !(
              violation.ruleName === "Annotation::rinne:alarmsReachNobody" &&
              violation.severity === "warning" &&
              violation.violatingConstructs.every(({ constructPath }) =>
                constructPath.startsWith("RinneAuthLogout-sandbox/"),
              )
            ),
        ),
      ).toEqual([]);
    }
  });

  it("acknowledges only what a reviewer would accept, each with its reason", () => {
    const metadata = JSON.stringify(sandbox.toJSON());
    const acknowledged = [
      ...metadata.matchAll(/"id":"(AwsSolutions-[A-Z0-9]+)","reason":"([^"]+)"/g),
    ];
    expect(new Set(acknowledged.map(([, id]) => id))).toEqual(
      new Set(["AwsSolutions-APIG4", "AwsSolutions-SQS3"]),
    );
    const reasonOf = (rule: string) => acknowledged.find(([, id]) => id === rule)?.[2];
    expect(reasonOf("AwsSolutions-APIG4")).toMatch(/AuthenticationErrorResponse envelope/);
    expect(reasonOf("AwsSolutions-SQS3")).toMatch(/dead-letter destination/);
  });

  it("is really checking: a non-compliant resource fails the synth", () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "cdk-")) });
    new Bucket(new Stack(app, "Control"), "UnloggedBucket");
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });
});

describe("AWS Control Tower proactive controls (cfn-guard)", () => {
  it("acknowledges exactly four rules, on the resources they concern, each with its reason", () => {
    const suppressed = validationReport()
      .filter((plugin) => plugin.pluginName === "cdk-validator-cfnguard")
      .flatMap((plugin) => plugin.suppressedViolations ?? [])
      .filter((violation) => violation.acknowledgedAt.startsWith("RinneAuthLogout-sandbox/"));
    const byRule = new Map<string, string[]>();
    for (const violation of suppressed) {
      expect(violation.reason.length).toBeGreaterThan(60);
      byRule.set(violation.ruleName, [
        ...(byRule.get(violation.ruleName) ?? []),
        violation.acknowledgedAt,
      ]);
    }
    expect(Object.fromEntries([...byRule].map(([rule, at]) => [rule, at.sort()]))).toEqual({
      api_gw_v2_authorization_type_configured_check: [
        "RinneAuthLogout-sandbox/LogoutApi/Api/POST--core--v1--auth--backchannel-logout",
        "RinneAuthLogout-sandbox/LogoutApi/Api/POST--core--v1--auth--logout",
      ],
      lambda_function_public_access_prohibited_check: [
        "RinneAuthLogout-sandbox/LogoutApi/Api/POST--core--v1--auth--backchannel-logout",
        "RinneAuthLogout-sandbox/LogoutApi/Api/POST--core--v1--auth--logout",
      ],
      lambda_inside_vpc_check: [
        "RinneAuthLogout-sandbox/Authorizer/Function",
        "RinneAuthLogout-sandbox/Logout/Function",
        "RinneAuthLogout-sandbox/OperatorSignOut/Function/Function",
        "RinneAuthLogout-sandbox/ProviderSignOut/Function/Function",
        "RinneAuthLogout-sandbox/RevocationEvents/Publisher/Function",
      ],
      sqs_dlq_check: [
        "RinneAuthLogout-sandbox/ProviderSignOut/DeadLetters",
        "RinneAuthLogout-sandbox/RevocationEvents/DeadLetters",
      ],
    });
  });

  it("the invoke permissions it cannot read are scoped to this API, never public", () => {
    const permissions = Object.values(sandbox.findResources("AWS::Lambda::Permission")) as {
      Properties: { Principal: string; SourceArn: unknown };
    }[];
    // The logout's route and the back-channel logout's.
    expect(permissions).toHaveLength(2);
    for (const permission of permissions) {
      expect(permission.Properties.Principal).toBe("apigateway.amazonaws.com");
      expect(JSON.stringify(permission.Properties.SourceArn)).toContain('{"Ref":"LogoutApi');
    }
  });

  it("is really checking: an unencrypted log group fails the synth", () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "cdk-")) });
    new LogGroup(new Stack(app, "Control"), "PlainLogs", { retention: RetentionDays.ONE_YEAR });
    Validations.of(app).addPlugins(new CfnGuardValidator());
    expect(() => app.synth()).toThrow(/CT\.CLOUDWATCH\.PR\.3/);
  });
});

describe("feature flags", () => {
  // The flags this app had set before it took every flag a new CDK app gets.
  const EARLIER_FLAGS = [
    "@aws-cdk/aws-lambda:recognizeLayerVersion",
    "@aws-cdk/core:checkSecretUsage",
    "@aws-cdk/aws-iam:minimizePolicies",
    "@aws-cdk/core:validateSnapshotRemovalPolicy",
    "@aws-cdk/core:enablePartitionLiterals",
    "@aws-cdk/aws-lambda:useCdkManagedLogGroup",
    "@aws-cdk/core:bootstrapQualifier",
  ];

  it("sets every flag a new CDK app gets", () => {
    const recommended = JSON.parse(
      readFileSync("node_modules/aws-cdk-lib/recommended-feature-flags.json", "utf8"),
    ) as Record<string, unknown>;
    for (const [flag, value] of Object.entries(recommended)) {
      expect(CDK_CONTEXT[flag], flag).toEqual(value);
    }
  });

  it("moves, replaces or changes no resource of either stage", () => {
    const earlier = Object.fromEntries(
      Object.entries(CDK_CONTEXT).filter(
        ([key]) => key === "stages" || EARLIER_FLAGS.includes(key),
      ),
    );
    // Both unbundled: the flags change the templates, never the bundles' contents.
    const synthesizeWith = (context: Record<string, unknown>) =>
      buildStacks(
        new App({
          context: { ...context, "aws:cdk:bundling-stacks": [] },
          outdir: mkdtempSync(join(tmpdir(), "cdk-")),
        }),
      ).synth();
    const [before, now] = [synthesizeWith(earlier), synthesizeWith(CDK_CONTEXT)];
    for (const stage of ["sandbox", "production"]) {
      const resources = (assembly: typeof now) => {
        const { template } = assembly.getStackByName(`RinneAuthLogout-${stage}`);
        const { CDKMetadata: _metadata, ...rest } = template.Resources as Record<string, unknown>;
        return rest;
      };
      expect(resources(now), stage).toEqual(resources(before));
    }
  });
});

describe("alarms that reach someone", () => {
  it("refuses a production stage whose alarms reach nobody, and warns of a sandbox's", () => {
    expect(() =>
      synthesize(
        (stages) => {
          (stages.production as Record<string, unknown>).alarmEmails = [];
        },
        { stage: "production" },
      ),
    ).toThrow(/"stages\.production\.alarmEmails" lists no one and "alarmTopicArn" names no topic/);
    const warnings = synthesized
      .getStackByName("RinneAuthLogout-sandbox")
      .messages.filter((message) => message.level === "warning")
      .map((message) => String(message.entry.data));
    expect(warnings.some((text) => text.includes("stages.sandbox.alarmEmails is empty"))).toBe(
      true,
    );
  });
});

describe("stage settings", () => {
  it.each([
    [{ ...CDK_CONTEXT.stages.sandbox, auth: undefined }, "stages.sandbox.auth"],
    [{ ...CDK_CONTEXT.stages.sandbox, auth: { issuer: "http://x" } }, "stages.sandbox.auth.issuer"],
    [{ ...CDK_CONTEXT.stages.sandbox, logRetentionDays: 0 }, "stages.sandbox.logRetentionDays"],
    [{ ...CDK_CONTEXT.stages.sandbox, logRetentionDays: 45 }, "stages.sandbox.logRetentionDays"],
    [
      { ...CDK_CONTEXT.stages.sandbox, throttling: { rateLimit: 1 } },
      "stages.sandbox.throttling.burstLimit",
    ],
    [{ ...CDK_CONTEXT.stages.sandbox, alarmTopicArn: "topic" }, "stages.sandbox.alarmTopicArn"],
    [
      { ...CDK_CONTEXT.stages.sandbox, alarmEmails: ["not-an-address"] },
      "stages.sandbox.alarmEmails",
    ],
    [{ ...CDK_CONTEXT.stages.sandbox, requireAuthTime: "yes" }, "stages.sandbox.requireAuthTime"],
    [
      { ...CDK_CONTEXT.stages.sandbox, maxIssuerClockLagMs: "1s" },
      "stages.sandbox.maxIssuerClockLagMs",
    ],
    [{ ...CDK_CONTEXT.stages.sandbox, account: undefined }, "stages.sandbox.account"],
    [
      {
        ...CDK_CONTEXT.stages.sandbox,
        customDomain: { domainName: "a.b", certificateArn: "arn:aws:acm:x", mappingKey: "auth" },
      },
      "stages.sandbox.customDomain.mappingKey",
    ],
    [{ ...CDK_CONTEXT.stages.sandbox, account: "12345" }, "stages.sandbox.account"],
    [{ ...CDK_CONTEXT.stages.sandbox, region: "brazil" }, "stages.sandbox.region"],
    [
      {
        ...CDK_CONTEXT.stages.sandbox,
        reservedConcurrency: { logout: 50, authorizer: 50 },
        accountConcurrencyQuota: 199,
      },
      "stages.sandbox.reservedConcurrency",
    ],
    [
      { ...CDK_CONTEXT.stages.sandbox, accountConcurrencyQuota: 0 },
      "stages.sandbox.accountConcurrencyQuota",
    ],
    [
      { ...CDK_CONTEXT.stages.sandbox, reservedConcurrency: { logout: 5, authorizer: 0 } },
      "stages.sandbox.reservedConcurrency.authorizer",
    ],
    [
      { ...CDK_CONTEXT.stages.sandbox, production: true, alarmEmails: [], alarmTopicArn: null },
      "stages.sandbox.alarmEmails",
    ],
  ])("refuse a bad value, naming its context key (%#)", (raw, key) => {
    expect(() => readStageConfig("sandbox", raw)).toThrow(StageConfigError);
    expect(() => readStageConfig("sandbox", raw)).toThrow(`"${key}"`);
  });
});

describe("a stage's settings refuse typos", () => {
  it.each([
    [
      { authorizerConsumerAccount: ["333333333333"] },
      "authorizerConsumerAccount",
      "authorizerConsumerAccounts",
    ],
    [{ requireAuthtime: true }, "requireAuthtime", "requireAuthTime"],
    [
      { throttling: { rateLimit: 1, burstLimit: 2, burstlimit: 3 } },
      "throttling.burstlimit",
      "burstLimit",
    ],
    [
      { auth: { issuer: "https://i.example", audience: ["a"], jwks_uri: "https://i.example/k" } },
      "auth.jwks_uri",
      "jwksUri",
    ],
    [{ reservedConcurrency: { logouts: 2 } }, "reservedConcurrency.logouts", "logout"],
  ])("refuses %j, naming the key and the nearest known one", (change, key, nearest) => {
    const refusal = () => readStageConfig("sandbox", { ...CDK_CONTEXT.stages.sandbox, ...change });
    expect(refusal).toThrow(
      `cdk.json context "stages.sandbox.${key}" is not a setting: did you mean "${nearest}"?`,
    );
  });

  it("says so in one line from the synth, with no stack trace", () => {
    const context = {
      ...CDK_CONTEXT,
      stages: { sandbox: { ...CDK_CONTEXT.stages.sandbox, authorizerConsumerAccount: [] } },
    };
    const synth = spawnSync("node_modules/.bin/tsx", ["infra/app.ts"], {
      encoding: "utf8",
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify(context),
        CDK_OUTDIR: mkdtempSync(join(tmpdir(), "cdk-")),
      },
    });
    expect(synth.status).toBe(1);
    expect(synth.stderr).toBe(
      'cdk.json context "stages.sandbox.authorizerConsumerAccount" is not a setting: did you mean "authorizerConsumerAccounts"?\n',
    );
  });
});

describe("a stage's sessions are dated by the issuer's auth_time, or the stage says why not", () => {
  const generic = { ...CDK_CONTEXT.stages.sandbox };
  const cognito = {
    ...generic,
    requireAuthTime: undefined,
    auth: { cognitoUserPoolId: "sa-east-1_abc", cognitoClientIds: ["client"] },
  };
  const WHY = "the issuer cannot send auth_time yet; refresh tokens live 1 hour";

  it("ships both stages requiring auth_time", () => {
    for (const stage of ["sandbox", "production"])
      expect(CDK_CONTEXT.stages[stage].requireAuthTime, stage).toBe(true);
  });

  it.each([
    ["false", { ...generic, requireAuthTime: false }],
    ["unset for a generic issuer", { ...generic, requireAuthTime: undefined }],
    ["false for a Cognito pool", { ...cognito, requireAuthTime: false }],
  ])("refuses a stage whose auth_time is %s, in one line naming the setting", (_, raw) => {
    const refusal = () => readStageConfig("sandbox", raw);
    expect(refusal).toThrow(StageConfigError);
    expect(refusal).toThrow(
      /^cdk\.json context "stages\.sandbox\.requireAuthTime" is not true: [^\n]+acceptRefreshedSessionsAsNew"$/,
    );
  });

  it("accepts Cognito's default, which requires it", () => {
    expect(() => readStageConfig("sandbox", cognito)).not.toThrow();
  });

  it("refuses an acknowledgement that says nothing", () => {
    for (const acknowledgement of ["", "ok", 42, true])
      expect(() =>
        readStageConfig("sandbox", {
          ...generic,
          requireAuthTime: false,
          acceptRefreshedSessionsAsNew: acknowledgement,
        }),
      ).toThrow('"stages.sandbox.acceptRefreshedSessionsAsNew"');
  });

  it("synthesizes an acknowledged stage, which says so in its template and in a warning", () => {
    const app = new App({
      context: {
        ...CDK_CONTEXT,
        stages: {
          sandbox: { ...generic, requireAuthTime: false, acceptRefreshedSessionsAsNew: WHY },
        },
        "aws:cdk:bundling-stacks": [],
      },
      outdir: mkdtempSync(join(tmpdir(), "cdk-")),
    });
    const assembly = buildStacks(app).synth();
    const stack = assembly.getStackByName("RinneAuthLogout-sandbox");
    expect((stack.template as { Metadata: Record<string, unknown> }).Metadata).toMatchObject({
      "rinne:acceptRefreshedSessionsAsNew": WHY,
    });
    const warnings = stack.messages.filter((message) => message.level === "warning");
    expect(warnings.map((message) => String(message.entry.data))).toEqual(
      expect.arrayContaining([expect.stringContaining("outlives the owner's global logout")]),
    );
  });
});

describe("a first deploy to a new account", () => {
  it("fits the sandbox with no reservation at all, whatever the account's quota", () => {
    expect(CDK_CONTEXT.stages.sandbox.reservedConcurrency).toEqual({});
    expect(() =>
      readStageConfig("sandbox", { ...CDK_CONTEXT.stages.sandbox, accountConcurrencyQuota: 10 }),
    ).not.toThrow();
  });

  it("refuses reservations that leave less than Lambda's 100 unreserved of the stated quota, and accepts the most that fits", () => {
    const production = CDK_CONTEXT.stages.production;
    const reserved = Object.values(production.reservedConcurrency as Record<string, number>).reduce(
      (sum, count) => sum + count,
      0,
    );
    const at = (accountConcurrencyQuota: number) => () =>
      readStageConfig("production", { ...production, accountConcurrencyQuota });
    expect(at(reserved + 100)).not.toThrow();
    expect(at(reserved + 99)).toThrow(
      `reserves ${reserved} of the account's ${reserved + 99} concurrent executions`,
    );
  });
});

describe("one validator for the stage and the function", () => {
  it("fails the synth, naming the variable, where the function would not start", () => {
    const build = () =>
      synthesize(
        (stages) => {
          (stages.sandbox as Record<string, unknown>).auth = {
            issuer: "https://auth-sandbox.rinne.com.br",
            audience: ["*", "rinne-api"],
          };
        },
        { stage: "sandbox" },
      );
    expect(build).toThrow(StageConfigError);
    expect(build).toThrow(/"stages\.sandbox" would not start the functions: .*JWT_AUDIENCE/);
  });

  it("passes the issuer's clock lag to the functions, and fails the synth past its bound", () => {
    const withLag = (lag: number) =>
      synthesize(
        (stages) => {
          (stages.sandbox as Record<string, unknown>).maxIssuerClockLagMs = lag;
        },
        { stage: "sandbox" },
      );
    withLag(1500)
      .template("sandbox")
      .hasResourceProperties("AWS::Lambda::Function", {
        Environment: { Variables: Match.objectLike({ MAX_ISSUER_CLOCK_LAG_MS: "1500" }) },
      });
    expect(() => withLag(2001)).toThrow(/would not start the functions: .*MAX_ISSUER_CLOCK_LAG_MS/);
  });

  it("fails the synth where sessions are bounded shorter than a token may live", () => {
    const build = () =>
      synthesize(
        (stages) => {
          (stages.sandbox as Record<string, unknown>).maxSessionSeconds = 3600;
        },
        { stage: "sandbox" },
      );
    expect(build).toThrow(/would not start the functions: .*MAX_SESSION_SECONDS/);
  });
});
