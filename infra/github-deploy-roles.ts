/**
 * The roles GitHub Actions assumes for one stage, by OIDC: no AWS keys anywhere. Each role's
 * trust is bound to the repository, the GitHub environment, the ref and the workflow file (the
 * repository's OIDC subject is customised to carry `ref` and `job_workflow_ref`; the README
 * shows the one call), so a pull request cannot turn its own code into a deploy:
 * - `deploy`: only `deploy.yml` on `main` or a `v*` tag (production: tags only), in the stage's
 *   environment; it may assume the CDK bootstrap roles of this account and read the stage's
 *   published parameters (the smoke test), nothing else;
 * - `diff`: only `diff.yml` on `main` (it runs when ci finishes, on the default branch's code,
 *   and reads one template of a pull request's artifact as data), and, for production,
 *   `deploy.yml` on a `v*` tag, each in the `<stage>-diff` environment; it may only read the
 *   stage's own stack's template (`cloudformation:GetTemplate`): no role to assume, no other
 *   stack, no other region. No pull request's code or data chooses anything done with either.
 */
import { Stack, Validations } from "aws-cdk-lib";
import { CfnOIDCProvider, PolicyStatement, Role, WebIdentityPrincipal } from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import { logoutStackName } from "./stack-names.js";
import { authorizerArnParameter } from "./stage-authorizer-function.js";

export const GITHUB_OIDC_ISSUER = "token.actions.githubusercontent.com";

/** The claims the repository's OIDC subject is customised to carry, in this order. */
export const SUBJECT_CLAIM_KEYS = ["repo", "context", "ref", "job_workflow_ref"] as const;

export interface GitHubDeployRolesProps {
  /** `owner/name` of the repository whose workflows deploy. */
  repository: string;
  stageName: string;
  isProduction: boolean;
  /** The CDK bootstrap qualifier (`cdk.json`), which names the roles `cdk deploy` assumes. */
  qualifier: string;
  /** The account's GitHub OIDC provider where one exists already (one per account). */
  oidcProviderArn?: string;
}

/** The OIDC subject of a job, as the customised template writes it. */
export function subjectOf(
  repository: string,
  environment: string,
  ref: string,
  workflow: string,
): string {
  return `repo:${repository}:environment:${environment}:ref:${ref}:job_workflow_ref:${repository}/.github/workflows/${workflow}@${ref}`;
}

export class GitHubDeployRoles extends Construct {
  readonly deployRole: Role;
  readonly diffRole: Role;

  constructor(scope: Construct, id: string, props: GitHubDeployRolesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { repository, stageName } = props;
    const providerArn =
      props.oidcProviderArn ??
      new CfnOIDCProvider(this, "GitHubOidc", {
        url: `https://${GITHUB_OIDC_ISSUER}`,
        clientIdList: ["sts.amazonaws.com"],
      }).attrArn;

    // Production is deployed from release tags only; sandbox from main as well.
    const deployRefs = props.isProduction ? ["refs/tags/v*"] : ["refs/heads/main", "refs/tags/v*"];
    this.deployRole = this.role(
      "DeployRole",
      `rinne-auth-${stageName}-deploy`,
      providerArn,
      deployRefs.map((ref) => subjectOf(repository, stageName, ref, "deploy.yml")),
    );
    const bootstrapRole = (kind: string) =>
      `arn:${stack.partition}:iam::${stack.account}:role/cdk-${props.qualifier}-${kind}-role-${stack.account}-${stack.region}`;
    this.deployRole.addToPolicy(
      new PolicyStatement({
        actions: ["sts:AssumeRole", "sts:TagSession"],
        resources: ["deploy", "file-publishing", "image-publishing", "lookup"].map(bootstrapRole),
      }),
    );
    // The smoke test checks that the stage publishes its authorizer for other stacks.
    this.deployRole.addToPolicy(
      new PolicyStatement({
        actions: ["ssm:GetParameter"],
        resources: [
          `arn:${stack.partition}:ssm:${stack.region}:${stack.account}:parameter${authorizerArnParameter(stageName)}`,
        ],
      }),
    );

    const diffEnvironment = `${stageName}-diff`;
    this.diffRole = this.role("DiffRole", `rinne-auth-${stageName}-diff`, providerArn, [
      subjectOf(repository, diffEnvironment, "refs/heads/main", "diff.yml"),
      // A release shows production's diff before its reviewers approve the deploy.
      ...(props.isProduction
        ? [subjectOf(repository, diffEnvironment, "refs/tags/v*", "deploy.yml")]
        : []),
    ]);
    const stageStack = `arn:${stack.partition}:cloudformation:${stack.region}:${stack.account}:stack/${logoutStackName(stageName)}/*`;
    this.diffRole.addToPolicy(
      new PolicyStatement({ actions: ["cloudformation:GetTemplate"], resources: [stageStack] }),
    );
    Validations.of(this.diffRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${stageStack}]`,
      reason: "A stack's ARN ends in the random id CloudFormation gives it: the name is fixed.",
    });
  }

  private role(id: string, roleName: string, providerArn: string, subjects: string[]): Role {
    return new Role(this, id, {
      roleName,
      description: `GitHub Actions of the Rinne auth logout: ${roleName}`,
      assumedBy: new WebIdentityPrincipal(providerArn, {
        StringEquals: { [`${GITHUB_OIDC_ISSUER}:aud`]: "sts.amazonaws.com" },
        StringLike: { [`${GITHUB_OIDC_ISSUER}:sub`]: subjects },
      }),
    });
  }
}
