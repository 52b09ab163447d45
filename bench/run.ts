/**
 * `npm run bench` (`-- --short` for CI's quick check that it runs): the performance figures of
 * the README, measured side by side in one run. A benchmark, not a test: it asserts nothing
 * about timings, it prints them with the goals beside them.
 */
import { fork, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { ESM_REQUIRE_BANNER } from "../infra/bundled-function.js";
import { synthesizeDeployableBundles } from "../scripts/deployable-bundle.js";
import { startLocalDynamoDb } from "../scripts/local-dynamodb.js";
import { createLocalIdentity } from "../scripts/local-identity.js";
import { httpApiEvent } from "../test/support/logout-app.js";
import { median } from "./median.js";
import type { WarmInput, WarmResult } from "./warm.js";

const short = process.argv.includes("--short");
const settings = short
  ? { rounds: 3, iterations: 200, revocationSamples: 10, coldRuns: 3 }
  : { rounds: 15, iterations: 3000, revocationSamples: 200, coldRuns: 21 };
const WORK = resolve(".bench");
const TABLE = "bench-revocations";

/** Issue 5's goals and aims, each a bound a figure must stay under. */
const GOALS = {
  /** A valid-token invocation against a bare verify of the same token. */
  warmRatio: { goal: 1.3, aim: 1.2, unit: "×" },
  /** A fresh process's answer, over an empty `node`'s. */
  coldExtraMs: { goal: 80, aim: 50, unit: " ms" },
  bundleKiB: { goal: 200, aim: 150, unit: " KiB" },
} as const;

/** "(goal ≤ 1.3×, aim 1.2×: aim met)" for a figure against one of the GOALS. */
function verdict(value: number, { goal, aim, unit }: (typeof GOALS)[keyof typeof GOALS]) {
  const met = value <= aim ? "aim met" : value <= goal ? "goal met" : "MISSED";
  return `(goal ≤ ${goal}${unit}, aim ${aim}${unit}: ${met})`;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/**
 * How the kernel isolates its page tables: with PTI and no PCID, every system call flushes the
 * TLB, which is what makes the one write(2) per request dear on this kind of VM.
 */
function systemCallIsolation(): string {
  try {
    const meltdown = readFileSync(
      "/sys/devices/system/cpu/vulnerabilities/meltdown",
      "utf8",
    ).trim();
    if (!meltdown.includes("PTI")) return `kernel page tables: ${meltdown}`;
    const flags = readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1] ?? "";
    return flags.split(" ").includes("pcid")
      ? `kernel page tables: ${meltdown}, with PCID`
      : `kernel page tables: ${meltdown}, no PCID (each system call flushes the TLB)`;
  } catch {
    return "kernel page tables: unknown";
  }
}

/** Bundles an entry as NodejsFunction does for the stack: ESM, minified, source map beside. */
async function bundle(name: string, entry: string, external: string[]): Promise<string> {
  const outfile = join(WORK, name, "index.mjs");
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    minify: true,
    keepNames: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ["module", "main"],
    banner: { js: ESM_REQUIRE_BANNER },
    external,
    logLevel: "error",
  });
  return outfile;
}

function runWarm(input: WarmInput): Promise<WarmResult> {
  return new Promise((resolvePromise, reject) => {
    const child = fork("bench/warm.ts", {
      execArgv: ["--import", "tsx"],
      // Logs go to /dev/null: the write is counted, the speed of a reader is not.
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    child.once("message", (result) => resolvePromise(result as WarmResult));
    child.once("exit", (code) => code !== 0 && reject(new Error(`warm bench exited ${code}`)));
    child.send(input);
  });
}

/**
 * Time from spawn to the answer, in ms: when a fresh process prints its results. Not to exit:
 * Lambda freezes a process once it has answered, so exit costs are no part of a cold start.
 */
function timeToAnswer(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; line: string }> {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "ignore"] });
    let stdout = "";
    let answered: { ms: number; line: string } | undefined;
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      // The answer is the line that starts with {"results"; log lines may come before it.
      const line = stdout.split("\n").find((candidate) => candidate.startsWith('{"results"'));
      if (answered === undefined && line !== undefined && stdout.includes(`${line}\n`)) {
        answered = { ms: Number(process.hrtime.bigint() - started) / 1e6, line };
      }
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0 || answered === undefined)
        reject(new Error(`${args.join(" ")} exited ${code}`));
      else resolvePromise(answered);
    });
  });
}

async function main() {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  console.log(
    `Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.arch()}, Node.js ${process.version}${short ? " (short mode: figures are rough)" : ""}\n${systemCallIsolation()}\n`,
  );

  const deployable = synthesizeDeployableBundles().logout.entry;
  const variants: [string, string, string][] = [
    ["deployable bundle (aws4 + node:https client)", "deployable", deployable],
    [
      "AWS SDK v3 client, external",
      "sdk-external",
      await bundle("sdk-external", "bench/peers/handler-with-aws-sdk.ts", ["@aws-sdk/*"]),
    ],
    [
      "AWS SDK v3 client, bundled",
      "sdk-bundled",
      await bundle("sdk-bundled", "bench/peers/handler-with-aws-sdk.ts", [
        // Only the DynamoDB client is bundled; the Cognito paths stay lazy as in the function.
        "@aws-sdk/client-cognito-identity-provider",
        "@aws-sdk/client-secrets-manager",
        "@aws-sdk/client-ssm",
      ]),
    ],
    [
      "peer: jsonwebtoken + jwks-rsa + SDK",
      "peer",
      await bundle("peer", "bench/peers/jsonwebtoken-handler.ts", ["@aws-sdk/*"]),
    ],
  ];
  // External SDK modules resolve from the project's node_modules, as from Lambda's runtime.
  for (const [, name] of variants.slice(1))
    writeFileSync(join(WORK, name, "package.json"), '{"type":"module"}');

  const dynamodb = await startLocalDynamoDb();
  await dynamodb.createRevocationTable(TABLE);
  try {
    const warm = await runWarm({
      deployable,
      peer: variants[3]?.[2] as string,
      rounds: settings.rounds,
      iterations: settings.iterations,
      revocationSamples: settings.revocationSamples,
      dynamodb: dynamodb.environment,
      tableName: TABLE,
    });

    const identity = await createLocalIdentity();
    const env = {
      PATH: process.env.PATH,
      NODE_PATH: resolve("node_modules"),
      ...identity.environment,
      ...dynamodb.environment,
      REVOCATION_TABLE_NAME: TABLE,
      LOG_LEVEL: "INFO",
    };
    const cold = new Map<string, number[]>([
      ["empty", []],
      ...variants.map(([, name]) => [name, []] as [string, number[]]),
    ]);
    // One warm-up round (file cache), then interleaved rounds.
    for (let run = -1; run < settings.coldRuns; run++) {
      const empty = await timeToAnswer(["-e", `process.stdout.write('{"results":[]}\\n')`], env);
      if (run >= 0) cold.get("empty")?.push(empty.ms);
      for (const [, name, entry] of variants) {
        const eventFile = join(WORK, `${name}-${run}.json`);
        const token = await identity.mint("valid");
        writeFileSync(
          eventFile,
          JSON.stringify(httpApiEvent({ authorization: [`Bearer ${token}`] })),
        );
        const { ms, line } = await timeToAnswer(
          ["scripts/invoke-bundle.mjs", entry, eventFile],
          env,
        );
        const status = JSON.parse(line).results?.[0]?.statusCode;
        if (status !== 200)
          throw new Error(`${name} answered ${status}, not 200: nothing to measure`);
        if (run >= 0) cold.get(name)?.push(ms);
      }
    }

    const emptyMs = median(cold.get("empty") as number[]);
    console.log("Warm (µs per invocation, median of interleaved rounds)");
    console.log(
      `  bare aws-jwt-verify verify (RS256, cached JWKS)  ${warm.bareVerifyUs.toFixed(1)} µs`,
    );
    console.log(
      `  logout handler, valid token                      ${warm.handlerUs.toFixed(1)} µs   ratio ${warm.ratio.toFixed(2)}×   ${verdict(warm.ratio, GOALS.warmRatio)}`,
    );
    console.log(
      `  same handler, LOG_LEVEL=WARN (no request line)   ${warm.quietHandlerUs.toFixed(1)} µs   ratio ${warm.quietRatio.toFixed(2)}×   ${verdict(warm.quietRatio, GOALS.warmRatio)}`,
    );
    console.log(
      `  the same + one write(2) of a request line        ${warm.floorUs.toFixed(1)} µs   ratio ${warm.floorRatio.toFixed(2)}×   (the floor of logging each request, with no logger)`,
    );
    const writeInLoopUs = warm.floorUs - warm.quietHandlerUs;
    console.log(
      `  that write(2): ${writeInLoopUs.toFixed(1)} µs beside the verify (${(writeInLoopUs / warm.bareVerifyUs).toFixed(2)}× of it; the goal leaves ${(GOALS.warmRatio.goal - 1).toFixed(2)}× for all above it), ${warm.writeAloneUs.toFixed(1)} µs alone in a tight loop`,
    );
    console.log(
      `  logout handler, 401 (expired token)              ${warm.refusedUs.toFixed(1)} µs`,
    );
    console.log(
      `  peer: jsonwebtoken + jwks-rsa handler            ${warm.peerUs.toFixed(1)} µs   ratio ${(warm.peerUs / warm.bareVerifyUs).toFixed(2)}×`,
    );
    console.log(
      `  logout with revocation (dynalite, loopback)      ${warm.logoutWithRevocationUs.toFixed(0)} µs   the same conditional PutItem alone: ${warm.dynamoDbRoundTripUs.toFixed(0)} µs`,
    );
    console.log(
      `\nCold start (ms from spawn to answer, median of ${settings.coldRuns} fresh processes, one logout with revocation on)`,
    );
    console.log(`  empty node (prints one line)                      ${emptyMs.toFixed(1)} ms`);
    for (const [label, name, entry] of variants) {
      const ms = median(cold.get(name) as number[]);
      const extra = ms - emptyMs;
      const goal = name === "deployable" ? `   ${verdict(extra, GOALS.coldExtraMs)}` : "";
      console.log(
        `  ${label.padEnd(48)}  ${ms.toFixed(1)} ms   +${extra.toFixed(1)} ms over empty node   bundle ${kib(statSync(entry).size)}${goal}`,
      );
    }
    const size = statSync(deployable).size;
    const map = statSync(`${deployable}.map`).size;
    console.log(
      `\nDeployable bundle: ${kib(size)} minified, source map ${kib(map)} beside it   ${verdict(size / 1024, GOALS.bundleKiB)}`,
    );
    console.log(
      "\nExternal SDK sizes count only the bundle; the SDK itself loads from node_modules (on Lambda, from the runtime).",
    );
  } finally {
    await dynamodb.stop();
  }
}

await main();
