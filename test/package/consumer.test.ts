/**
 * The package as another team gets it: staged and packed as the release publishes it, installed into a fresh consumer app (the
 * tarball unpacked into its node_modules as npm does; the peer dependencies linked from this
 * project's, rather than downloaded again), docs/protecting-routes.md's files
 * compiled with `tsc` (NodeNext) and run with plain `node`: the stack synthesizes two HTTP APIs
 * and a REST API protected, and the in-process check answers 200, then 401 after a logout.
 */
import { execFile, execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logoutHandlerFromEnvironment } from "../../functions/logout/logout-handler.js";
import { STAGED } from "../../scripts/stage-package.js";
import { captureOutput } from "../support/captured-output.js";
import {
  createLocalIdentity,
  httpApiEvent,
  type LocalDynamoDb,
  lambdaContext,
  startLocalDynamoDb,
} from "../support/kit.js";

captureOutput();
const ROOT = resolve(".");
const execFileAsync = promisify(execFile);
const README = readFileSync("README.md", "utf8");
/** The consumer's guide: its two files are the ones this test compiles and runs. */
const SECTION = readFileSync("docs/protecting-routes.md", "utf8");
/** The guide's stack (a file of its own) and each `<!-- consumer: file -->` block, by name. */
const FILES: Record<string, string> = Object.fromEntries([
  ["stack.ts", readFileSync("docs/consumer-stack.ts", "utf8")],
  ...[...SECTION.matchAll(/<!-- consumer: (\S+) -->\n```ts\n([\s\S]*?)```/g)].map((match) => [
    match[1] as string,
    match[2] as string,
  ]),
]);
/** What the consumer installs beside the package: its peers, and the types it compiles with. */
const LINKED = [
  "aws-cdk-lib",
  "constructs",
  "@middy",
  "@aws-lambda-powertools",
  "aws-jwt-verify",
  "@types/node",
  // NodejsFunction bundles with the esbuild it finds.
  "esbuild",
  "@types/aws-lambda",
];

/** A consumer's tsconfig: NodeNext, strict, as `tsc --init` leaves one for Node. */
const consumerTsconfig = (include: string[]) =>
  JSON.stringify({
    compilerOptions: {
      module: "NodeNext",
      moduleResolution: "NodeNext",
      target: "ES2022",
      strict: true,
      skipLibCheck: true,
      types: ["node"],
      outDir: "dist",
    },
    include,
  });

let app: string;
let packed: { files: { path: string }[] };
let dynamodb: LocalDynamoDb;

const run = (command: string, args: string[], env: Record<string, string> = {}) =>
  execFileSync(command, args, {
    cwd: app,
    env: { ...process.env, ...env },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });

/** The guide's stack with its function bundled as ESM, as the guide says one may. */
function withEsmBundling(source: string): string {
  return source
    .replace(
      "runtime: Runtime.NODEJS_24_X,\n  environment",
      "runtime: Runtime.NODEJS_24_X,\n  bundling: { format: OutputFormat.ESM },\n  environment",
    )
    .replace("import { NodejsFunction } from", "import { NodejsFunction, OutputFormat } from");
}

beforeAll(async () => {
  app = mkdtempSync(join(tmpdir(), "consumer-"));
  // As the release publishes it: the staged package (`npm run package`), packed.
  execFileSync("npm", ["run", "-s", "package"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const [result] = JSON.parse(
    execFileSync("npm", ["pack", STAGED, "--json", "--pack-destination", app], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  packed = result;
  const installed = join(app, "node_modules", "@rinne", "auth-logout");
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", [
    "-xzf",
    join(app, result.filename),
    "-C",
    installed,
    "--strip-components=1",
  ]);
  for (const name of LINKED) {
    mkdirSync(join(app, "node_modules", name, ".."), { recursive: true });
    symlinkSync(join(ROOT, "node_modules", name), join(app, "node_modules", name));
  }
  writeFileSync(join(app, "package.json"), JSON.stringify({ type: "module", private: true }));
  // NodejsFunction looks for the app's lock file, as `cdk init` leaves one.
  writeFileSync(
    join(app, "package-lock.json"),
    JSON.stringify({ lockfileVersion: 3, packages: {} }),
  );
  writeFileSync(join(app, "tsconfig.json"), consumerTsconfig(["*.ts"]));
  for (const [file, source] of Object.entries(FILES)) writeFileSync(join(app, file), source);
  // The guide's stack bundling its function as ESM: compiled with the rest, in one tsc run.
  writeFileSync(join(app, "stack-esm.ts"), withEsmBundling(FILES["stack.ts"] as string));
  run(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", "."]);
  // The guide's stack as written, synthesized once: its template and its CommonJS bundle.
  run("node", ["dist/stack.js"], { CDK_OUTDIR: join(app, "cdk.out.cjs") });
  dynamodb = await startLocalDynamoDb();
  await dynamodb.createRevocationTable("consumer-revocations");
}, 120_000);

afterAll(async () => {
  await dynamodb?.stop();
  rmSync(app, { recursive: true, force: true });
});

describe("the packed package", () => {
  it("holds the built entries and their types, and nothing of the tests, the bench or CI", () => {
    const paths = packed.files.map((file) => file.path);
    for (const entry of ["dist/functions/index", "dist/infra/constructs"]) {
      expect(paths).toContain(`${entry}.js`);
      expect(paths).toContain(`${entry}.d.ts`);
    }
    expect(
      paths.filter((path) => /^(test|bench|scripts|\.github|functions|infra)\//.test(path)),
    ).toEqual([]);
    expect(
      paths.filter((path) => /handler\.(js|d\.ts)$/.test(path) && path.endsWith("/handler.js")),
    ).toEqual([]);
  });

  it("carries a consumer's README and manifest: no scripts, no devDependencies, its repository", () => {
    const installed = join(app, "node_modules", "@rinne", "auth-logout");
    const readme = readFileSync(join(installed, "README.md"), "utf8");
    expect(readme).toBe(readFileSync("docs/package-readme.md", "utf8"));
    for (const needed of [
      "@rinne:registry=",
      "_authToken",
      "fromArn",
      "protectedHandler",
      "NodejsFunction",
    ]) {
      expect(readme).toContain(needed);
    }
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
    expect(Object.keys(manifest)).not.toContain("scripts");
    expect(Object.keys(manifest)).not.toContain("devDependencies");
    expect(manifest.private).toBeUndefined();
    expect(manifest.repository.url).toMatch(/^git\+https:\/\/github\.com\//);
    expect(manifest.publishConfig.registry).toBe("https://npm.pkg.github.com");
  });

  it("the guide has the two files, and every import of the package in the docs is theirs", () => {
    expect(Object.keys(FILES).sort()).toEqual(["handler.ts", "stack.ts"]);
    const consumerImports = Object.values(FILES).join("\n");
    const readmeImports = [README, SECTION]
      .join("\n")
      .split("\n")
      .filter((line) => /from "@rinne\/auth-logout/.test(line));
    expect(readmeImports.length).toBeGreaterThan(0);
    for (const line of readmeImports) expect(consumerImports).toContain(line.trim());
  });
});

/** A user of the consumer's API: a token, the function's environment, a request with it. */
async function signedIn(sub: string) {
  const identity = await createLocalIdentity();
  const environment = {
    ...identity.environment,
    ...dynamodb.environment,
    REVOCATION_TABLE_NAME: "consumer-revocations",
  };
  const token = await identity.mint("valid", { sub });
  const event = httpApiEvent({
    method: "GET",
    path: "/core/v1/payments",
    headers: { authorization: `Bearer ${token}` },
  });
  return { token, environment, event };
}

describe("a consumer compiled with tsc (NodeNext) and run by node", () => {
  it("synthesizes a stack with two HTTP APIs and a REST API, each protected", () => {
    const outdir = join(app, "cdk.out.cjs");
    const template = JSON.parse(readFileSync(join(outdir, "Payments.template.json"), "utf8"));
    const count = (type: string) =>
      Object.values(template.Resources as Record<string, { Type: string }>).filter(
        (resource) => resource.Type === type,
      ).length;
    expect(count("AWS::ApiGatewayV2::Authorizer")).toBe(2);
    expect(count("AWS::ApiGateway::Authorizer")).toBe(1);
    expect(count("AWS::ApiGateway::GatewayResponse")).toBe(4);
    expect(JSON.stringify(template.Parameters)).toContain(
      "/rinne/sandbox/auth/authorizer-function-arn",
    );
  });

  it.each([
    ["CommonJS, NodejsFunction's default", undefined],
    ["ESM, without a banner", "OutputFormat.ESM"],
  ])(
    "checks in-process as NodejsFunction bundles it (%s): 401, 200, then 401",
    async (_, format) => {
      // The guide's stack, synthesized with CDK's own bundling (esbuild, as NodejsFunction runs
      // it); the function's asset is what Lambda would run. The package once failed here twice:
      // `import.meta` in CommonJS, aws4's `require` of builtins in ESM.
      const variant = format === undefined ? "cjs" : "esm";
      // The CommonJS one is the guide's stack as written, synthesized before all.
      const outdir = join(app, `cdk.out.${variant}`);
      if (format !== undefined) {
        expect(readFileSync(join(app, "stack-esm.ts"), "utf8")).toContain(
          `bundling: { format: ${format} }`,
        );
        run("node", ["dist/stack-esm.js"], { CDK_OUTDIR: outdir });
      }
      const template = JSON.parse(readFileSync(join(outdir, "Payments.template.json"), "utf8"));
      const [backend] = Object.values(
        template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
      ).filter(
        (resource) =>
          resource.Type === "AWS::Lambda::Function" &&
          JSON.stringify(resource.Properties.Environment ?? {}).includes("REVOCATION_TABLE_NAME"),
      );
      if (backend === undefined)
        throw new Error("the guide's NodejsFunction is not in the template");
      const { S3Key } = backend.Properties.Code as { S3Key: string };
      const assetDir = join(outdir, `asset.${S3Key.replace(/\.zip$/, "")}`);
      const entry = format === undefined ? "index.js" : "index.mjs";
      expect(readdirSync(assetDir)).toContain(entry);
      // Lambda runs the asset alone: no package.json of the app's above it says "module".
      writeFileSync(join(assetDir, "package.json"), JSON.stringify({ type: "commonjs" }));
      writeFileSync(
        join(assetDir, "invoke.mjs"),
        `const module = await import("./${entry}");
const handler = module.handler ?? module.default.handler;
process.stdout.write("RESULT" + JSON.stringify(await handler(JSON.parse(process.argv[2]), { awsRequestId: "r-1" })));`,
      );
      const { token, environment, event } = await signedIn(`bundled-${variant}`);
      const invoke = async (request: object) => {
        const { stdout } = await execFileAsync("node", ["invoke.mjs", JSON.stringify(request)], {
          cwd: assetDir,
          env: { ...process.env, ...environment },
        });
        return JSON.parse(stdout.split("RESULT")[1] as string);
      };
      const withoutHeader = httpApiEvent({ method: "GET", path: "/core/v1/payments", headers: {} });
      expect((await invoke(withoutHeader)).statusCode).toBe(401);
      const before = await invoke(event);
      expect(before.statusCode, before.body).toBe(200);
      const logout = logoutHandlerFromEnvironment(environment);
      await logout(
        httpApiEvent({ headers: { authorization: `Bearer ${token}` } }),
        lambdaContext(),
      );
      const after = await invoke(event);
      expect(after.statusCode).toBe(401);
      expect(JSON.parse(after.body).error.details.reason).toBe("Token has been revoked");
    },
    120_000,
  );

  it("checks in-process in a CommonJS app compiled by tsc and run by node (require of ESM)", async () => {
    // A CommonJS consumer: tsc turns the import into require(), which Node 22.12+ serves from
    // the package's ES modules. (tsx in a CommonJS app rewrites them to CommonJS instead, and
    // Middy 7 has none: not supported, said in the guide.)
    const cjs = join(app, "cjs");
    mkdirSync(cjs, { recursive: true });
    writeFileSync(join(cjs, "package.json"), JSON.stringify({ type: "commonjs" }));
    writeFileSync(join(cjs, "handler.ts"), FILES["handler.ts"] as string);
    writeFileSync(join(cjs, "tsconfig.json"), consumerTsconfig(["handler.ts"]));
    run(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", "cjs"]);
    expect(readFileSync(join(cjs, "dist", "handler.js"), "utf8")).toContain(
      'require("@rinne/auth-logout")',
    );
    writeFileSync(
      join(cjs, "invoke.js"),
      `const { handler } = require("./dist/handler.js");
handler(JSON.parse(process.argv[2]), { awsRequestId: "r-1" }).then((result) => process.stdout.write("RESULT" + JSON.stringify(result)));`,
    );
    const { environment, event } = await signedIn("cjs-user");
    const { stdout } = await execFileAsync("node", ["invoke.js", JSON.stringify(event)], {
      cwd: cjs,
      env: { ...process.env, ...environment },
    });
    const answer = JSON.parse(stdout.split("RESULT")[1] as string);
    expect(answer.statusCode, answer.body).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ sub: "cjs-user" });
  });

  it("checks in-process: 200 with the token's subject, then the contract's 401 once logged out", async () => {
    const { token, environment, event } = await signedIn("consumer-user");
    writeFileSync(
      join(app, "invoke.mjs"),
      `const { handler } = await import("./dist/handler.js");
process.stdout.write("RESULT" + JSON.stringify(await handler(JSON.parse(process.argv[2]), { awsRequestId: "r-1" })));`,
    );
    // Not execFileSync: dynalite runs in this process, and must answer while the child waits.
    const invoke = async () => {
      const { stdout } = await execFileAsync("node", ["invoke.mjs", JSON.stringify(event)], {
        cwd: app,
        env: { ...process.env, ...environment },
      });
      return JSON.parse(stdout.split("RESULT")[1] as string);
    };

    const before = await invoke();
    expect(before.statusCode, before.body).toBe(200);
    expect(JSON.parse(before.body)).toEqual({ sub: "consumer-user" });

    const logout = logoutHandlerFromEnvironment(environment);
    const loggedOut = await logout(
      httpApiEvent({ headers: { authorization: `Bearer ${token}` } }),
      lambdaContext(),
    );
    expect(loggedOut.statusCode).toBe(200);

    const after = await invoke();
    expect(after.statusCode).toBe(401);
    expect(after.headers["WWW-Authenticate"]).toBe('Bearer error="invalid_token"');
    expect(JSON.parse(after.body).error).toMatchObject({
      code: "AUTHENTICATION_ERROR",
      details: { reason: "Token has been revoked" },
      path: "/v1/payments",
    });
  });
});
