/**
 * What the docs name exists: every relative link and every repository path, every environment
 * variable (and every one the configuration reads is named), every stage setting (and every
 * one the settings know is named), every `npm run` script; and the docs stay within a budget a
 * person can keep true. Prose can still go stale; these cannot.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { KNOWN_STAGE_SETTINGS } from "../infra/stage-config.js";
import { validSessionRevoked } from "./support/event-schema.js";

const DOCS = ["README.md", "api/README.md", "bench/README.md", "docs/package-readme.md"].concat(
  readdirSync("docs")
    .filter((file) => file.endsWith(".md") && file !== "package-readme.md")
    .map((file) => `docs/${file}`),
);
const text = (file: string) => readFileSync(file, "utf8");
const all = DOCS.map(text).join("\n");
const scripts = Object.keys(JSON.parse(text("package.json")).scripts);
const CONFIG = text("functions/config/config.ts");

describe("the docs name only what exists", () => {
  it.each(DOCS)("%s: every relative link leads to a file of the repository", (file) => {
    const links = [...text(file).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
      .map(([, target]) => target as string)
      .filter((target) => !/^[a-z]+:/.test(target));
    const missing = links.filter((target) => !existsSync(join(dirname(file), target)));
    expect(missing).toEqual([]);
  });

  it("every repository path named in backticks exists", () => {
    const roots = "functions|infra|scripts|test|docs|api|bench|events|\\.github|\\.ci";
    const paths = [...all.matchAll(new RegExp(`\`((?:${roots})/[\\w./-]+)\``, "g"))]
      .map(([, path]) => (path as string).replace(/[.,:]$/, ""))
      // A pattern or a placeholder names no one file.
      .filter((path) => !/[*<>]/.test(path));
    expect(paths.length).toBeGreaterThan(20);
    expect([...new Set(paths)].filter((path) => !existsSync(path))).toEqual([]);
  });

  it("every npm script named exists", () => {
    const named = [...all.matchAll(/npm run (?:-s )?([a-z][\w-]*)/g)].map(([, name]) => name);
    expect(named.length).toBeGreaterThan(5);
    expect([...new Set(named)].filter((name) => !scripts.includes(name as string))).toEqual([]);
  });

  it("every environment variable the configuration reads is named, and none that it does not", () => {
    const read = new Set(
      [...CONFIG.matchAll(/"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)"/g)].map(([, name]) => name as string),
    );
    for (const name of read) expect(all, name).toMatch(new RegExp(`\\b${name}\\b`));
    // A name in a docs' variables table must be one the functions read (or Lambda's, AWS's).
    const tabled = [...all.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map(([, name]) => name as string);
    const external = /^(AWS_|POWERTOOLS_|LOG_LEVEL$)/;
    expect(tabled.filter((name) => !read.has(name) && !external.test(name))).toEqual([]);
  });

  it("every stage setting is in the settings table, and the table holds no other", () => {
    const guide = text("docs/deploying.md");
    const table = guide.slice(guide.indexOf("| `context.stages.<name>` |"));
    const firstCells = [...table.matchAll(/^\| ([^|]+) \|/gm)].slice(2).map(([, cell]) => cell);
    const keys = firstCells.flatMap((cell) =>
      [...(cell as string).matchAll(/`([a-zA-Z]+)`/g)].map(([, key]) => key as string),
    );
    expect(new Set(keys)).toEqual(new Set(KNOWN_STAGE_SETTINGS));
  });

  it("the docs hold at most 800 lines, a budget a person can keep true", () => {
    // Code a guide gives at length lives beside it in a file of its own (the receiver, the
    // consumer's stack), which the tests import or compile as it is.
    const lines = DOCS.map((file) => text(file).split("\n").length - 1).reduce((a, b) => a + b);
    expect(lines).toBeLessThanOrEqual(800);
    expect(lines).toBeGreaterThan(400);
  });

  it("the event the revocation events' guide shows is one the schema accepts", () => {
    const page = text("docs/revocation-events.md");
    const [, example] = /```json\n([\s\S]*?)```/.exec(page) ?? [];
    const event = JSON.parse(example as string);
    expect(event["detail-type"]).toBe("session-revoked");
    expect(validSessionRevoked(event.detail)).toBe(true);
  });
});
