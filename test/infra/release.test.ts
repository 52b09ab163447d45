/**
 * A release, as `.github/workflows/release.yml` cuts it: its own steps, run verbatim by the
 * runner stand-in on a copy of this checkout, publishing to a local registry (verdaccio) in
 * place of GitHub Packages. The tests' step is stood in for by this run, and the registry's
 * token is not checked here. A tag publishes its version once, which installs; the same tag
 * again is refused before anything is built; a tag that is no version is refused.
 */
import { execFile, execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parse } from "yaml";
import { type LocalRegistry, startLocalRegistry } from "../support/local-registry.js";
import { runJob } from "../support/workflow-runner.js";

const ROOT = resolve(".");
const execFileAsync = promisify(execFile);
let registry: LocalRegistry;
let npmrc: string;

beforeAll(async () => {
  registry = await startLocalRegistry();
  // What actions/setup-node writes for `registry-url` and `scope`, pointed at the local one.
  npmrc = join(mkdtempSync(join(tmpdir(), "npmrc-")), ".npmrc");
  const host = registry.url.replace(/^http:/, "");
  writeFileSync(
    npmrc,
    `@rinne:registry=${registry.url}\n${host}/:_authToken=\${NODE_AUTH_TOKEN}\n`,
  );
});
afterAll(() => registry.stop());

/** actions/checkout: the files of this working tree that git would keep, and its node_modules. */
function checkout(): string {
  const dir = mkdtempSync(join(tmpdir(), "checkout-"));
  const files = execFileSync(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    {
      cwd: ROOT,
      encoding: "utf8",
    },
  )
    .split("\0")
    .filter((file) => file !== "" && existsSync(join(ROOT, file)));
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file));
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

const release = (tag: string) => {
  const workspace = checkout();
  return runJob({
    workflow: ".github/workflows/release.yml",
    job: "publish",
    cwd: workspace,
    artifacts: {},
    runnerTemp: mkdtempSync(join(tmpdir(), "runner-")),
    vars: {},
    credentials: {},
    runnerEnv: { NPM_CONFIG_USERCONFIG: npmrc, GITHUB_REPOSITORY: "rinne/auth-logout" },
    context: { "github.ref_name": tag, "secrets.GITHUB_TOKEN": "job-token" },
    jobEnv: { REGISTRY: registry.url },
    standIns: { "bash .ci/run": "the tests: this very run is them" },
  });
};
const published = async (version: string) =>
  execFileAsync(
    "npm",
    ["view", `@rinne/auth-logout@${version}`, "version", "--registry", registry.url],
    {
      env: { ...process.env, NPM_CONFIG_USERCONFIG: npmrc, NODE_AUTH_TOKEN: "t" },
    },
  ).then(
    ({ stdout }) => stdout.trim(),
    () => "",
  );

it("publishes the tag's version, which a consumer installs from the scope's registry", async () => {
  const run = await release("v1.4.0");
  expect(run.succeeded, JSON.stringify(run.steps.at(-1))).toBe(true);
  expect(await published("1.4.0")).toBe("1.4.0");
  const consumer = mkdtempSync(join(tmpdir(), "consumer-"));
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "c", private: true }));
  await execFileAsync(
    "npm",
    ["install", "@rinne/auth-logout@1.4.0", "--no-audit", "--no-fund", "--ignore-scripts"],
    { cwd: consumer, env: { ...process.env, NPM_CONFIG_USERCONFIG: npmrc, NODE_AUTH_TOKEN: "t" } },
  );
  const installed = join(consumer, "node_modules", "@rinne", "auth-logout");
  const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
  expect(manifest.version).toBe("1.4.0");
  expect(manifest.repository.url).toBe("git+https://github.com/rinne/auth-logout.git");
  expect(readFileSync(join(installed, "README.md"), "utf8")).toContain(
    "Three ways to protect a route",
  );
}, 180_000);

it("refuses the same version again, before building anything", async () => {
  const run = await release("v1.4.0");
  expect(run.succeeded).toBe(false);
  const failed = run.steps.at(-1);
  expect(failed?.name).toBe("Refuse a version the registry holds");
  expect(failed?.stdout).toContain("::error::@rinne/auth-logout@1.4.0 is published already");
}, 120_000);

it.each(["1.5.0", "v1.5", "vnext", "v1.5.0;rm -rf ~"])(
  "refuses the tag %s",
  async (tag) => {
    const run = await release(tag);
    expect(run.succeeded).toBe(false);
    expect(run.steps.at(-1)?.name).toBe("The tag's version");
    expect(await published("1.5.0")).toBe("");
  },
  120_000,
);

it("asks for nothing beyond reading the code and writing packages, on a v* tag alone", () => {
  const flow = parse(readFileSync(".github/workflows/release.yml", "utf8"));
  expect(flow.on).toEqual({ push: { tags: ["v*"] } });
  expect(flow.permissions).toEqual({ contents: "read" });
  expect(flow.jobs.publish.permissions).toEqual({ contents: "read", packages: "write" });
  const steps = flow.jobs.publish.steps.map(
    (step: { name?: string; run?: string }) => step.name ?? step.run,
  );
  // The registry is asked before the tests run and before anything is built.
  expect(steps.indexOf("Refuse a version the registry holds")).toBeLessThan(
    steps.indexOf("bash .ci/run"),
  );
});
