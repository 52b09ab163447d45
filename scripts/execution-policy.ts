/**
 * `npm run -s execution-policy -- [--account ID] [--partition aws]`: prints the CloudFormation
 * execution policy the stacks need (infra/execution-policy.ts), for `aws iam create-policy`.
 */
import { parseArgs } from "node:util";
import { executionPolicyDocument } from "../infra/execution-policy.js";
import { refuse } from "./refuse.js";

const USAGE = "usage: npm run -s execution-policy -- --account 123456789012 [--partition aws]";
let values: { account?: string; partition?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      account: { type: "string" },
      partition: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (error) {
  refuse((error as Error).message, USAGE);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.account || !/^\d{12}$/.test(values.account)) {
  refuse("--account must be the stage's 12-digit AWS account id", USAGE);
}
console.log(
  JSON.stringify(executionPolicyDocument(values.partition ?? "aws", values.account), null, 2),
);
