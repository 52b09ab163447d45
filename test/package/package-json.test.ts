/**
 * The package as a platform's security review reads its manifest: a scoped name that cannot be
 * confused with a public one, a registry to publish to that is not the public registry, and an
 * npm that keeps dependencies' install scripts off.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";

const manifest = JSON.parse(readFileSync("package.json", "utf8"));

it("is scoped, and publishes to the platform's registry only, never the public one", () => {
  expect(manifest.name).toMatch(/^@rinne\//);
  expect(manifest.publishConfig.registry).toMatch(/^https:\/\//);
  expect(manifest.publishConfig.registry).not.toMatch(/registry\.npmjs\.org|registry\.yarnpkg/);
  expect(manifest.publishConfig.access).toBe("restricted");
});

it("asks of its users the Node.js its runtime dependencies need (Middy 7: 22; require of ESM: 22.12)", () => {
  expect(manifest.engines.node).toBe(">=22.12");
  const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
  expect(lock.packages["node_modules/@middy/core"].engines.node).toMatch(/>=\s*22/);
});

it("states the npm that keeps dependencies' install scripts off unless allowScripts names them", () => {
  expect(manifest.engines.npm).toBe(">=11");
  // The one dependency whose install script runs: it brings the Lambda runtime's Node.js.
  expect(Object.entries(manifest.allowScripts).filter(([, allowed]) => allowed)).toEqual([
    ["node", true],
  ]);
});

it("CI refuses an npm older than 11 before it installs anything", () => {
  const bin = mkdtempSync(join(tmpdir(), "old-npm-"));
  // An npm 10 that says so, and fails the test if anything installs with it.
  writeFileSync(
    join(bin, "npm"),
    '#!/bin/sh\n[ "$1" = "--version" ] && echo 10.9.2 && exit 0\necho "npm $* ran" >&2\nexit 99\n',
  );
  chmodSync(join(bin, "npm"), 0o755);
  const run = spawnSync("bash", [".ci/run"], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain("npm 11 or later is required");
  expect(run.stderr).not.toContain("ran");
});
