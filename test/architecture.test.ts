/**
 * Imports point down: no module of functions/ imports, directly or not, one that depends on it,
 * and the shared layers never reach up into the functions built on them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";

function modules(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? modules(join(directory, entry.name))
      : entry.name.endsWith(".ts")
        ? [join(directory, entry.name)]
        : [],
  );
}

/** Each module's relative imports, type-only ones included: a type is a dependency too. */
const graph = new Map(
  modules("functions").map((file) => [
    file,
    [...readFileSync(file, "utf8").matchAll(/(?:from|import\()\s*"(\.[^"]+)"/g)].map((match) =>
      normalize(join(dirname(file), (match[1] as string).replace(/\.js$/, ".ts"))),
    ),
  ]),
);

function cycles(): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const visit = (file: string, path: string[]) => {
    if (path.includes(file)) {
      found.push([...path.slice(path.indexOf(file)), file]);
      return;
    }
    if (done.has(file)) return;
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    done.add(file);
  };
  for (const file of graph.keys()) visit(file, []);
  return found;
}

describe("functions/", () => {
  it("has no import cycle", () => {
    expect(cycles().map((cycle) => cycle.join(" -> "))).toEqual([]);
  });

  it.each([
    ["functions/revocation", ["functions/logout", "functions/authorizer", "functions/cognito"]],
    ["functions/auth", ["functions/logout", "functions/authorizer", "functions/cognito"]],
    ["functions/http", ["functions/logout", "functions/authorizer", "functions/cognito"]],
    ["functions/cognito", ["functions/logout", "functions/authorizer"]],
  ])("%s imports nothing from the functions built on it", (layer, above) => {
    const upward = [...graph]
      .filter(([file]) => file.startsWith(`${layer}/`))
      .flatMap(([file, imports]) =>
        imports
          .filter((target) => above.some((dir) => target.startsWith(`${dir}/`)))
          .map((target) => `${file} -> ${target}`),
      );
    expect(upward).toEqual([]);
  });

  it("the check finds a cycle where there is one (control)", () => {
    graph.set("functions/a.ts", ["functions/b.ts"]);
    graph.set("functions/b.ts", ["functions/a.ts"]);
    try {
      expect(cycles().length).toBeGreaterThan(0);
    } finally {
      graph.delete("functions/a.ts");
      graph.delete("functions/b.ts");
    }
  });
});
