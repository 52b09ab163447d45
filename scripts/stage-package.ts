/**
 * `npm run package`: the package as it is published, staged in `.package/`: the built entries
 * (`dist/`, without the Lambda handlers), a manifest with what a consumer needs and nothing of
 * this project's development (no scripts, no devDependencies), and the consumer's README
 * (`docs/package-readme.md`), not the service's. `npm pack .package` and `npm publish .package`
 * take it as it is; the project root is private, so it is never published by mistake.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const STAGED = ".package";

/** The published manifest: the root's, less what only this project's development uses. */
export function publishedManifest(root: Record<string, unknown>): Record<string, unknown> {
  const {
    private: _private,
    scripts: _scripts,
    devDependencies: _devDependencies,
    allowScripts: _allowScripts,
    files: _files,
    ...published
  } = root;
  return { ...published, files: ["dist"] };
}

export function stagePackage(root = "."): string {
  execFileSync(
    join(root, "node_modules", ".bin", "tsc"),
    ["-p", join(root, "tsconfig.build.json")],
    {
      stdio: "inherit",
    },
  );
  const staged = join(root, STAGED);
  rmSync(staged, { recursive: true, force: true });
  mkdirSync(staged);
  cpSync(join(root, "dist"), join(staged, "dist"), {
    recursive: true,
    // The Lambda handlers are the service's deployment, not the package's.
    filter: (source) => !/[/\\]handler\.(js|d\.ts)$/.test(source),
  });
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  writeFileSync(
    join(staged, "package.json"),
    `${JSON.stringify(publishedManifest(manifest), null, 2)}\n`,
  );
  cpSync(join(root, "docs", "package-readme.md"), join(staged, "README.md"));
  return staged;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(stagePackage());
