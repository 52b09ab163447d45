/**
 * The package as a platform's security review reads its manifest: a scoped name that cannot be
 * confused with a public one, a registry to publish to that is not the public registry, and an
 * npm that keeps dependencies' install scripts off.
 */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";

const manifest = JSON.parse(readFileSync("package.json", "utf8"));

it("is scoped, and publishes to the platform's registry only, never the public one", () => {
  expect(manifest.name).toMatch(/^@rinne\//);
  expect(manifest.publishConfig.registry).toMatch(/^https:\/\//);
  expect(manifest.publishConfig.registry).not.toMatch(/registry\.npmjs\.org|registry\.yarnpkg/);
  expect(manifest.publishConfig.access).toBe("restricted");
});

it("states the npm that keeps dependencies' install scripts off unless allowScripts names them", () => {
  expect(manifest.engines.npm).toBe(">=11");
  // The one dependency whose install script runs: it brings the Lambda runtime's Node.js.
  expect(Object.entries(manifest.allowScripts).filter(([, allowed]) => allowed)).toEqual([
    ["node", true],
  ]);
});
