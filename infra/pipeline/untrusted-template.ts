/**
 * A stage's template, taken from a pull request's artifact as untrusted data. The trusted diff
 * job reads exactly one file of it, at a path fixed by the stage's name: no manifest, no asset
 * manifest, no context lookups, nothing the artifact names (a role, a stack, a region, a
 * command) is ever read, let alone followed. The file must be a regular file inside the
 * artifact's folder (no link out of it), at most CloudFormation's own template size, and a
 * template in CloudFormation's anatomy. A refusal says what was wrong in words of its own:
 * nothing of the artifact's content is echoed, since the job's log and summary are readable by
 * anyone who can read the repository's Actions runs.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  realpathSync,
} from "node:fs";
import { join, sep } from "node:path";
import { Ajv } from "ajv";
import { logoutStackName } from "../stack-names.js";

/** CloudFormation's limit for a template uploaded to S3 (1 MB): nothing of ours comes close. */
export const MAX_TEMPLATE_BYTES = 1_000_000;

/** Where ci.yml puts a stage's assembly inside the artifact (`cdk.out.<stage>`). */
export const templatePathOf = (stage: string) =>
  join(`cdk.out.${stage}`, `${logoutStackName(stage)}.template.json`);

/** A stage name as `cdk.json` spells them: it becomes part of a path and a stack name. */
const STAGE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

export class UntrustedTemplateError extends Error {
  override name = "UntrustedTemplateError";
}

export type Template = Record<string, unknown> & { Resources: Record<string, unknown> };

// The anatomy of a template (CloudFormation User Guide, "Template anatomy"): its sections and
// nothing else, each resource a type of AWS's or a custom one. Strict: an unknown section fails.
const TEMPLATE_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["Resources"],
  properties: {
    AWSTemplateFormatVersion: { const: "2010-09-09" },
    Description: { type: "string", maxLength: 1024 },
    Metadata: { type: "object" },
    Parameters: { type: "object" },
    Rules: { type: "object" },
    Mappings: { type: "object" },
    Conditions: { type: "object" },
    Transform: {},
    Outputs: { type: "object" },
    Resources: {
      type: "object",
      minProperties: 1,
      propertyNames: { pattern: "^[A-Za-z0-9]{1,255}$" },
      additionalProperties: {
        type: "object",
        required: ["Type"],
        properties: {
          Type: {
            type: "string",
            pattern: "^(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+|Custom::[A-Za-z0-9_@-]{1,60})$",
          },
        },
      },
    },
  },
} as const;
const validateTemplate = new Ajv({ strict: true }).compile<Template>(TEMPLATE_SCHEMA);

const SECTIONS = new Set(Object.keys(TEMPLATE_SCHEMA.properties));

/** The stage's template from the artifact folder, checked; refused with a reason otherwise. */
export function readUntrustedTemplate(artifactDirectory: string, stage: string): Template {
  if (!STAGE_NAME.test(stage)) throw new UntrustedTemplateError("the stage name is not a stage's");
  const root = realpathSync(artifactDirectory);
  const assembly = join(root, `cdk.out.${stage}`);
  const file = join(root, templatePathOf(stage));
  // No link anywhere on the way: a link could lead out of the artifact, to the runner's files.
  for (const [path, kind] of [
    [assembly, "directory"],
    [file, "file"],
  ] as const) {
    let entry: ReturnType<typeof lstatSync>;
    try {
      entry = lstatSync(path);
    } catch {
      throw new UntrustedTemplateError(`the artifact has no ${templatePathOf(stage)}`);
    }
    if (entry.isSymbolicLink()) throw new UntrustedTemplateError("the artifact holds a link");
    // Nothing else either (a FIFO would hang the read): a plain folder, a plain file.
    if (kind === "file" ? !entry.isFile() : !entry.isDirectory()) {
      throw new UntrustedTemplateError(`the artifact's ${templatePathOf(stage)} is not a ${kind}`);
    }
  }
  if (!realpathSync(file).startsWith(root + sep)) {
    throw new UntrustedTemplateError("the template lies outside the artifact");
  }
  const text = readBounded(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UntrustedTemplateError("the template is not JSON");
  }
  if (depthOf(parsed) > MAX_DEPTH) {
    throw new UntrustedTemplateError(`the template nests deeper than ${MAX_DEPTH} levels`);
  }
  if (!validateTemplate(parsed)) {
    const [first] = validateTemplate.errors ?? [];
    // The schema's own words and the section, never a name or a value of the artifact's.
    const section = first?.instancePath.split("/")[1];
    const where = section && SECTIONS.has(section) ? `${section}: ` : "";
    throw new UntrustedTemplateError(
      `the template is not a CloudFormation template: ${where}${first?.message ?? "invalid"}`,
    );
  }
  return parsed;
}

/** Deeper than any template of ours by far; the diff library recurses through every level. */
const MAX_DEPTH = 64;

/** How deep a parsed JSON value nests, counted without recursion (the value is untrusted). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [each, depth] = pending.pop() as [unknown, number];
    if (typeof each !== "object" || each === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_DEPTH) return deepest;
    for (const child of Object.values(each)) pending.push([child, depth + 1]);
  }
  return deepest;
}

/** A regular file of at most MAX_TEMPLATE_BYTES, opened without following a link. */
function readBounded(file: string): string {
  const descriptor = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const stat = fstatSync(descriptor);
    if (!stat.isFile()) throw new UntrustedTemplateError("the template is not a file");
    if (stat.size > MAX_TEMPLATE_BYTES) {
      throw new UntrustedTemplateError(
        `the template is larger than ${MAX_TEMPLATE_BYTES} bytes, CloudFormation's limit`,
      );
    }
    const buffer = Buffer.alloc(MAX_TEMPLATE_BYTES + 1);
    const length = readSync(descriptor, buffer, 0, buffer.length, 0);
    if (length > MAX_TEMPLATE_BYTES) {
      throw new UntrustedTemplateError("the template grew while it was read");
    }
    return new TextDecoder("utf-8", { fatal: true }).decode(buffer.subarray(0, length));
  } catch (error) {
    if (error instanceof UntrustedTemplateError) throw error;
    throw new UntrustedTemplateError("the template cannot be read as UTF-8 text");
  } finally {
    closeSync(descriptor);
  }
}
