/**
 * Runs one job of a workflow file the way a GitHub runner would, here: its own `run:` steps,
 * verbatim, in `bash --noprofile --norc -eo pipefail` (GitHub's default shell), with each step's
 * `env:` and the `${{ }}` expressions the job uses filled in, stopping at the first step that
 * fails. What cannot run here is stood in for, and says so: the checkout and Node.js set-up are
 * this checkout and its `node_modules`; `npm ci` is already done; the artifact download copies a
 * folder the test built (links kept, as an attacker's archive could hold them); the credentials
 * step exports the credentials the test gives, as `configure-aws-credentials` exports a role's.
 * Every step sees `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, as a job with `id-token: write` does; the
 * job's `env:` (where the test may point it at a stand-in), and what a step appends to
 * `$GITHUB_ENV`, as the runner passes them on.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export interface JobRun {
  /** The job summary (`$GITHUB_STEP_SUMMARY`) as the steps left it. */
  summary: string;
  /** Each step that ran: its exit code and what it printed. */
  steps: { name: string; status: number | null; stdout: string; stderr: string }[];
  /** Whether every step succeeded. */
  succeeded: boolean;
  /** Whether the credentials step was reached. */
  credentialed: boolean;
}

export interface JobOptions {
  workflow: string;
  job: string;
  /** The job's matrix values, where it has a matrix. */
  matrix?: Record<string, string>;
  /** A folder per artifact name: what `download-artifact` would unpack. */
  artifacts: Record<string, string>;
  /** `RUNNER_TEMP`: a fresh folder. */
  runnerTemp: string;
  /** The repository variables (`vars.*`). */
  vars: Record<string, string>;
  /** What `configure-aws-credentials` exports (keys, region, an endpoint for a stand-in). */
  credentials: Record<string, string>;
  /** The runner's own environment beyond PATH and HOME (the OIDC request token, say). */
  runnerEnv: Record<string, string>;
  /** The event's and the secrets' values the job's expressions read (`github.ref_name`). */
  context?: Record<string, string>;
  /** The job's `env:` values the test replaces with a stand-in's (a local registry). */
  jobEnv?: Record<string, string>;
  /** Steps not run, by their first line, and why (a step this test's own run stands for). */
  standIns?: Record<string, string>;
  /** The checkout the steps run in (default: this one). */
  cwd?: string;
}

type Step = {
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
};

export const OIDC_REQUEST_TOKEN = "oidc-request-token-a8f7c2d1";

export async function runJob(options: JobOptions): Promise<JobRun> {
  const workflow = parse(readFileSync(options.workflow, "utf8"));
  const job = workflow.jobs[options.job] as { steps: Step[]; env?: Record<string, string> };
  const summaryFile = join(options.runnerTemp, "step-summary.md");
  mkdirSync(options.runnerTemp, { recursive: true });
  writeFileSync(summaryFile, "");
  const values: Record<string, string> = {
    "runner.temp": options.runnerTemp,
    "github.token": "github-token",
    "github.sha": "1111111111111111111111111111111111111111",
    "github.event.workflow_run.id": "4242",
    "github.event.workflow_run.head_sha": "2222222222222222222222222222222222222222",
    ...Object.fromEntries(Object.entries(options.matrix ?? {}).map(([k, v]) => [`matrix.${k}`, v])),
    ...Object.fromEntries(Object.entries(options.vars).map(([k, v]) => [`vars.${k}`, v])),
    ...options.context,
  };
  const expand = (text: string) =>
    text.replace(/\$\{\{\s*([\w.-]+)\s*\}\}/g, (_, expression: string) => {
      const value = values[expression];
      if (value === undefined) throw new Error(`the runner stand-in knows no ${expression}`);
      return value;
    });
  const githubEnv = join(options.runnerTemp, "github-env");
  writeFileSync(githubEnv, "");
  const base: Record<string, string> = {
    ...job.env,
    ...options.jobEnv,
    GITHUB_ENV: githubEnv,
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    CI: "true",
    GITHUB_ACTIONS: "true",
    RUNNER_TEMP: options.runnerTemp,
    GITHUB_STEP_SUMMARY: summaryFile,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: OIDC_REQUEST_TOKEN,
    ...options.runnerEnv,
  };
  const run: JobRun = { summary: "", steps: [], succeeded: true, credentialed: false };
  for (const step of job.steps) {
    if (step.uses) {
      const action = step.uses.split("@")[0];
      if (action === "actions/checkout" || action === "actions/setup-node") continue;
      if (action === "actions/download-artifact") {
        const name = step.with?.name ?? "";
        const from = options.artifacts[name];
        if (from === undefined) throw new Error(`no artifact ${name} was given`);
        cpSync(from, expand(step.with?.path ?? "."), { recursive: true, verbatimSymlinks: true });
        continue;
      }
      if (action === "aws-actions/configure-aws-credentials") {
        Object.assign(base, options.credentials);
        run.credentialed = true;
        continue;
      }
      throw new Error(`the runner stand-in cannot play ${action}`);
    }
    const script = expand(step.run ?? "");
    if (/^npm ci\b/.test(script)) continue;
    if (options.standIns?.[script.split("\n")[0] as string] !== undefined) continue;
    const env = { ...base };
    for (const [key, value] of Object.entries(step.env ?? {})) env[key] = expand(value);
    // Not spawnSync: the stand-ins a step calls may be served by this very process.
    const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
      env,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      timeout: 120_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const [status] = (await once(child, "close")) as [number | null];
    run.steps.push({ name: step.name ?? script.split("\n")[0] ?? "", status, stdout, stderr });
    // `NAME=value` lines a step appended to $GITHUB_ENV: every later step's environment.
    for (const line of readFileSync(githubEnv, "utf8").split("\n")) {
      const at = line.indexOf("=");
      if (at > 0) base[line.slice(0, at)] = line.slice(at + 1);
    }
    if (status !== 0) {
      run.succeeded = false;
      break;
    }
  }
  run.summary = readFileSync(summaryFile, "utf8");
  return run;
}
