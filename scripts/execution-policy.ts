/**
 * `npm run -s execution-policy -- --account ID [--boundary] [--partition aws]`: prints the
 * CloudFormation execution policy the stacks need, or with `--boundary` the permissions boundary
 * every role of theirs carries (infra/execution-policy.ts), for `aws iam create-policy`. The
 * CDK bootstrap qualifier is `cdk.json`'s.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { executionPolicyDocument, permissionsBoundaryDocument } from "../infra/execution-policy.js";
import { refuse } from "./refuse.js";

const USAGE =
  "usage: npm run -s execution-policy -- --account 123456789012 [--boundary] [--partition aws]";
let values: { account?: string; partition?: string; boundary?: boolean; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      account: { type: "string" },
      partition: { type: "string" },
      boundary: { type: "boolean" },
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
const { context } = JSON.parse(readFileSync("cdk.json", "utf8"));
const place = {
  account: values.account,
  partition: values.partition ?? "aws",
  qualifier: context["@aws-cdk/core:bootstrapQualifier"] as string,
};
const document = values.boundary
  ? permissionsBoundaryDocument(place)
  : executionPolicyDocument(place);
console.log(JSON.stringify(document, null, 2));
