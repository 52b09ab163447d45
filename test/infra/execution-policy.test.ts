/**
 * The execution policy and the permissions boundary the project ships, held to the templates of
 * every kind of stage (custom domain, consumer accounts, operators, a Cognito pool with a client
 * secret, a named bus and topic) and evaluated as IAM does (test/support/iam-policy.ts):
 * complete, every call CloudFormation makes for the stacks' resources is allowed on the stacks'
 * own resources; bounded, each escalation a template could attempt is denied, beside a control
 * that the legitimate call is allowed.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildStacks } from "../../infra/app.js";
import {
  executionPolicyDocument,
  executionPolicyDocuments,
  executionPolicyName,
  MANAGED_POLICY_MAX_CHARACTERS,
  NEVER_CALLED,
  PASSED_TO_SERVICES,
  PERMISSIONS_BOUNDARY_NAME,
  permissionsBoundaryDocument,
  policySize,
  requiredActions,
} from "../../infra/execution-policy.js";
import requirements from "../../infra/execution-policy-requirements.json" with { type: "json" };
import { evaluate, type IamRequest, type Policy, wildcard } from "../support/iam-policy.js";
import { MOTO_INSTALLED, type MotoServer, startMotoServer } from "../support/moto-server.js";

const ACCOUNT = "111111111111";
const REGION = "sa-east-1";
const { context } = JSON.parse(readFileSync("cdk.json", "utf8"));
const QUALIFIER = context["@aws-cdk/core:bootstrapQualifier"] as string;
const place = { account: ACCOUNT, qualifier: QUALIFIER };
const execution = executionPolicyDocument(place) as Policy;
const parts = executionPolicyDocuments(place) as Policy[];
const boundary = permissionsBoundaryDocument(place) as Policy;
const BOUNDARY_ARN = `arn:aws:iam::${ACCOUNT}:policy/${PERMISSIONS_BOUNDARY_NAME}`;

type Resource = { Type: string; Properties?: Record<string, unknown> };
let stacks: { name: string; resources: Record<string, Resource>; manifest: unknown }[];

beforeAll(() => {
  const every = {
    ...context.stages.production,
    account: ACCOUNT,
    customDomain: {
      domainName: "api.rinne.com.br",
      certificateArn: `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/x`,
    },
    revocationEventConsumerAccounts: ["333333333333"],
    authorizerConsumerAccounts: ["444444444444"],
    operators: [`arn:aws:iam::${ACCOUNT}:role/oncall`],
  };
  const cognito = {
    ...context.stages.sandbox,
    auth: {
      cognitoUserPoolId: `${REGION}_abc`,
      cognitoClientIds: ["client"],
      clientSecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rinne/clients-AbC`,
    },
    eventBusArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/rinne-auth-shared`,
    alarmTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:oncall`,
  };
  const assembly = buildStacks(
    new App({
      context: {
        ...context,
        stages: { ...context.stages, every, cognito },
        "aws:cdk:bundling-stacks": [],
      },
      outdir: mkdtempSync(join(tmpdir(), "cdk-")),
    }),
  ).synth();
  stacks = assembly.stacks.map((stack) => ({
    name: stack.stackName,
    resources: (stack.template as { Resources: Record<string, Resource> }).Resources,
    manifest: stack.manifest,
  }));
});

const logoutStacks = () => stacks.filter((stack) => stack.name.startsWith("RinneAuthLogout-"));
const resourcesOf = (type: string) =>
  logoutStacks().flatMap((stack) =>
    Object.entries(stack.resources)
      .filter(([, resource]) => resource.Type === type)
      .map(([id, resource]) => ({ id, resource, stack: stack.name })),
  );

/** A resource of these stacks, as IAM would name it in a call about it. */
const own = {
  function: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:RinneAuthLogout-production-LogoutFunction-Ab1`,
  mapping: `arn:aws:lambda:${REGION}:${ACCOUNT}:event-source-mapping:6f1c2b0e-0000-4000-8000-000000000000`,
  table: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/RinneAuthLogout-production-RevocationsTable-Ab1`,
  logGroup: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/rinne/production/logout`,
  role: `arn:aws:iam::${ACCOUNT}:role/RinneAuthLogout-production-LogoutRole-Ab1`,
  key: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  api: `arn:aws:apigateway:${REGION}::/apis/a1b2c3/routes/r1`,
  parameter: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/rinne/production/auth/table-name`,
  topic: `arn:aws:sns:${REGION}:${ACCOUNT}:RinneAuthLogout-production-AlarmTopic-Ab1`,
  queue: `arn:aws:sqs:${REGION}:${ACCOUNT}:RinneAuthLogout-production-DeadLetters-Ab1`,
  bus: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/rinne-auth-production`,
  alarm: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:RinneAuthLogout-production-LogoutErrors-Ab1`,
  asset: `arn:aws:s3:::cdk-${QUALIFIER}-assets-${ACCOUNT}-${REGION}/abc.zip`,
};

/** The call CloudFormation makes for this action on the stacks' own resource of its service. */
function ownCall(action: string, type: string): IamRequest {
  const [service] = action.split(":");
  const ours = { "aws:ResourceTag/service": "rinne-auth-logout" };
  switch (service) {
    case "lambda":
      return /EventSourceMapping$/.test(action)
        ? { action, resource: own.mapping, context: { "lambda:FunctionArn": own.function } }
        : {
            action,
            resource: type === "AWS::Lambda::EventSourceMapping" ? own.mapping : own.function,
          };
    case "dynamodb":
      return { action, resource: own.table };
    case "logs":
      return { action, resource: own.logGroup };
    case "iam":
      return action === "iam:CreateServiceLinkedRole"
        ? {
            action,
            resource: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/replication.dynamodb.amazonaws.com/AWSServiceRoleForDynamoDBReplication`,
            context: { "iam:AWSServiceName": "replication.dynamodb.amazonaws.com" },
          }
        : {
            action,
            resource: own.role,
            context: {
              "iam:PermissionsBoundary": BOUNDARY_ARN,
              "iam:PassedToService": "lambda.amazonaws.com",
            },
          };
    case "kms":
      return action === "kms:CreateKey"
        ? { action, resource: "*", context: { "aws:RequestTag/service": "rinne-auth-logout" } }
        : { action, resource: own.key, context: ours };
    case "apigateway":
      return { action, resource: own.api };
    case "ssm":
      return { action, resource: own.parameter };
    case "sns":
      return { action, resource: own.topic };
    case "sqs":
      return { action, resource: own.queue };
    case "events":
      return { action, resource: own.bus };
    case "cloudwatch":
      return { action, resource: own.alarm };
    case "s3":
      return { action, resource: own.asset };
    default:
      // Look-ups that IAM scopes to no resource.
      return { action, resource: "*" };
  }
}

const neverCalled = (action: string) =>
  Object.keys(NEVER_CALLED).some((pattern) => wildcard(pattern, action, true));

describe("the policies as IAM takes them", () => {
  it("fit IAM's quota for a managed policy, each part and the boundary", () => {
    expect(parts.length).toBeGreaterThan(1);
    for (const part of [...parts, boundary])
      expect(policySize(part as never)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARACTERS);
    // (Control: the whole would not.)
    expect(policySize(execution as never)).toBeGreaterThan(MANAGED_POLICY_MAX_CHARACTERS);
  });

  it("lose or add nothing in parts: the parts decide every request as the whole does", () => {
    expect(parts.flatMap((part) => part.Statement)).toEqual(execution.Statement);
  });

  it("are named in the deploy guide as many as there are parts", () => {
    const guide = readFileSync("docs/deploying.md", "utf8");
    expect(guide).toContain(`for part in ${parts.map((_, index) => index + 1).join(" ")}; do`);
  });
});

describe.skipIf(!MOTO_INSTALLED)("the policies, as moto's IAM validates a document", () => {
  let moto: MotoServer | undefined;
  beforeAll(async () => {
    moto = await startMotoServer(25_000);
  });
  afterAll(async () => {
    await moto?.stop();
  });
  const createPolicy = async (name: string, document: unknown) => {
    const response = await fetch(moto?.endpoint as string, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization:
          "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
      },
      body: new URLSearchParams({
        Action: "CreatePolicy",
        Version: "2010-05-08",
        PolicyName: name,
        PolicyDocument: JSON.stringify(document),
      }),
    });
    return { ok: response.ok, text: await response.text() };
  };

  it("accepts each part and the boundary; refuses a malformed one (control)", async () => {
    for (const [index, part] of parts.entries()) {
      const created = await createPolicy(executionPolicyName(index + 1), part);
      expect(created.text, `part ${index + 1}`).toContain("<CreatePolicyResponse");
    }
    expect((await createPolicy(PERMISSIONS_BOUNDARY_NAME, boundary)).ok).toBe(true);
    const malformed = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: "*",
          Condition: { StringEqualz: { a: "b" } },
        },
      ],
    };
    expect((await createPolicy("malformed", malformed)).text).toContain("MalformedPolicyDocument");
  });
});

describe("the execution policy is complete", () => {
  it("knows every resource type the logout stacks create, and no type they do not", () => {
    const used = new Set(
      logoutStacks().flatMap((stack) => Object.values(stack.resources).map((r) => r.Type)),
    );
    const known = new Set(requiredActions().keys());
    // `cdk synth` adds it (analytics), an App in a test does not: its calls are the template's.
    used.add("AWS::CDK::Metadata");
    expect([...used].filter((type) => !known.has(type))).toEqual([]);
    expect([...known].filter((type) => !used.has(type))).toEqual([]);
  });

  it("names a source for every type and every documented call", () => {
    for (const [type, entry] of Object.entries(requirements.resourceTypes))
      expect(entry.source, type).toMatch(
        /^https:\/\/github\.com\/[^/]+\/[^/]+\/blob\/[0-9a-f]{40}\//,
      );
    for (const extra of requirements.documented)
      expect(extra.source, extra.resourceType).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
  });

  it("allows every call of every type's handlers on the stacks' own resources, but those never called", () => {
    const refused: string[] = [];
    for (const [type, actions] of requiredActions()) {
      for (const action of actions) {
        if (neverCalled(action)) continue;
        const decision = evaluate([execution], ownCall(action, type));
        if (decision !== "allowed") refused.push(`${type}: ${action} (${decision})`);
      }
    }
    expect(refused).toEqual([]);
  });

  it("gives every action it leaves out a reason, and leaves out only actions a type requires", () => {
    const required = [...requiredActions().values()].flatMap((set) => [...set]);
    for (const [pattern, reason] of Object.entries(NEVER_CALLED)) {
      expect(reason.length, pattern).toBeGreaterThan(20);
      expect(
        required.some((action) => wildcard(pattern, action, true)),
        pattern,
      ).toBe(true);
    }
  });

  it("covers the names the templates give: log groups, parameters, buses", () => {
    const named = (type: string, property: string) =>
      resourcesOf(type)
        .map(({ resource }) => resource.Properties?.[property])
        .filter((name): name is string => typeof name === "string");
    const allowed = (action: string, resource: string, extra: Record<string, string> = {}) =>
      evaluate([execution], { action, resource, context: extra }) === "allowed";
    for (const name of named("AWS::Logs::LogGroup", "LogGroupName"))
      expect(
        allowed("logs:CreateLogGroup", `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`),
        name,
      ).toBe(true);
    for (const name of named("AWS::SSM::Parameter", "Name"))
      expect(
        allowed("ssm:PutParameter", `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`),
        name,
      ).toBe(true);
    for (const name of named("AWS::Events::EventBus", "Name"))
      expect(
        allowed("events:CreateEventBus", `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`),
        name,
      ).toBe(true);
    for (const name of named("AWS::CloudWatch::Dashboard", "DashboardName"))
      expect(
        allowed("cloudwatch:PutDashboard", `arn:aws:cloudwatch::${ACCOUNT}:dashboard/${name}`),
        name,
      ).toBe(true);
    // A rule on the stage's bus, named by CloudFormation after the stack.
    expect(
      allowed(
        "events:PutRule",
        `arn:aws:events:${REGION}:${ACCOUNT}:rule/rinne-auth-every/RinneAuthLogout-every-RevocationEventsTo3-X`,
      ),
    ).toBe(true);
  });

  it("leaves the pipeline's stacks to the administrator's credentials: never the execution role", () => {
    const pipelines = stacks.filter((stack) => stack.name.startsWith("RinneAuthPipeline-"));
    expect(pipelines.length).toBeGreaterThan(0);
    for (const { name, manifest } of pipelines) {
      const properties = (manifest as { properties?: Record<string, unknown> }).properties ?? {};
      expect(properties.cloudFormationExecutionRoleArn, name).toBeUndefined();
      expect(properties.assumeRoleArn, name).toBeUndefined();
    }
    for (const { name, manifest } of logoutStacks()) {
      const properties = (manifest as { properties: Record<string, string> }).properties;
      expect(properties.cloudFormationExecutionRoleArn, name).toContain(
        `cdk-${QUALIFIER}-cfn-exec-role`,
      );
    }
  });
});

describe("the permissions boundary", () => {
  it("is carried by every role the logout stacks create", () => {
    const roles = resourcesOf("AWS::IAM::Role");
    expect(roles.length).toBeGreaterThan(8);
    for (const { id, resource, stack } of roles) {
      expect(JSON.stringify(resource.Properties?.PermissionsBoundary), `${stack}/${id}`).toContain(
        `:policy/${PERMISSIONS_BOUNDARY_NAME}`,
      );
    }
  });

  it("allows every action the roles' policies grant, on the resources they name", () => {
    /** A resource of the template as IAM names it: literal ARNs, or an attribute of ours. */
    const resourceOf = (stack: string, value: unknown): string[] => {
      if (typeof value === "string") return [value];
      if (Array.isArray(value)) return value.flatMap((each) => resourceOf(stack, each));
      const getAtt = (value as { "Fn::GetAtt"?: [string, string] })["Fn::GetAtt"];
      const target = logoutStacks().find((each) => each.name === stack)?.resources[
        getAtt?.[0] ?? ""
      ];
      switch (target?.Type) {
        case "AWS::Logs::LogGroup":
          return [
            `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${target.Properties?.LogGroupName}:*`,
          ];
        case "AWS::DynamoDB::GlobalTable":
          return [
            getAtt?.[1] === "StreamArn" ? `${own.table}/stream/2026-12-07T00:00:00.000` : own.table,
          ];
        case "AWS::SQS::Queue":
          return [own.queue];
        case "AWS::Events::EventBus":
          return [own.bus];
        default:
          throw new Error(`no sample ARN for ${JSON.stringify(value)}`);
      }
    };
    const refused: string[] = [];
    for (const { resource, stack } of resourcesOf("AWS::IAM::Policy")) {
      const document = resource.Properties?.PolicyDocument as {
        Statement: { Action: string | string[]; Resource: unknown }[];
      };
      for (const statement of document.Statement) {
        for (const action of [statement.Action].flat()) {
          for (const arn of resourceOf(stack, statement.Resource)) {
            if (evaluate([boundary], { action, resource: arn }) !== "allowed")
              refused.push(`${stack}: ${action} on ${arn}`);
          }
        }
      }
    }
    expect(refused).toEqual([]);
  });

  it("caps a role given AdministratorAccess: nothing beyond what the functions do", () => {
    const administrator: Policy = {
      Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
    };
    const escalations: IamRequest[] = [
      { action: "iam:CreateUser", resource: `arn:aws:iam::${ACCOUNT}:user/backdoor` },
      { action: "iam:PutRolePolicy", resource: own.role },
      {
        action: "sts:AssumeRole",
        resource: `arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole`,
      },
      { action: "lambda:UpdateFunctionCode", resource: own.function },
      { action: "s3:GetObject", resource: "arn:aws:s3:::payments-exports/all.csv" },
      { action: "dynamodb:Scan", resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/payments` },
      {
        action: "dynamodb:PutItem",
        resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/payments`,
      },
      {
        action: "secretsmanager:GetSecretValue",
        resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:payments/db-Ab1`,
      },
      { action: "kms:Decrypt", resource: own.key },
      {
        action: "logs:PutLogEvents",
        resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/payments/audit:*`,
      },
    ];
    for (const request of escalations)
      expect(evaluate([administrator], request, boundary), request.action).not.toBe("allowed");
    // Control: what a function does is still allowed under the boundary.
    expect(
      evaluate([administrator], { action: "dynamodb:PutItem", resource: own.table }, boundary),
    ).toBe("allowed");
  });
});

describe("the execution policy cannot mint an administrator", () => {
  const decide = (request: IamRequest) => evaluate([execution], request);
  const withBoundary = { "iam:PermissionsBoundary": BOUNDARY_ARN };

  it("makes a role, or gives one a policy or a boundary, only with the project's boundary", () => {
    for (const action of [
      "iam:CreateRole",
      "iam:PutRolePolicy",
      "iam:PutRolePermissionsBoundary",
    ]) {
      expect(decide({ action, resource: own.role, context: withBoundary }), action).toBe("allowed");
      expect(decide({ action, resource: own.role }), action).not.toBe("allowed");
      expect(
        decide({
          action,
          resource: own.role,
          context: { "iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess" },
        }),
        action,
      ).not.toBe("allowed");
    }
    expect(decide({ action: "iam:DeleteRolePermissionsBoundary", resource: own.role })).toBe(
      "explicitly denied",
    );
  });

  it("attaches no managed policy, AdministratorAccess least of all", () => {
    expect(
      decide({
        action: "iam:AttachRolePolicy",
        resource: own.role,
        context: {
          ...withBoundary,
          "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess",
        },
      }),
    ).toBe("explicitly denied");
  });

  it("never touches the pipeline's roles, CDK's roles, users, or the two policies", () => {
    const targets = [
      `arn:aws:iam::${ACCOUNT}:role/rinne-auth-production-deploy`,
      `arn:aws:iam::${ACCOUNT}:role/rinne-auth-sandbox-diff`,
      `arn:aws:iam::${ACCOUNT}:role/cdk-${QUALIFIER}-cfn-exec-role-${ACCOUNT}-${REGION}`,
      `arn:aws:iam::${ACCOUNT}:user/admin`,
      BOUNDARY_ARN,
      ...parts.map(
        (_, index) => `arn:aws:iam::${ACCOUNT}:policy/${executionPolicyName(index + 1)}`,
      ),
    ];
    const actions = [
      "iam:UpdateAssumeRolePolicy",
      "iam:PutRolePolicy",
      "iam:AttachRolePolicy",
      "iam:CreatePolicyVersion",
      "iam:SetDefaultPolicyVersion",
      "iam:DeletePolicy",
      "iam:CreateAccessKey",
      "iam:PassRole",
    ];
    for (const resource of targets)
      for (const action of actions)
        expect(
          decide({
            action,
            resource,
            context: { ...withBoundary, "iam:PassedToService": "lambda.amazonaws.com" },
          }),
          `${action} ${resource}`,
        ).not.toBe("allowed");
  });

  it("passes the stacks' roles only to the services that use them", () => {
    for (const service of PASSED_TO_SERVICES)
      expect(
        decide({
          action: "iam:PassRole",
          resource: own.role,
          context: { "iam:PassedToService": service },
        }),
      ).toBe("allowed");
    for (const service of [
      "ec2.amazonaws.com",
      "cloudformation.amazonaws.com",
      "ecs-tasks.amazonaws.com",
      "glue.amazonaws.com",
    ])
      expect(
        decide({
          action: "iam:PassRole",
          resource: own.role,
          context: { "iam:PassedToService": service },
        }),
        service,
      ).not.toBe("allowed");
    expect(decide({ action: "iam:PassRole", resource: own.role }), "no service named").not.toBe(
      "allowed",
    );
    expect(
      decide({
        action: "iam:PassRole",
        resource: `arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole`,
        context: { "iam:PassedToService": "lambda.amazonaws.com" },
      }),
    ).not.toBe("allowed");
  });

  it("changes no key policy but its own keys', and locks no key out", () => {
    const ours = { "aws:ResourceTag/service": "rinne-auth-logout" };
    expect(decide({ action: "kms:PutKeyPolicy", resource: own.key, context: ours })).toBe(
      "allowed",
    );
    expect(decide({ action: "kms:PutKeyPolicy", resource: own.key })).not.toBe("allowed");
    expect(
      decide({
        action: "kms:PutKeyPolicy",
        resource: own.key,
        context: { "aws:ResourceTag/service": "payments" },
      }),
    ).not.toBe("allowed");
    expect(decide({ action: "kms:CreateKey", resource: "*" })).not.toBe("allowed");
    expect(
      decide({
        action: "kms:PutKeyPolicy",
        resource: own.key,
        context: { ...ours, "kms:BypassPolicyLockoutSafetyCheck": "true" },
      }),
    ).toBe("explicitly denied");
  });

  it("grants no service wholesale, and no other team's function, table, topic or REST API", () => {
    for (const statement of execution.Statement.filter(({ Effect }) => Effect === "Allow"))
      for (const action of [statement.Action].flat())
        expect(action, statement.Sid).not.toMatch(/(^\*$|:\*$)/);
    const others: IamRequest[] = [
      {
        action: "lambda:UpdateFunctionCode",
        resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:payments-prod`,
      },
      {
        action: "dynamodb:DeleteTable",
        resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/payments`,
      },
      {
        action: "sns:SetTopicAttributes",
        resource: `arn:aws:sns:${REGION}:${ACCOUNT}:payments-alerts`,
      },
      { action: "apigateway:PATCH", resource: `arn:aws:apigateway:${REGION}::/restapis/abc123` },
      {
        action: "ssm:PutParameter",
        resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/payments/db`,
      },
      { action: "s3:GetObject", resource: "arn:aws:s3:::payments-exports/all.csv" },
    ];
    for (const request of others) expect(decide(request), request.resource).not.toBe("allowed");
  });

  it("allows no IAM write on any role outside the stacks', whatever the request carries (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          "iam:CreateRole",
          "iam:PutRolePolicy",
          "iam:UpdateAssumeRolePolicy",
          "iam:AttachRolePolicy",
          "iam:PassRole",
          "iam:DeleteRole",
          "iam:PutRolePermissionsBoundary",
        ),
        fc
          .stringMatching(/^[A-Za-z0-9+=,.@_-]{1,40}$/)
          .filter((name) => !name.startsWith("RinneAuthLogout-")),
        fc.constantFrom(BOUNDARY_ARN, "arn:aws:iam::aws:policy/AdministratorAccess", undefined),
        fc.constantFrom(...PASSED_TO_SERVICES, "ec2.amazonaws.com"),
        (action, name, permissionsBoundary, service) => {
          const request: IamRequest = {
            action,
            resource: `arn:aws:iam::${ACCOUNT}:role/${name}`,
            context: {
              "iam:PassedToService": service,
              ...(permissionsBoundary ? { "iam:PermissionsBoundary": permissionsBoundary } : {}),
            },
          };
          expect(decide(request)).not.toBe("allowed");
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("the IAM evaluator the tests rely on", () => {
  const policy: Policy = {
    Statement: [
      { Effect: "Allow", Action: "s3:Get*", Resource: "arn:aws:s3:::bucket/*" },
      {
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: "arn:aws:iam::1:role/app-?",
        Condition: { StringEquals: { "iam:PassedToService": ["lambda.amazonaws.com"] } },
      },
      {
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: "*",
        Condition: { StringLikeIfExists: { "kms:ViaService": "s3.*" } },
      },
      { Effect: "Deny", Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/secret*" },
    ],
  };
  it.each([
    [{ action: "S3:GETOBJECT", resource: "arn:aws:s3:::bucket/a" }, "allowed"],
    [{ action: "s3:GetObject", resource: "arn:aws:s3:::Bucket/a" }, "implicitly denied"],
    [{ action: "s3:GetObject", resource: "arn:aws:s3:::bucket/secret.txt" }, "explicitly denied"],
    [{ action: "s3:PutObject", resource: "arn:aws:s3:::bucket/a" }, "implicitly denied"],
    [
      {
        action: "iam:PassRole",
        resource: "arn:aws:iam::1:role/app-1",
        context: { "iam:PassedToService": "lambda.amazonaws.com" },
      },
      "allowed",
    ],
    [
      {
        action: "iam:PassRole",
        resource: "arn:aws:iam::1:role/app-12",
        context: { "iam:PassedToService": "lambda.amazonaws.com" },
      },
      "implicitly denied",
    ],
    [{ action: "iam:PassRole", resource: "arn:aws:iam::1:role/app-1" }, "implicitly denied"],
    [{ action: "kms:Decrypt", resource: "k" }, "allowed"],
    [
      {
        action: "kms:Decrypt",
        resource: "k",
        context: { "kms:ViaService": "s3.sa-east-1.amazonaws.com" },
      },
      "allowed",
    ],
    [
      {
        action: "kms:Decrypt",
        resource: "k",
        context: { "kms:ViaService": "sqs.sa-east-1.amazonaws.com" },
      },
      "implicitly denied",
    ],
  ] as const)("%j is %s", (request, decision) => {
    expect(evaluate([policy], request as IamRequest)).toBe(decision);
  });

  it("takes the boundary's word too", () => {
    const request = { action: "s3:GetObject", resource: "arn:aws:s3:::bucket/a" };
    expect(evaluate([policy], request, { Statement: [] })).toBe("implicitly denied");
    expect(evaluate([policy], request, policy)).toBe("allowed");
  });
});
