/**
 * The CDK app: one LogoutStack per stage named in `cdk.json` context `stages`, from one
 * definition. Each stack names its stage's account and region, so `cdk deploy` with another
 * account's credentials fails rather than deploy "production" into sandbox; synth still needs
 * neither credentials nor lookups.
 */
import { CfnGuardValidator } from "@cdklabs/cdk-validator-cfnguard";
import {
  App,
  CfnOutput,
  CliCredentialsStackSynthesizer,
  type IStackSynthesizer,
  Stack,
  Tags,
  Validations,
} from "aws-cdk-lib";
import { ManagedPolicy, PermissionsBoundary } from "aws-cdk-lib/aws-iam";
import { AwsSolutionsChecks } from "cdk-nag";
import { PERMISSIONS_BOUNDARY_NAME } from "./execution-policy.js";
import { GitHubDeployRoles } from "./github-deploy-roles.js";
import { LogoutStack } from "./logout-stack.js";
import { logoutStackName, pipelineStackName } from "./stack-names.js";
import { readStageConfig, type StageConfig, StageConfigError } from "./stage-config.js";

export interface PipelineSettings {
  repository: string;
  oidcProviderArns?: Record<string, string>;
}

/** The stage's GitHub Actions roles: deployed once by an administrator, then assumed by the workflows. */
export function pipelineStack(app: App, stage: StageConfig, pipeline: PipelineSettings): Stack {
  const name = stage.stageName;
  const qualifier = app.node.tryGetContext("@aws-cdk/core:bootstrapQualifier") as string;
  const roles = new Stack(app, pipelineStackName(name), {
    env: { account: stage.account, region: stage.region },
    // The administrator's own credentials deploy it, never CloudFormation's execution role:
    // that role may not touch the pipeline's roles (infra/execution-policy.ts).
    // (Its `bootstrapQualifier` is optional where the interface says string: a typing slip.)
    synthesizer: new CliCredentialsStackSynthesizer({ qualifier }) as unknown as IStackSynthesizer,
    description: `GitHub Actions roles of the Rinne auth logout (${name})`,
    terminationProtection: stage.isProduction,
  });
  const oidcProviderArn = pipeline.oidcProviderArns?.[name];
  const github = new GitHubDeployRoles(roles, "GitHub", {
    repository: pipeline.repository,
    stageName: name,
    isProduction: stage.isProduction,
    qualifier,
    ...(oidcProviderArn ? { oidcProviderArn } : {}),
  });
  // What the administrator copies into the GitHub environments' variables.
  new CfnOutput(roles, "DeployRoleArn", {
    value: github.deployRole.roleArn,
    description: `AWS_DEPLOY_ROLE_ARN of the GitHub environment "${name}"`,
  });
  new CfnOutput(roles, "DiffRoleArn", {
    value: github.diffRole.roleArn,
    description: `AWS_DIFF_ROLE_ARN of the GitHub environment "${name}-diff"`,
  });
  Tags.of(roles).add("service", "rinne-auth-logout");
  Tags.of(roles).add("stage", name);
  return roles;
}

/** The app's stacks, with no policy validation: for tests that read templates only. */
export function buildStacks(app: App = new App()): App {
  const stages = (app.node.tryGetContext("stages") ?? {}) as Record<string, unknown>;
  const only = app.node.tryGetContext("stage") as string | undefined;
  const pipeline = app.node.tryGetContext("pipeline") as PipelineSettings | undefined;
  for (const [name, raw] of Object.entries(stages)) {
    if (only && name !== only) continue;
    const stage = readStageConfig(name, raw);
    const stack = new LogoutStack(app, logoutStackName(name), {
      stage,
      env: { account: stage.account, region: stage.region },
      description: `Rinne API POST /v1/auth/logout (${name})`,
      terminationProtection: stage.isProduction,
    });
    Tags.of(stack).add("service", "rinne-auth-logout");
    Tags.of(stack).add("stage", name);
    // Every role the stack makes, whatever its policy, can do no more than the boundary.
    PermissionsBoundary.of(stack).apply(
      ManagedPolicy.fromManagedPolicyName(stack, "PermissionsBoundary", PERMISSIONS_BOUNDARY_NAME),
    );
    if (pipeline) pipelineStack(app, stage, pipeline);
  }
  return app;
}

/** The app as `cdk synth` runs it: its stacks, and every synth checked by cdk-nag and cfn-guard. */
export function buildApp(app: App = new App()): App {
  buildStacks(app);
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
    // AWS Control Tower's proactive controls: cfn-guard and the rule pack, from npm. What a
    // stack does not meet is acknowledged on the resource itself, with its reason.
    new CfnGuardValidator(),
  );
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    buildApp().synth();
  } catch (error) {
    // A setting's refusal is one line that names it: no stack trace to read it out of.
    if (!(error instanceof StageConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
