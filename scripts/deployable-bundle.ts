/**
 * Builds the deployable bundles exactly as `cdk synth` does (the sandbox stage of the real CDK
 * app, bundled by esbuild through NodejsFunction) and returns where each function's is.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { buildStacks } from "../infra/app.js";

export interface DeployableBundle {
  directory: string;
  entry: string;
}

export interface DeployableBundles {
  logout: DeployableBundle;
  authorizer: DeployableBundle;
  /** The revocation events' publisher. */
  publisher: DeployableBundle;
}

export function synthesizeDeployableBundles(stage = "sandbox"): DeployableBundles {
  const { context } = JSON.parse(readFileSync("cdk.json", "utf8"));
  const app = buildStacks(
    new App({
      context: { ...context, stage, "aws:cdk:enable-asset-metadata": true },
      outdir: mkdtempSync(join(tmpdir(), "bundle-")),
    }),
  );
  const assembly = app.synth();
  const { Resources } = assembly.getStackByName(`RinneAuthLogout-${stage}`).template as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  const bundleOf = (construct: string): DeployableBundle => {
    const [, fn] =
      Object.entries(Resources).find(
        ([logicalId, resource]) =>
          resource.Type === "AWS::Lambda::Function" && logicalId.startsWith(`${construct}Function`),
      ) ?? [];
    const assetPath = fn?.Metadata?.["aws:asset:path"];
    if (!assetPath) throw new Error(`The synthesized stack has no bundled ${construct} function`);
    const directory = join(assembly.directory, assetPath);
    return { directory, entry: join(directory, "index.mjs") };
  };
  return {
    logout: bundleOf("Logout"),
    authorizer: bundleOf("Authorizer"),
    publisher: bundleOf("RevocationEventsPublisher"),
  };
}
