/**
 * The roles GitHub Actions assumes, read from the synthesized bootstrap stacks: which jobs each
 * trusts (IAM's StringLike on the OIDC subject, evaluated here as IAM does) and what each may do.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { pipelineStack } from "../../infra/app.js";
import { subjectOf } from "../../infra/github-deploy-roles.js";
import { authorizerArnParameter } from "../../infra/stage-authorizer-function.js";
import { readStageConfig } from "../../infra/stage-config.js";
// IAM's StringLike: `*` any run of characters, `?` one; nothing else is special.
import { wildcard } from "../support/iam-policy.js";

const CONTEXT = JSON.parse(readFileSync("cdk.json", "utf8")).context;
const REPOSITORY: string = CONTEXT.pipeline.repository;

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
let templates: Record<string, Resources>;
let outputs: Record<string, Record<string, { Value: unknown; Description: string }>>;

beforeAll(() => {
  // The stacks as the app builds them, without the logout stacks (and their bundling).
  const stacks = ["sandbox", "production"].map((stage) => {
    const app = new App({ context: CONTEXT, outdir: mkdtempSync(join(tmpdir(), "cdk-")) });
    const stack = pipelineStack(
      app,
      readStageConfig(stage, CONTEXT.stages[stage]),
      CONTEXT.pipeline,
    );
    return [stage, Template.fromStack(stack).toJSON()] as const;
  });
  templates = Object.fromEntries(stacks.map(([stage, t]) => [stage, t.Resources as Resources]));
  outputs = Object.fromEntries(stacks.map(([stage, t]) => [stage, t.Outputs]));
});

it.each(["sandbox", "production"])(
  "the %s pipeline stack outputs both roles' ARNs, named for the GitHub variable each fills",
  (stage) => {
    const roleId = (kind: string) =>
      Object.entries(templates[stage] as Resources).find(
        ([, each]) => each.Properties.RoleName === `rinne-auth-${stage}-${kind}`,
      )?.[0];
    expect(outputs[stage]?.DeployRoleArn?.Value).toEqual({
      "Fn::GetAtt": [roleId("deploy"), "Arn"],
    });
    expect(outputs[stage]?.DeployRoleArn?.Description).toContain("AWS_DEPLOY_ROLE_ARN");
    expect(outputs[stage]?.DiffRoleArn?.Value).toEqual({ "Fn::GetAtt": [roleId("diff"), "Arn"] });
    expect(outputs[stage]?.DiffRoleArn?.Description).toContain(`"${stage}-diff"`);
  },
);

function role(stage: string, kind: "deploy" | "diff") {
  const resources = templates[stage] as Resources;
  const [id, resource] = Object.entries(resources).find(
    ([, each]) =>
      each.Type === "AWS::IAM::Role" && each.Properties.RoleName === `rinne-auth-${stage}-${kind}`,
  ) as [string, Resources[string]];
  const trust = (resource.Properties.AssumeRolePolicyDocument as { Statement: Statement[] })
    .Statement;
  const policies = Object.values(resources).filter(
    (each) =>
      each.Type === "AWS::IAM::Policy" &&
      JSON.stringify(each.Properties.Roles) === JSON.stringify([{ Ref: id }]),
  );
  const statements = policies.flatMap(
    (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
  );
  return { trust, statements };
}

/** Whether a job with this OIDC subject may assume the role. */
function trusts(trust: Statement[], subject: string): boolean {
  return trust.some((statement) => {
    const subjects = [statement.Condition?.StringLike?.["token.actions.githubusercontent.com:sub"]]
      .flat()
      .filter((each): each is string => typeof each === "string");
    return (
      statement.Effect === "Allow" &&
      statement.Action === "sts:AssumeRoleWithWebIdentity" &&
      statement.Condition?.StringEquals?.["token.actions.githubusercontent.com:aud"] ===
        "sts.amazonaws.com" &&
      subjects.some((pattern) => wildcard(pattern, subject))
    );
  });
}

describe.each([
  ["sandbox", ["refs/heads/main", "refs/tags/v1.2.0"]],
  ["production", ["refs/tags/v1.2.0"]],
])("the %s deploy role", (stage, allowedRefs) => {
  it("trusts deploy.yml in its environment on its refs, and no pull request, branch or other workflow (property)", () => {
    const { trust } = role(stage, "deploy");
    for (const ref of allowedRefs) {
      expect(trusts(trust, subjectOf(REPOSITORY, stage, ref, "deploy.yml")), ref).toBe(true);
    }
    const refs = fc.oneof(
      fc.constantFrom(...allowedRefs, "refs/heads/main", "refs/tags/v9", "refs/pull/7/merge"),
      fc.stringMatching(/^refs\/(heads|tags|pull)\/[a-z0-9v./-]{1,12}$/),
    );
    fc.assert(
      fc.property(
        refs,
        fc.constantFrom("deploy.yml", "ci.yml", "evil.yml"),
        fc.constantFrom(stage, `${stage}-diff`, "sandbox", "production"),
        fc.constantFrom(REPOSITORY, `${REPOSITORY}-fork`, "someone/else"),
        (ref, workflow, environment, repository) => {
          const allowed =
            repository === REPOSITORY &&
            workflow === "deploy.yml" &&
            environment === stage &&
            (allowedRefs.includes(ref) ||
              (ref.startsWith("refs/tags/v") &&
                allowedRefs.some((r) => r.startsWith("refs/tags/"))) ||
              (ref === "refs/heads/main" && allowedRefs.includes("refs/heads/main")));
          expect(trusts(trust, subjectOf(repository, environment, ref, workflow))).toBe(allowed);
        },
      ),
    );
  });

  it("may assume this account's CDK bootstrap roles and read the authorizer's parameter, nothing else", () => {
    const { account, region } = CONTEXT.stages[stage];
    const { statements } = role(stage, "deploy");
    const qualifier = CONTEXT["@aws-cdk/core:bootstrapQualifier"];
    expect(statements).toEqual([
      {
        Effect: "Allow",
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Resource: ["deploy", "file-publishing", "image-publishing", "lookup"].map(
          (kind) =>
            `arn:aws:iam::${account}:role/cdk-${qualifier}-${kind}-role-${account}-${region}`,
        ),
      },
      {
        Effect: "Allow",
        Action: "ssm:GetParameter",
        Resource: `arn:aws:ssm:${region}:${account}:parameter${authorizerArnParameter(stage)}`,
      },
    ]);
  });
});

describe.each(["sandbox", "production"])("the %s diff role", (stage) => {
  it("trusts diff.yml on main (and, for production, deploy.yml on a tag), never a pull request's job", () => {
    const { trust } = role(stage, "diff");
    const environment = `${stage}-diff`;
    expect(trusts(trust, subjectOf(REPOSITORY, environment, "refs/heads/main", "diff.yml"))).toBe(
      true,
    );
    expect(
      trusts(trust, subjectOf(REPOSITORY, environment, "refs/tags/v1.2.0", "deploy.yml")),
    ).toBe(stage === "production");
    fc.assert(
      fc.property(
        fc.constantFrom(
          "refs/pull/7/merge",
          "refs/heads/feature",
          "refs/heads/main",
          "refs/tags/v9",
        ),
        fc.constantFrom("ci.yml", "diff.yml", "deploy.yml", "evil.yml"),
        fc.constantFrom(environment, stage, "sandbox-diff", "production-diff"),
        fc.constantFrom(REPOSITORY, `${REPOSITORY}-fork`),
        (ref, workflow, env, repository) => {
          const allowed =
            repository === REPOSITORY &&
            env === environment &&
            ((workflow === "diff.yml" && ref === "refs/heads/main") ||
              (stage === "production" &&
                workflow === "deploy.yml" &&
                ref.startsWith("refs/tags/v")));
          expect(
            trusts(trust, subjectOf(repository, env, ref, workflow)),
            `${workflow}@${ref} in ${env}`,
          ).toBe(allowed);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("may only read its stage's own stack's template: no role to assume, no other stack or region", () => {
    const { account, region } = CONTEXT.stages[stage];
    expect(role(stage, "diff").statements).toEqual([
      {
        Effect: "Allow",
        Action: "cloudformation:GetTemplate",
        Resource: `arn:aws:cloudformation:${region}:${account}:stack/RinneAuthLogout-${stage}/*`,
      },
    ]);
  });
});
