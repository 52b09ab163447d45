import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { Bucket } from "aws-cdk-lib/aws-s3";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { REVOCATION_TABLE } from "../../functions/revocation/revocation-table.js";
import { buildApp } from "../../infra/app.js";
import { ROUTE_PATH } from "../../infra/logout-stack.js";
import { readStageConfig, StageConfigError } from "../../infra/stage-config.js";

const CDK_CONTEXT = JSON.parse(readFileSync("cdk.json", "utf8")).context;
type Stages = Record<string, Record<string, unknown>>;

/** Synthesizes the real app (cdk-nag included) with cdk.json's context, changed as given. */
function synthesize(change: (stages: Stages) => void = () => undefined) {
  const context = structuredClone(CDK_CONTEXT);
  change(context.stages);
  const app = buildApp(new App({ context, outdir: mkdtempSync(join(tmpdir(), "cdk-")) }));
  const assembly = app.synth();
  const template = (stage: string) =>
    Template.fromJSON(assembly.getStackByName(`RinneAuthLogout-${stage}`).template);
  return { assembly, template };
}

let sandbox: Template;
let production: Template;
let outdir: string;

beforeAll(() => {
  const { assembly, template } = synthesize();
  sandbox = template("sandbox");
  production = template("production");
  outdir = assembly.directory;
});

describe.each([
  ["sandbox", () => sandbox, 30, 50, 100],
  ["production", () => production, 365, 500, 1000],
])("the %s stack", (stage, template, retentionDays, rateLimit, burstLimit) => {
  it("routes exactly POST /core/v1/auth/logout to the function, with no authorizer", () => {
    template().resourceCountIs("AWS::ApiGatewayV2::Api", 1);
    template().resourceCountIs("AWS::ApiGatewayV2::Route", 1);
    template().hasResourceProperties("AWS::ApiGatewayV2::Route", {
      RouteKey: `POST ${ROUTE_PATH}`,
      AuthorizationType: "NONE",
    });
    template().resourceCountIs("AWS::ApiGatewayV2::Authorizer", 0);
    template().hasResourceProperties("AWS::ApiGatewayV2::Integration", {
      IntegrationType: "AWS_PROXY",
      PayloadFormatVersion: "2.0",
    });
    expect(ROUTE_PATH).toBe("/core/v1/auth/logout");
  });

  it("runs Node.js 24 on arm64 with its memory and timeout, source maps off at run time", () => {
    template().hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      MemorySize: 512,
      Timeout: 15,
      Handler: "index.handler",
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: Match.absent() }) },
    });
  });

  it("configures the function from the stage's context", () => {
    const auth = CDK_CONTEXT.stages[stage].auth;
    template().hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: {
          JWT_ISSUER: auth.issuer,
          JWT_AUDIENCE: auth.audience.join(","),
          REVOCATION_TABLE_NAME: { Ref: Match.stringLikeRegexp("RevocationTable") },
          MAX_SESSION_SECONDS: String(CDK_CONTEXT.stages[stage].maxSessionSeconds),
          MAX_TOKEN_LIFETIME_SECONDS: String(CDK_CONTEXT.stages[stage].maxTokenLifetimeSeconds),
          POWERTOOLS_SERVICE_NAME: "auth-logout",
          LOG_LEVEL: CDK_CONTEXT.stages[stage].logLevel,
        },
      },
    });
  });

  it("keeps the function's logs and the access logs with the stage's retention", () => {
    template().resourceCountIs("AWS::Logs::LogGroup", 2);
    template().allResourcesProperties("AWS::Logs::LogGroup", { RetentionInDays: retentionDays });
    template().hasResourceProperties("AWS::Lambda::Function", {
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp("FunctionLogs") } },
    });
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
        DestinationArn: { "Fn::GetAtt": [expect.stringMatching(/^ApiAccessLogs/), "Arn"] },
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
        AllowHeaders: ["Authorization", "Content-Type"],
      },
    });
  });

  it("alarms on function errors, throttles, p99 duration and API 5xx", () => {
    template().resourceCountIs("AWS::CloudWatch::Alarm", 4);
    for (const [metric, extra] of [
      ["Errors", {}],
      ["Throttles", {}],
      ["Duration", { ExtendedStatistic: "p99" }],
      ["5xx", {}],
    ] as const) {
      template().hasResourceProperties("AWS::CloudWatch::Alarm", {
        MetricName: metric,
        ...extra,
      });
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

  it("lets the function only read and write its table and its own logs", () => {
    const policies = Object.values(template().findResources("AWS::IAM::Policy"));
    expect(policies).toHaveLength(1);
    const statements = (
      policies[0] as { Properties: { PolicyDocument: { Statement: { Action: string[] }[] } } }
    ).Properties.PolicyDocument.Statement;
    const actions = statements.flatMap((statement) => [statement.Action].flat()).sort();
    expect(actions).toEqual([
      "dynamodb:BatchGetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]);
    template().hasResourceProperties("AWS::IAM::Role", {
      ManagedPolicyArns: Match.absent(),
    });
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

  it("sends alarms to the stage's SNS topic when it names one", () => {
    const topic = "arn:aws:sns:us-east-1:111122223333:rinne-alarms";
    const { template } = synthesize((stages) => {
      (stages.production as Record<string, unknown>).alarmTopicArn = topic;
    });
    template("production").allResourcesProperties("AWS::CloudWatch::Alarm", {
      AlarmActions: [topic],
    });
    sandbox.allResourcesProperties("AWS::CloudWatch::Alarm", { AlarmActions: Match.absent() });
  });

  it("maps a custom domain where one is given, and then closes the default endpoint", () => {
    const { template } = synthesize((stages) => {
      (stages.sandbox as Record<string, unknown>).customDomain = {
        domainName: "api-sandbox.rinne.com.br",
        certificateArn: "arn:aws:acm:us-east-1:111122223333:certificate/abc",
      };
    });
    template("sandbox").hasResourceProperties("AWS::ApiGatewayV2::DomainName", {
      DomainName: "api-sandbox.rinne.com.br",
    });
    template("sandbox").resourceCountIs("AWS::ApiGatewayV2::ApiMapping", 1);
    template("sandbox").hasResourceProperties("AWS::ApiGatewayV2::Api", {
      DisableExecuteApiEndpoint: true,
    });
    template("sandbox").hasOutput("LogoutEndpoint", {
      Value: `https://api-sandbox.rinne.com.br${ROUTE_PATH}`,
    });
    sandbox.resourceCountIs("AWS::ApiGatewayV2::DomainName", 0);
  });

  it("configures a Cognito user pool where the stage names one, and may sign its users out", () => {
    const secretArn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:rinne/clients-AbCdEf";
    const { template } = synthesize((stages) => {
      (stages.sandbox as Record<string, unknown>).auth = {
        cognitoUserPoolId: "us-east-1_AbC123",
        cognitoClientIds: ["client-a", "client-b"],
        clientSecretArn: secretArn,
      };
    });
    const statements = Object.values(template("sandbox").findResources("AWS::IAM::Policy")).flatMap(
      (policy) =>
        (policy as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } })
          .Properties.PolicyDocument.Statement,
    );
    expect(statements).toContainEqual({
      Action: "cognito-idp:AdminUserGlobalSignOut",
      Effect: "Allow",
      Resource: {
        "Fn::Join": [
          "",
          [
            "arn:",
            { Ref: "AWS::Partition" },
            ":cognito-idp:us-east-1:",
            { Ref: "AWS::AccountId" },
            ":userpool/us-east-1_AbC123",
          ],
        ],
      },
    });
    expect(statements).toContainEqual({
      Action: "secretsmanager:GetSecretValue",
      Effect: "Allow",
      Resource: secretArn,
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

describe("cdk-nag AwsSolutions", () => {
  it("finds nothing unacknowledged in either stage", () => {
    const report = JSON.parse(readFileSync(join(outdir, "validation-report.json"), "utf8"));
    expect(report.pluginReports).toEqual([]);
  });

  it("acknowledges only what a reviewer would accept, each with its reason", () => {
    const metadata = JSON.stringify(sandbox.toJSON());
    const acknowledged = [
      ...metadata.matchAll(/"id":"(AwsSolutions-[A-Z0-9]+)","reason":"([^"]+)"/g),
    ];
    expect(new Set(acknowledged.map(([, id]) => id))).toEqual(new Set(["AwsSolutions-APIG4"]));
    expect(acknowledged[0]?.[2]).toMatch(/AuthenticationErrorResponse envelope/);
  });

  it("is really checking: a non-compliant resource fails the synth", () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "cdk-")) });
    new Bucket(new Stack(app, "Control"), "UnloggedBucket");
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
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
  ])("refuse a bad value, naming its context key (%#)", (raw, key) => {
    expect(() => readStageConfig("sandbox", raw)).toThrow(StageConfigError);
    expect(() => readStageConfig("sandbox", raw)).toThrow(`"${key}"`);
  });
});
