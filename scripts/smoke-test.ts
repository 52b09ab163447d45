/**
 * `npx tsx scripts/smoke-test.ts <outputs.json> <stage>`: what the deploy workflow checks once a
 * stage is deployed, from the file `cdk deploy --outputs-file` wrote. A logout without a token
 * gets the contract's 401 envelope with `WWW-Authenticate`, and the authorizer's ARN is
 * published where other stacks read it. Prints the stack's outputs and the checks as Markdown
 * (for the job summary); exits 1 naming the first check that failed.
 */
import { readFileSync } from "node:fs";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { authorizerArnParameter } from "../infra/stage-authorizer-function.js";

const [outputsFile, stage] = process.argv.slice(2);
if (outputsFile === undefined || stage === undefined) {
  console.error("usage: npx tsx scripts/smoke-test.ts <outputs.json> <stage>");
  process.exit(2);
}

const stackName = `RinneAuthLogout-${stage}`;
const outputs = (JSON.parse(readFileSync(outputsFile, "utf8")) as Record<string, unknown>)[
  stackName
] as Record<string, string> | undefined;

const checks: [string, boolean][] = [];
function check(name: string, passed: boolean): void {
  checks.push([name, passed]);
}

async function run(): Promise<void> {
  if (outputs?.LogoutEndpoint === undefined) {
    check(`${outputsFile} holds ${stackName}'s LogoutEndpoint`, false);
    return;
  }
  const response = await fetch(outputs.LogoutEndpoint, { method: "POST" });
  const body = (await response.json().catch(() => undefined)) as
    | { error?: { code?: string; status?: number; details?: { reason?: string } } }
    | undefined;
  check("a logout without a token is 401", response.status === 401);
  check(
    "in the contract's envelope",
    body?.error?.code === "AUTHENTICATION_ERROR" &&
      body.error.status === 401 &&
      body.error.details?.reason === "Missing Authorization header",
  );
  check("with WWW-Authenticate: Bearer", response.headers.get("www-authenticate") === "Bearer");

  const name = authorizerArnParameter(stage as string);
  const parameter = await new SSMClient({})
    .send(new GetParameterCommand({ Name: name }))
    .then((answer) => answer.Parameter?.Value)
    .catch((error: Error) => `unreadable (${error.name})`);
  check(
    `${name} names the authorizer`,
    parameter !== undefined && parameter === outputs.AuthorizerFunctionArn,
  );
}

await run();
console.log(`### ${stackName}\n`);
console.log("| output | value |\n| --- | --- |");
for (const [key, value] of Object.entries(outputs ?? {})) console.log(`| ${key} | \`${value}\` |`);
console.log("\n| smoke test | |\n| --- | --- |");
for (const [name, passed] of checks) console.log(`| ${name} | ${passed ? "passed" : "FAILED"} |`);
const failed = checks.find(([, passed]) => !passed);
if (failed) {
  console.error(`smoke test failed: ${failed[0]}`);
  process.exit(1);
}
