/**
 * The CloudFormation execution policy the project ships, held to what the stacks create: every
 * resource type of every synthesized template is granted, no service is granted that no
 * template uses, nothing is granted on every resource of a service that names its resources,
 * and every name the templates give falls within the grant's patterns.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { beforeAll, expect, it } from "vitest";
import { buildStacks } from "../../infra/app.js";
import { executionPolicyDocument, GRANTS } from "../../infra/execution-policy.js";

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
let resources: Resources[string][];

beforeAll(() => {
  const { context } = JSON.parse(readFileSync("cdk.json", "utf8"));
  // Both stages, one of them with a custom domain: every kind of resource the stacks make.
  const stages = {
    ...context.stages,
    production: {
      ...context.stages.production,
      customDomain: {
        domainName: "api.rinne.com.br",
        certificateArn: "arn:aws:acm:sa-east-1:111111111111:certificate/x",
      },
      revocationEventConsumerAccounts: ["333333333333"],
    },
  };
  const assembly = buildStacks(
    new App({
      context: { ...context, stages, "aws:cdk:bundling-stacks": [] },
      outdir: mkdtempSync(join(tmpdir(), "cdk-")),
    }),
  ).synth();
  resources = assembly.stacks.flatMap((stack) =>
    Object.values((stack.template as { Resources: Resources }).Resources),
  );
});

const covers = (pattern: string, type: string) =>
  new RegExp(`^${pattern.replaceAll("*", ".*")}$`).test(type);
const grantOf = (type: string) =>
  GRANTS.find((grant) => grant.resourceTypes.some((pattern) => covers(pattern, type)));

it("grants every resource type the stacks create", () => {
  const types = new Set(resources.map((resource) => resource.Type));
  types.delete("AWS::CDK::Metadata");
  expect([...types].filter((type) => grantOf(type) === undefined)).toEqual([]);
});

it("grants no service the stacks do not use, and nothing on everything but KMS's new keys", () => {
  const used = new Set(resources.map((resource) => grantOf(resource.Type)?.service));
  expect(GRANTS.map((grant) => grant.service).filter((service) => !used.has(service))).toEqual([]);
  for (const grant of GRANTS) {
    // A `*` only where IAM names no resource at creation, and then a condition scopes it.
    if (grant.service !== "kms" && grant.conditions === undefined) {
      expect(grant.resources, grant.service).not.toContain("*");
    }
    expect(grant.actions.some((action) => action === "*" || action.startsWith("iam:*"))).toBe(
      false,
    );
  }
});

it("covers every name the stacks give: log groups, parameters, the pipeline's roles", () => {
  const named = (type: string, property: string) =>
    resources
      .filter((resource) => resource.Type === type)
      .map((resource) => resource.Properties?.[property])
      .filter((name): name is string => typeof name === "string");
  const { Statement } = executionPolicyDocument("aws", "111111111111");
  // The ARN is granted by the statement of its own service: KMS's `*` grants only KMS actions.
  // A conditioned `*` (event source mappings) grants by the function it feeds, checked below.
  const granted = (name: string) =>
    Statement.some(
      (statement) =>
        !("Condition" in statement) &&
        statement.Action.some((action) => action.startsWith(`${name.split(":")[2]}:`)) &&
        statement.Resource.some((pattern) => covers(pattern, name)),
    );
  for (const name of named("AWS::Logs::LogGroup", "LogGroupName"))
    expect(granted(`arn:aws:logs:sa-east-1:111111111111:log-group:${name}`), name).toBe(true);
  for (const name of named("AWS::SSM::Parameter", "Name"))
    expect(granted(`arn:aws:ssm:sa-east-1:111111111111:parameter${name}`), name).toBe(true);
  for (const name of named("AWS::IAM::Role", "RoleName"))
    expect(granted(`arn:aws:iam::111111111111:role/${name}`), name).toBe(true);
  for (const name of named("AWS::Events::EventBus", "Name"))
    expect(granted(`arn:aws:events:sa-east-1:111111111111:event-bus/${name}`), name).toBe(true);
  // A rule on the stage's bus, named by CloudFormation after the stack.
  expect(
    granted(
      "arn:aws:events:sa-east-1:111111111111:rule/rinne-auth-production/RinneAuthLogout-production-RevocationEventsTo3-X",
    ),
  ).toBe(true);
  // Names CloudFormation generates start with the stack's: those of these stacks only.
  expect(
    granted(
      "arn:aws:lambda:sa-east-1:111111111111:function:RinneAuthLogout-sandbox-LogoutFunction1",
    ),
  ).toBe(true);
  expect(granted("arn:aws:lambda:sa-east-1:111111111111:function:payments-prod")).toBe(false);
  const mappings = Statement.find((statement) => "Condition" in statement);
  expect(mappings?.Condition).toEqual({
    ArnLikeIfExists: {
      "lambda:FunctionArn": [
        "arn:aws:lambda:*:111111111111:function:RinneAuthLogout-*",
        "arn:aws:lambda:*:111111111111:function:RinneAuthPipeline-*",
      ],
    },
  });
  expect(granted("arn:aws:iam::111111111111:role/OrganizationAccountAccessRole")).toBe(false);
});
