/**
 * What deploying a candidate template would change in a stage: the deployed template of the
 * stage's fixed stack (CloudFormation `GetTemplate`, the only call the diff role may make),
 * diffed with `@aws-cdk/cloudformation-diff`, the library `cdk diff` itself prints with, and
 * rendered as Markdown for a job summary. The candidate's strings are an author's: the render
 * keeps them inside one code block they cannot close, with no terminal escapes.
 */
import { Writable } from "node:stream";
import { stripVTControlCharacters } from "node:util";
import { formatDifferences, fullDiff } from "@aws-cdk/cloudformation-diff";
import {
  type CloudFormationClient,
  CloudFormationServiceException,
  GetTemplateCommand,
} from "@aws-sdk/client-cloudformation";
import { parse as parseYaml } from "yaml";
import { logoutStackName } from "../stack-names.js";
import type { Template } from "./untrusted-template.js";

/** The stage's deployed template, or `undefined` where the stack is not deployed yet. */
export async function deployedTemplate(
  cloudFormation: CloudFormationClient,
  stage: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    const { TemplateBody } = await cloudFormation.send(
      new GetTemplateCommand({ StackName: logoutStackName(stage), TemplateStage: "Original" }),
    );
    // CDK deploys JSON; YAML is JSON's superset, for a stack someone deployed by hand.
    return TemplateBody ? (parseYaml(TemplateBody) as Record<string, unknown>) : {};
  } catch (error) {
    if (
      error instanceof CloudFormationServiceException &&
      error.name === "ValidationError" &&
      /does not exist/.test(error.message)
    ) {
      return undefined;
    }
    throw error;
  }
}

export interface StageDiff {
  stage: string;
  /** The pull request's head commit, where the event names one. */
  commit?: string;
  deployed: Record<string, unknown> | undefined;
  candidate: Template;
}

/** The diff as Markdown: a heading, then the formatted differences in one fenced block. */
export function renderStageDiff({ stage, commit, deployed, candidate }: StageDiff): string {
  let text = "";
  const sink = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  const differences = fullDiff(deployed ?? {}, candidate);
  if (differences.isEmpty) text = "There were no differences\n";
  else formatDifferences(sink, differences);
  const body = plainText(text);
  const fence = "`".repeat(Math.max(3, longestRun(body, "`") + 1));
  const what = /^[0-9a-f]{40}$/.test(commit ?? "") ? `commit ${commit}` : "the pull request";
  const against = deployed === undefined ? " (not deployed yet: every resource is new)" : "";
  return `### ${logoutStackName(stage)}: what ${what} would change${against}\n\n${fence}\n${body}\n${fence}\n`;
}

/** Without terminal escapes and control characters, which a summary would show as noise. */
export function plainText(text: string): string {
  const printable = (character: string) =>
    character === "\n" || character === "\t" || !/\p{Cc}/u.test(character);
  return [...stripVTControlCharacters(text)].filter(printable).join("").trimEnd();
}

function longestRun(text: string, character: string): number {
  let longest = 0;
  let run = 0;
  for (const each of text) {
    run = each === character ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}
