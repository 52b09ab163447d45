/**
 * `cdk synth` as a user runs it: the pinned CLI (2.x, which reads the cloud assembly aws-cdk-lib
 * 2.x writes), the app cdk.json names, every stack of both stages bundled, cdk-nag and the
 * Control Tower rules run; it leaves cdk.out for cfn-lint and the before-stop hook.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { promisify } from "node:util";
import { expect, it } from "vitest";

it("synthesizes every stack of both stages with the pinned CLI, its checks passing", async () => {
  const { stdout } = await promisify(execFile)("node_modules/.bin/cdk", ["synth", "--quiet"], {
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
  });
  expect(stdout).toContain("Successfully synthesized");
  const templates = readdirSync("cdk.out").filter((file) => file.endsWith(".template.json"));
  expect(templates.sort()).toEqual([
    "RinneAuthLogout-production.template.json",
    "RinneAuthLogout-sandbox.template.json",
    "RinneAuthPipeline-production.template.json",
    "RinneAuthPipeline-sandbox.template.json",
  ]);
  expect(existsSync("cdk.out/manifest.json")).toBe(true);
}, 120_000);
