/**
 * The trusted diff jobs, attacked as a pull request's author would: the workflow files' own
 * steps (diff.yml's, and production's diff in deploy.yml) run here against artifacts the author
 * controls, with moto (`moto_server`, on this kind of machine; skipped with a message where it
 * is absent) standing in for STS, S3, SSM and CloudFormation behind a proxy that records every
 * call. Whatever the artifact holds, nothing of it runs, nothing it names is read, and nothing of
 * another stack reaches the summary; a well-formed artifact still gets its diff.
 */
import { once } from "node:events";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudFormationClient, CreateStackCommand } from "@aws-sdk/client-cloudformation";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { App } from "aws-cdk-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildStacks } from "../../infra/app.js";
import { MAX_TEMPLATE_BYTES } from "../../infra/pipeline/untrusted-template.js";
import { MOTO_INSTALLED, type MotoServer, startMotoServer } from "../support/moto-server.js";
import { type JobOptions, OIDC_REQUEST_TOKEN, runJob } from "../support/workflow-runner.js";

const MOTO = MOTO_INSTALLED;
if (!MOTO) console.warn("moto_server is not installed: the trusted diff jobs' attack tests skip");

const { context } = JSON.parse(readFileSync("cdk.json", "utf8"));
const STAGES = context.stages as Record<string, { account: string; region: string }>;
const FOREIGN_SECRET = "FOREIGN-PARAMETER-VALUE-5e0c";
const FOREIGN_OUTPUT = "FOREIGN-OUTPUT-VALUE-91ab";
const ARTIFACT_TEXT = "ARTIFACT-CONTENT-4d1e";
const SESSION_TOKEN = "aws-session-token-77d0";

const root = mkdtempSync(join(tmpdir(), "pull-request-diff-"));
let moto: MotoServer | undefined;
let motoEndpoint: string;
let proxy: Server;
let proxyEndpoint: string;
type Call = { service: string; action: string; region: string; stack?: string };
/** Every call each job made (by its run's path prefix): service, action, region, stack named. */
const callsOf = new Map<number, Call[]>();
let runs = 0;

function recordCall(run: number, headers: Record<string, unknown>, path: string, body: string) {
  const scope = /Credential=[^/]+\/\d+\/([^/]+)\/([^/]+)\//.exec(String(headers.authorization));
  const form = new URLSearchParams(body);
  const target = String(headers["x-amz-target"] ?? "");
  callsOf.get(run)?.push({
    region: scope?.[1] ?? "?",
    service: scope?.[2] ?? "?",
    action: form.get("Action") ?? (target.split(".")[1] || `${path}`),
    ...(form.get("StackName") ? { stack: form.get("StackName") as string } : {}),
  });
}

beforeAll(async () => {
  if (!MOTO) return;
  moto = await startMotoServer(23_000);
  motoEndpoint = moto.endpoint;
  proxy = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const body = Buffer.concat(chunks);
      // Each job reaches the proxy under its own prefix, /run-<n>: the jobs run at once.
      const [, run = "0", path = "/"] = /^\/run-(\d+)(\/.*)?$/.exec(incoming.url ?? "") ?? [];
      recordCall(Number(run), incoming.headers, path, body.toString("utf8"));
      const forward = request(
        `${motoEndpoint}${path}`,
        { method: incoming.method, headers: incoming.headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forward.end(body);
    });
  });
  proxy.listen(0, "127.0.0.1");
  await once(proxy, "listening");
  proxyEndpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

  // What is deployed: each stage's stack, and another team's stack and parameter elsewhere.
  const credentials = { accessKeyId: "setup", secretAccessKey: "setup" };
  const queue = (name: string) => ({
    Resources: { Queue: { Type: "AWS::SQS::Queue", Properties: { QueueName: name } } },
  });
  for (const [stage, { region }] of Object.entries(STAGES)) {
    await new CloudFormationClient({ endpoint: motoEndpoint, region, credentials }).send(
      new CreateStackCommand({
        StackName: `RinneAuthLogout-${stage}`,
        TemplateBody: JSON.stringify(queue(`deployed-${stage}`)),
      }),
    );
  }
  const foreign = { endpoint: motoEndpoint, region: "us-east-1", credentials };
  await new SSMClient(foreign).send(
    new PutParameterCommand({ Name: "/payments/secret", Value: FOREIGN_SECRET, Type: "String" }),
  );
  await new CloudFormationClient(foreign).send(
    new CreateStackCommand({
      StackName: "payments-production",
      TemplateBody: JSON.stringify({
        ...queue("payments"),
        Outputs: { Secret: { Value: FOREIGN_OUTPUT } },
      }),
    }),
  );
}, 60_000);

afterAll(async () => {
  proxy?.close();
  await moto?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** Both stages' cloud assemblies, as ci.yml uploads them: `cdk.out.<stage>` each. */
function wellFormedArtifact(): string {
  const folder = join(root, "well-formed");
  if (existsSync(folder)) return folder;
  for (const stage of Object.keys(STAGES)) {
    buildStacks(
      new App({
        context: { ...context, stage, "aws:cdk:bundling-stacks": [] },
        outdir: join(folder, `cdk.out.${stage}`),
      }),
    ).synth();
  }
  return folder;
}

let counter = 0;
/** A copy of the well-formed artifact, changed by the attacker. */
function attackersArtifact(change: (folder: string) => void): string {
  const folder = join(root, `attack-${++counter}`);
  cpSync(wellFormedArtifact(), folder, { recursive: true });
  change(folder);
  return folder;
}

const json = (file: string) => JSON.parse(readFileSync(file, "utf8"));
const writeJson = (file: string, value: unknown) => writeFileSync(file, JSON.stringify(value));

/** A marker the attacker's command would leave, with the environment it saw. */
const markerOf = (folder: string) => join(folder, "..", `${folder.split("/").pop()}.ran`);

/**
 * The attack: the stack's deploy role swapped for the lookup role, an executable on the
 * template's asset published to the staging bucket, the stack and region of another team's
 * stack, and context lookups of another team's parameter.
 */
function executesAndLooksElsewhere(folder: string) {
  const marker = markerOf(folder);
  for (const stage of Object.keys(STAGES)) {
    const assembly = join(folder, `cdk.out.${stage}`);
    const { account } = STAGES[stage] as { account: string };
    const lookupRole = `arn:aws:iam::${account}:role/cdk-rinneauth-lookup-role-${account}-sa-east-1`;
    const manifest = json(join(assembly, "manifest.json"));
    const stack = manifest.artifacts[`RinneAuthLogout-${stage}`];
    stack.properties.assumeRoleArn = lookupRole;
    stack.environment = `aws://${account}/us-east-1`;
    stack.properties.stackName = "payments-production";
    manifest.missing = [
      {
        key: `ssm:account=${account}:parameterName=/payments/secret:region=us-east-1`,
        provider: "ssm",
        props: {
          account,
          region: "us-east-1",
          parameterName: "/payments/secret",
          lookupRoleArn: lookupRole,
        },
      },
    ];
    writeJson(join(assembly, "manifest.json"), manifest);
    const assetsFile = join(assembly, `RinneAuthLogout-${stage}.assets.json`);
    const assets = json(assetsFile);
    for (const asset of Object.values(assets.files) as {
      source: Record<string, unknown>;
      destinations: Record<string, Record<string, string>>;
    }[]) {
      asset.source = { executable: ["sh", "-c", `env > ${marker}; echo '{}'`] };
      for (const destination of Object.values(asset.destinations)) {
        destination.assumeRoleArn = lookupRole;
      }
    }
    writeJson(assetsFile, assets);
    // The assembly itself also runs the command wherever a tool would run the app.
    writeJson(join(assembly, "cdk.json"), { app: `sh -c 'env > ${marker}'` });
  }
}

const templateOf = (folder: string, stage: string) =>
  join(folder, `cdk.out.${stage}`, `RinneAuthLogout-${stage}.template.json`);

const ATTACKS: Record<string, (folder: string) => void> = {
  "an executable asset, a foreign stack and region, and missing-context lookups":
    executesAndLooksElsewhere,
  "an oversized template": (folder) => {
    for (const stage of Object.keys(STAGES)) {
      const template = json(templateOf(folder, stage));
      template.Metadata = { padding: ARTIFACT_TEXT.repeat(MAX_TEMPLATE_BYTES / 16) };
      writeJson(templateOf(folder, stage), template);
    }
  },
  "a template that is not JSON": (folder) => {
    for (const stage of Object.keys(STAGES))
      writeFileSync(templateOf(folder, stage), `{"Resources": ${ARTIFACT_TEXT}`);
  },
  "a template that is not CloudFormation's": (folder) => {
    for (const stage of Object.keys(STAGES)) {
      const template = json(templateOf(folder, stage));
      template[ARTIFACT_TEXT] = { Run: "sh" };
      writeJson(templateOf(folder, stage), template);
    }
  },
  "a resource of no CloudFormation type": (folder) => {
    for (const stage of Object.keys(STAGES)) {
      const template = json(templateOf(folder, stage));
      template.Resources.Injected = { Type: `AWS::${ARTIFACT_TEXT}\n::add-mask::x` };
      writeJson(templateOf(folder, stage), template);
    }
  },
  "an assembly folder that links out of the artifact": (folder) => {
    const outside = join(folder, "..", `${folder.split("/").pop()}-outside`);
    for (const stage of Object.keys(STAGES)) {
      cpSync(join(folder, `cdk.out.${stage}`), join(outside, `cdk.out.${stage}`), {
        recursive: true,
      });
      rmSync(join(folder, `cdk.out.${stage}`), { recursive: true });
      symlinkSync(join(outside, `cdk.out.${stage}`), join(folder, `cdk.out.${stage}`));
    }
  },
  "a template that links to a runner's file": (folder) => {
    for (const stage of Object.keys(STAGES)) {
      rmSync(templateOf(folder, stage));
      symlinkSync("/etc/hostname", templateOf(folder, stage));
    }
  },
  "a template nested too deep for the diff to walk": (folder) => {
    // Written as text: the nesting is past what JSON.stringify itself can walk.
    const deep = `${"[".repeat(5000)}"${ARTIFACT_TEXT}"${"]".repeat(5000)}`;
    for (const stage of Object.keys(STAGES)) {
      const text = JSON.stringify(json(templateOf(folder, stage)));
      writeFileSync(
        templateOf(folder, stage),
        text.replace(
          '"Resources":{',
          `"Resources":{"Deep":{"Type":"AWS::SSM::Parameter","Properties":${deep}},`,
        ),
      );
    }
  },
  "no template where the stage's should be": (folder) => {
    for (const stage of Object.keys(STAGES)) {
      rmSync(templateOf(folder, stage));
      mkdirSync(templateOf(folder, stage));
    }
  },
};

/** The trusted jobs: each stage's diff of a pull request, and production's before a release. */
const JOBS = [
  ...Object.keys(STAGES).map((stage) => ({
    title: `diff.yml (${stage})`,
    stage,
    options: (artifact: string) => ({
      workflow: ".github/workflows/diff.yml",
      job: "diff",
      matrix: { stage },
      artifacts: { "cloud-assemblies": artifact },
    }),
  })),
  {
    title: "deploy.yml (production-diff)",
    stage: "production",
    // The build job's artifact is the assembly's folder itself.
    options: (artifact: string) => ({
      workflow: ".github/workflows/deploy.yml",
      job: "production-diff",
      artifacts: { "cloud-assembly": join(artifact, "cdk.out.production") },
    }),
  },
];

async function run(
  options: Pick<JobOptions, "workflow" | "job" | "artifacts" | "matrix">,
  stage: string,
) {
  const { region } = STAGES[stage] as { region: string };
  const id = ++runs;
  const calls: Call[] = [];
  callsOf.set(id, calls);
  const job = await runJob({
    ...options,
    runnerTemp: mkdtempSync(join(root, "runner-")),
    vars: { AWS_REGION: region, AWS_DIFF_ROLE_ARN: "arn:aws:iam::111111111111:role/diff" },
    credentials: {
      AWS_ACCESS_KEY_ID: "AKIADIFFROLE",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_SESSION_TOKEN: SESSION_TOKEN,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
    },
    // Every AWS call of the job reaches the recording proxy, whatever region it names.
    runnerEnv: { AWS_ENDPOINT_URL: `${proxyEndpoint}/run-${id}` },
  });
  return { ...job, calls };
}

// The jobs are child processes that mostly wait: they run at once, so each is given the time
// all of them take on a busy machine, not one's.
describe
  .skipIf(!MOTO)
  .concurrent("the trusted diff jobs, on an attacker's artifact", { timeout: 90_000 }, () => {
    describe.each(JOBS)("$title", ({ stage, options }) => {
      it("a well-formed artifact gets its diff, from the stage's own stack alone", async () => {
        const job = await run(options(wellFormedArtifact()), stage);
        expect(job.steps.map((step) => step.stderr).join("")).toBe("");
        expect(job.succeeded).toBe(true);
        expect(job.summary).toContain(`### RinneAuthLogout-${stage}: what commit `);
        // The deployed stack holds a queue the candidate does not: the diff says so.
        expect(job.summary).toMatch(/\[-\] AWS::SQS::Queue Queue/);
        expect(job.summary).toMatch(/\[\+\] AWS::Lambda::Function/);
        const { region } = STAGES[stage] as { region: string };
        expect(job.calls).toEqual([
          {
            service: "cloudformation",
            action: "GetTemplate",
            region,
            stack: `RinneAuthLogout-${stage}`,
          },
        ]);
      });

      it.each(Object.entries(ATTACKS))(
        "%s: nothing runs, nothing foreign is read",
        async (_, attack) => {
          const artifact = attackersArtifact(attack);
          const job = await run(options(artifact), stage);
          const everything = [
            job.summary,
            ...job.steps.flatMap((step) => [step.stdout, step.stderr]),
          ].join("\n");
          expect(existsSync(markerOf(artifact)), "the artifact's command ran").toBe(false);
          for (const secret of [FOREIGN_SECRET, FOREIGN_OUTPUT, SESSION_TOKEN, OIDC_REQUEST_TOKEN])
            expect(everything).not.toContain(secret);
          expect(everything).not.toContain(ARTIFACT_TEXT);
          // Never a call but the stage's own template.
          for (const call of job.calls) {
            expect(call).toEqual({
              service: "cloudformation",
              action: "GetTemplate",
              region: (STAGES[stage] as { region: string }).region,
              stack: `RinneAuthLogout-${stage}`,
            });
          }
          if (attack === executesAndLooksElsewhere) {
            // None of it is read: the template is well-formed, so its diff is shown.
            expect(job.succeeded).toBe(true);
            expect(job.summary).toMatch(/\[\+\] AWS::Lambda::Function/);
          } else {
            // Refused before any credentials, with a reason of the job's own words.
            expect(job.succeeded).toBe(false);
            expect(job.credentialed).toBe(false);
            expect(job.calls).toEqual([]);
            expect(job.steps.at(-1)?.stderr).toMatch(/^stage-diff: the artifact is refused: .+\n$/);
          }
        },
      );
    });

    it("keeps an author's strings inside the summary's code block, with no terminal escapes", async () => {
      const breakout = "``````\n# Approved by security\n<img src=https://attacker.example/x>";
      const artifact = attackersArtifact((folder) => {
        const template = json(templateOf(folder, "sandbox"));
        template.Description = `${breakout}\u001b[2J\u0007`;
        writeJson(templateOf(folder, "sandbox"), template);
      });
      const [pullRequestDiff] = JOBS;
      if (!pullRequestDiff) throw new Error("no diff job");
      const job = await run(pullRequestDiff.options(artifact), "sandbox");
      expect(job.succeeded).toBe(true);
      expect(job.summary).toContain("# Approved by security");
      // biome-ignore lint/suspicious/noControlCharactersInRegex: that none is left is the point.
      expect(job.summary).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      const lines = job.summary.split("\n");
      const fences = lines.filter((line) => /^`{3,}$/.test(line));
      expect(fences).toHaveLength(2);
      const fence = fences[0] as string;
      // The block opens before the author's text and closes after it: no line can close it early.
      expect(fence.length).toBeGreaterThan(6);
      expect(lines.indexOf(fence)).toBeLessThan(lines.indexOf("# Approved by security"));
      expect(lines.lastIndexOf(fence)).toBeGreaterThan(lines.indexOf("# Approved by security"));
    });
  });
