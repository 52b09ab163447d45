/**
 * The folders of functions/ are its layers, and imports point down: a module imports its own
 * folder's modules and those of the layers below, never a layer above, never a neighbour of its
 * own layer; and no module imports, directly or not, one that depends on it.
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

/** Each module's relative imports: type-only and side-effect ones too, each a dependency. */
function importGraph(files: string[]): Map<string, string[]> {
  return new Map(
    files.map((file) => [
      file,
      [...readFileSync(file, "utf8").matchAll(/(?:from|import\(?)\s*"(\.[^"]+)"/g)].map((match) =>
        normalize(join(dirname(file), (match[1] as string).replace(/\.js$/, ".ts"))),
      ),
    ]),
  );
}

const graph = importGraph(modules("functions"));

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

/**
 * Bottom to top. A layer of several folders holds neighbours that know nothing of each other.
 * "." is the composition root beside the public surface (`bearer-check.ts`, `index.ts`).
 */
const LAYERS: readonly (readonly string[])[] = [
  // The vocabulary: the verified token, the clock, scopes and ports, errors, AWS identifiers.
  ["domain"],
  ["config"],
  // The adapters (the verifier, the store, Cognito) and the logout's core, over the ports.
  ["auth", "revocation", "cognito", "core"],
  // The edges: HTTP (events, the error table, the envelope, the reusable guard), and the
  // revocation events other systems receive.
  ["http", "events"],
  ["."],
  // The functions: their Lambda adapters and entry points.
  ["logout", "authorizer", "operator", "publisher", "provider"],
];

const folderOf = (file: string) => {
  const parts = file.split("/");
  return parts.length === 2 ? "." : (parts[1] as string);
};
const layerOf = (folder: string) => LAYERS.findIndex((layer) => layer.includes(folder));

/** Each import that crosses folders against the order: up, or sideways within a layer. */
function arrowsAgainstTheOrder(): string[] {
  return [...graph].flatMap(([file, imports]) =>
    imports
      .filter((target) => {
        const [from, to] = [folderOf(file), folderOf(target)];
        return from !== to && layerOf(to) >= layerOf(from);
      })
      .map((target) => `${file} -> ${target}`),
  );
}

describe("functions/", () => {
  it("has no import cycle", () => {
    expect(cycles().map((cycle) => cycle.join(" -> "))).toEqual([]);
  });

  it("places every folder in a layer", () => {
    const folders = new Set([...graph.keys()].map(folderOf));
    expect([...folders].filter((folder) => layerOf(folder) < 0)).toEqual([]);
  });

  it("has no arrow up, and none between neighbours of one layer", () => {
    expect(arrowsAgainstTheOrder()).toEqual([]);
  });

  it("the order check finds an arrow up, and one sideways (control)", () => {
    graph.set("functions/domain/x.ts", ["functions/http/problems.ts"]);
    graph.set("functions/auth/x.ts", ["functions/revocation/revocation-store.ts"]);
    try {
      expect(arrowsAgainstTheOrder()).toEqual([
        "functions/domain/x.ts -> functions/http/problems.ts",
        "functions/auth/x.ts -> functions/revocation/revocation-store.ts",
      ]);
    } finally {
      graph.delete("functions/domain/x.ts");
      graph.delete("functions/auth/x.ts");
    }
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

/**
 * The top level, bottom to top: functions/ knows nothing of the rest, infra/ composes the
 * functions, scripts/ runs both locally, bench/ measures them all. No import points up.
 */
const TOP_LEVEL = ["functions", "infra", "scripts", "bench"] as const;

const topGraph = importGraph(TOP_LEVEL.flatMap((folder) => modules(folder)));
const topOf = (file: string) => TOP_LEVEL.indexOf(file.split("/")[0] as (typeof TOP_LEVEL)[number]);

function topArrowsUp(): string[] {
  return [...topGraph].flatMap(([file, imports]) =>
    imports.filter((target) => topOf(target) > topOf(file)).map((target) => `${file} -> ${target}`),
  );
}

describe("the top level", () => {
  it("imports only downwards: bench -> scripts -> infra -> functions", () => {
    expect(topArrowsUp()).toEqual([]);
  });

  it("the check finds an arrow up (control)", () => {
    topGraph.set("functions/x.ts", ["infra/bundling.ts"]);
    topGraph.set("infra/x.ts", ["scripts/refuse.ts"]);
    try {
      expect(topArrowsUp()).toEqual([
        "functions/x.ts -> infra/bundling.ts",
        "infra/x.ts -> scripts/refuse.ts",
      ]);
    } finally {
      topGraph.delete("functions/x.ts");
      topGraph.delete("infra/x.ts");
    }
  });
});

describe("the tests", () => {
  /** A test that tests a script imports it; every other reaches the kit through one door. */
  const SUBJECTS: Record<string, string> = {
    "test/package/consumer.test.ts": "scripts/stage-package.ts",
    "test/infra/deployable-bundle.test.ts": "scripts/deployable-bundle.ts",
    "test/functions/events/revocation-events.test.ts": "scripts/republish-revocation-events.ts",
    "test/functions/events/stream-cross-check.test.ts": "scripts/table-stream.ts",
  };

  it("reach the development kit through test/support/kit.ts alone", () => {
    const tests = importGraph(modules("test"));
    const strays = [...tests].flatMap(([file, imports]) =>
      imports
        .filter((target) => target.startsWith("scripts/"))
        .filter(
          (target) =>
            file !== "test/support/kit.ts" &&
            !file.startsWith("test/scripts/") &&
            SUBJECTS[file] !== target,
        )
        .map((target) => `${file} -> ${target}`),
    );
    expect(strays).toEqual([]);
  });
});
