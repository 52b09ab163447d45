/**
 * `npm run -s execution-policy -- --account ID (--part N | --boundary | --parts)
 * [--partition aws]`: prints part N of the CloudFormation execution policy the stacks need (it
 * takes more than one managed policy: `--parts` prints how many), or with `--boundary` the
 * permissions boundary every role of theirs carries (infra/execution-policy.ts), for
 * `aws iam create-policy`. The CDK bootstrap qualifier is `cdk.json`'s.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  executionPolicyDocuments,
  permissionsBoundaryDocument,
} from "../infra/execution-policy.js";
import { refuse } from "./refuse.js";

const USAGE =
  "usage: npm run -s execution-policy -- --account 123456789012 (--part N | --boundary | --parts) [--partition aws]";
let values: {
  account?: string;
  partition?: string;
  part?: string;
  parts?: boolean;
  boundary?: boolean;
  help?: boolean;
};
try {
  ({ values } = parseArgs({
    options: {
      account: { type: "string" },
      partition: { type: "string" },
      boundary: { type: "boolean" },
      part: { type: "string" },
      parts: { type: "boolean" },
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
if (!values.parts && (!values.account || !/^\d{12}$/.test(values.account))) {
  refuse("--account must be the stage's 12-digit AWS account id", USAGE);
}
const { context } = JSON.parse(readFileSync("cdk.json", "utf8"));
const place = {
  account: values.account ?? "111111111111",
  partition: values.partition ?? "aws",
  qualifier: context["@aws-cdk/core:bootstrapQualifier"] as string,
};
const parts = executionPolicyDocuments(place);
if (values.parts) {
  console.log(parts.length);
} else if (values.boundary) {
  console.log(JSON.stringify(permissionsBoundaryDocument(place), null, 2));
} else {
  const part = parts[Number(values.part) - 1];
  if (!values.part || !/^\d+$/.test(values.part) || part === undefined) {
    refuse(
      `--part must be 1 to ${parts.length}: the policy takes ${parts.length} managed policies`,
      USAGE,
    );
  }
  console.log(JSON.stringify(part, null, 2));
}
