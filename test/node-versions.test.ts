/**
 * The README's word on Node.js is what the lockfile and the scripts do: it installs on the
 * oldest Node.js it names, the packages that want more are named by the warning it explains,
 * and every npm script runs on the Node.js it says (the `node` devDependency's).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const README = readFileSync("README.md", "utf8");
const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as {
  packages: Record<string, { engines?: { node?: string }; dev?: boolean }>;
};
const manifest = JSON.parse(readFileSync("package.json", "utf8"));

/** Whether a simple engines range (`>=22`, `^22.18.0 || >=24.11.0`) admits Node.js `major`. */
function admits(range: string, major: number): boolean {
  return range.split("||").some((part) => {
    const bound = /(>=|\^|~)?\s*v?(\d+)/.exec(part.trim());
    if (!bound) return true;
    const [, operator, version] = bound;
    return operator === ">=" ? major >= Number(version) : major === Number(version);
  });
}

describe("Node.js, as the README says it", () => {
  const oldest = Number(/with Node\.js (\d+) or later/.exec(README)?.[1]);

  it("names the oldest Node.js to install on, and says why npm warns there", () => {
    expect(oldest).toBe(20);
    const wanting = Object.entries(lock.packages).filter(
      ([path, entry]) => path !== "" && entry.engines?.node && !admits(entry.engines.node, oldest),
    );
    if (wanting.length > 0) expect(README).toContain("`npm ci` warns `EBADENGINE`");
    // Only what the scripts run (on Node.js 24) wants more: never what the install itself runs.
    expect(wanting.every(([, entry]) => entry.dev === true)).toBe(true);
  });

  it("runs every script on the Node.js the README says, the Lambda runtime's", () => {
    const scripts = Number(
      /every npm script then runs on Node\.js (\d+)/.exec(README.replace(/\s+/g, " "))?.[1],
    );
    expect(scripts).toBe(24);
    expect(manifest.devDependencies.node).toMatch(new RegExp(`^\\^${scripts}\\.`));
  });
});
