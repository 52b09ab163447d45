/**
 * The trusted diff jobs' two steps (`.github/workflows/diff.yml`, and production's diff in
 * `deploy.yml`), run from the default branch's checkout:
 *
 *   npm run -s stage-diff -- take --stage NAME --artifact DIR --out FILE
 *     before any credentials: the stage's template from the downloaded artifact, checked as
 *     untrusted data (infra/pipeline/untrusted-template.ts), written to FILE as plain JSON;
 *   npm run -s stage-diff -- diff --stage NAME --template FILE [--commit SHA]
 *     with the stage's diff role: the deployed template of `RinneAuthLogout-<stage>`, in the
 *     region `cdk.json` gives the stage, against FILE, as Markdown on standard output.
 *
 * A refusal is one line on standard error and exit code 1.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { deployedTemplate, renderStageDiff } from "../infra/pipeline/stage-diff.js";
import {
  readUntrustedTemplate,
  type Template,
  UntrustedTemplateError,
} from "../infra/pipeline/untrusted-template.js";
import { refuse } from "./refuse.js";

const USAGE = `usage: npm run -s stage-diff -- take --stage NAME --artifact DIR --out FILE
       npm run -s stage-diff -- diff --stage NAME --template FILE [--commit SHA]`;

let parsed: ReturnType<typeof parseCommand>;
try {
  parsed = parseCommand();
} catch (error) {
  refuse((error as Error).message, USAGE);
}
const { command, values } = parsed;
if (values.help || command === undefined) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}

function parseCommand() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      stage: { type: "string" },
      artifact: { type: "string" },
      out: { type: "string" },
      template: { type: "string" },
      commit: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  return { command: positionals[0], values };
}

const required = (name: "stage" | "artifact" | "out" | "template") =>
  values[name] ?? refuse(`--${name} is required`, USAGE);

/** The stage's region, from the default branch's own `cdk.json`: never from the artifact. */
function regionOf(stage: string): string {
  const { context } = JSON.parse(readFileSync("cdk.json", "utf8"));
  const region = context?.stages?.[stage]?.region;
  if (typeof region !== "string") refuse(`cdk.json names no stage "${stage}" with a region`);
  return region;
}

try {
  if (command === "take") {
    const template = readUntrustedTemplate(required("artifact"), required("stage"));
    writeFileSync(required("out"), JSON.stringify(template));
  } else if (command === "diff") {
    const stage = required("stage");
    const region = regionOf(stage);
    // The file `take` wrote: checked already, and read here as JSON only.
    const candidate = JSON.parse(readFileSync(required("template"), "utf8")) as Template;
    const deployed = await deployedTemplate(new CloudFormationClient({ region }), stage);
    process.stdout.write(
      renderStageDiff({
        stage,
        deployed,
        candidate,
        ...(values.commit ? { commit: values.commit } : {}),
      }),
    );
  } else {
    refuse(`unknown command "${command}"`, USAGE);
  }
} catch (error) {
  if (error instanceof UntrustedTemplateError) {
    console.error(`stage-diff: the artifact is refused: ${error.message}`);
  } else {
    console.error(`stage-diff: ${(error as Error).name}: ${(error as Error).message}`);
  }
  process.exit(1);
}
