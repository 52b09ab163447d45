/**
 * `npm run bench` (`-- --short` for CI's quick check that it runs): the performance figures of
 * the README, measured side by side in one run. A benchmark, not a test: it asserts nothing
 * about timings, it prints them with the goals beside them.
 */
import { execFileSync, fork, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import os from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { BUNDLING } from "../infra/bundling.js";
import { httpApiAuthorizerEvent, httpApiEvent } from "../scripts/api-gateway-events.js";
import { synthesizeDeployableBundles } from "../scripts/deployable-bundle.js";
import { startLocalDynamoDb } from "../scripts/local-dynamodb.js";
import { createLocalIdentity } from "../scripts/local-identity.js";
import { startJwksServer } from "../test/support/jwks-server.js";
import { simulate } from "./hot-token.js";
import { median } from "./median.js";
import type { RoundTrips, WarmInput, WarmResult } from "./warm.js";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(
    "usage: npm run bench [-- --short]   the performance figures beside their goals (bench/README.md);\n" +
      "       --short: few rounds, CI's check that it runs (no verdict is meaningful there)",
  );
  process.exit(0);
}
const short = process.argv.includes("--short");
const settings = short
  ? {
      rounds: 3,
      iterations: 200,
      checkIterations: 20,
      revocationSamples: 10,
      globalSamples: 3,
      coldRuns: 3,
    }
  : {
      rounds: 15,
      iterations: 3000,
      checkIterations: 200,
      revocationSamples: 200,
      globalSamples: 15,
      coldRuns: 21,
    };
const WORK = resolve(".bench");
/**
 * The commit before the performance issue's work: its logout and authorizer, bundled as they
 * were deployed then, run in the same rounds as today's.
 */
const BASELINE = "fe004d5";
const TABLE = "bench-revocations";
const EMPTY_MODULE = join(WORK, "empty.mjs");

/** The performance issue's goals and aims, each a bound a figure must stay under. */
const GOALS = {
  /** A valid-token logout, revocation off, against verify + the same logger's line. */
  logoutRatio: { goal: 1.1, aim: 1.05, unit: "×" },
  /** A revoking logout against verify + its PutItem beside its BatchGetItem, as it sends them. */
  revokingLogoutRatio: { goal: 1.1, aim: 1.05, unit: "×" },
  /** A checked request (authorizer, middleware) against verify + its key hashes, read, line. */
  checkRatio: { goal: 1.1, aim: 1.05, unit: "×" },
  /** A fresh process's time to answer over an empty ES module's, logout and authorizer alike. */
  coldRatio: { goal: 2.0, aim: 2.0, unit: "×" },
  /** A cold request whose network is slow, against its longest step plus its work. */
  coldNetworkRatio: { goal: 1.1, aim: 1.1, unit: "×" },
  logoutBundleKiB: { goal: 80, aim: 80, unit: " KiB" },
  authorizerBundleKiB: { goal: 70, aim: 70, unit: " KiB" },
  /** The session issue's: a local logout is one round trip in sequence, a check one read. */
  localLogoutRoundTrips: { goal: 1, aim: 1, unit: "" },
  checkRoundTrips: { goal: 1, aim: 1, unit: "" },
  /** The events issue's: the revocation's write with its notice against the write without. */
  noticeCost: { goal: 1.1, aim: 1.05, unit: "×" },
  /**
   * The sign-out issue's: a user-wide logout said again from one session costs a check (verify,
   * one read, the line), never a write or a wait, so a stolen token looping it holds nothing.
   */
  repeatedUserLogoutRatio: { goal: 1.2, aim: 1.1, unit: "×" },
  /**
   * The identity provider's issue: a back-channel logout against verify + its session item's
   * write; a Cognito pool's sign-out against the user item's read and write.
   */
  inboundRevocationRatio: { goal: 1.1, aim: 1.05, unit: "×" },
} as const;

type Goal = (typeof GOALS)[keyof typeof GOALS];

/** "(goal ≤ 1.1×, aim 1.05×: aim met)" for a figure against one of the GOALS. */
function verdict(value: number, { goal, aim, unit }: Goal) {
  const met = value <= aim ? "aim met" : value <= goal ? "goal met" : "MISSED";
  return `(goal ≤ ${goal}${unit}${aim < goal ? `, aim ${aim}${unit}` : ""}: ${met})`;
}

/**
 * A timing's verdict: none in a short run, whose few rounds make ratios rough (a MISSED there
 * would be its shortness, not the code). Sizes and round trips are judged in either run.
 */
function timedVerdict(value: number, goal: Goal) {
  return short
    ? `(goal ≤ ${goal.goal}${goal.unit}: not judged in a short run)`
    : verdict(value, goal);
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

/**
 * Bundles a peer as NodejsFunction does for the stack, with the stack's options, and the
 * `require` an ESM bundle of their CommonJS dependencies (jsonwebtoken, the AWS SDK) needs.
 */
async function bundle(
  name: string,
  entry: string,
  external: string[],
  options: { keepNames?: boolean; legalComments?: "eof" } = {},
): Promise<string> {
  const outfile = join(WORK, name, "index.mjs");
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    ...BUNDLING,
    ...options,
    mainFields: [...BUNDLING.mainFields],
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    external,
  });
  return outfile;
}

/**
 * The baseline's entries, bundled with the options of then (esbuild's keepNames, its legal
 * comments); undefined where this clone does not hold the commit (a shallow one).
 */
async function baselineBundles(): Promise<{ logout: string; authorizer: string } | undefined> {
  const source = join(WORK, "baseline");
  const archive = join(WORK, "baseline.tar");
  try {
    mkdirSync(source, { recursive: true });
    execFileSync("git", ["archive", "--output", archive, BASELINE, "functions"], {
      stdio: "ignore",
    });
    execFileSync("tar", ["-xf", archive, "-C", source]);
  } catch {
    return undefined;
  }
  const then = { keepNames: true, legalComments: "eof" } as const;
  const entry = (name: string) => join(source, `functions/${name}/handler.ts`);
  return {
    logout: await bundle("baseline-logout", entry("logout"), [...BUNDLING.external], then),
    authorizer: await bundle(
      "baseline-authorizer",
      entry("authorizer"),
      [...BUNDLING.external],
      then,
    ),
  };
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

/** The network's latency on the cold path: the keys' endpoint, and each new DynamoDB connection. */
const KEYS_MS = 80;
const CONNECTION_MS = 20;

/**
 * DynamoDB behind a connection that takes `delay.ms` to open, as a new TLS connection to
 * DynamoDB does: each new connection waits, then is piped through.
 */
async function slowConnections(endpoint: string, delay: { ms: number }) {
  const target = new URL(endpoint);
  const server = createServer((socket: Socket) => {
    socket.pause();
    setTimeout(() => {
      const upstream = connect(Number(target.port), target.hostname, () => socket.resume());
      socket.pipe(upstream).pipe(socket);
      socket.on("error", () => upstream.destroy());
      upstream.on("error", () => socket.destroy());
    }, delay.ms);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => server.close(),
  };
}

async function main() {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  console.log(
    `Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.arch()}, Node.js ${process.version}${short ? " (short mode: figures are rough)" : ""}\n${systemCallIsolation()}\n`,
  );

  // Measuring takes a while, and the figures come together at the end: say what runs now.
  const started = Date.now();
  const step = (what: string) =>
    console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${what}…`);
  step("Bundling the functions as cdk synth does, and the peers");
  const bundles = synthesizeDeployableBundles();
  const deployable = bundles.logout.entry;
  const baseline = await baselineBundles();
  const variants: [string, string, string][] = [
    ["logout bundle (SigV4 + node:https client)", "deployable", deployable],
    ["authorizer bundle", "authorizer", bundles.authorizer.entry],
    [
      "logout, AWS SDK v3 client, external",
      "sdk-external",
      await bundle("sdk-external", "bench/peers/handler-with-aws-sdk.ts", [...BUNDLING.external]),
    ],
    [
      "logout, AWS SDK v3 client, bundled",
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
      await bundle("peer", "bench/peers/jsonwebtoken-handler.ts", [...BUNDLING.external]),
    ],
    ...(baseline
      ? ([
          [`logout bundle at ${BASELINE} (before this work)`, "baseline-logout", baseline.logout],
          [`authorizer bundle at ${BASELINE}`, "baseline-authorizer", baseline.authorizer],
        ] as [string, string, string][])
      : []),
  ];
  // The floor of a cold start: an ES module that answers at once, as a bundle is one.
  writeFileSync(EMPTY_MODULE, `process.stdout.write('{"results":[]}\\n');\n`);
  // External SDK modules resolve from the project's node_modules, as from Lambda's runtime.
  for (const [, name] of variants.slice(2))
    writeFileSync(join(WORK, name, "package.json"), '{"type":"module"}');

  const dynamodb = await startLocalDynamoDb();
  await dynamodb.createRevocationTable(TABLE);
  try {
    step(`Warm invocations, interleaved: ${settings.rounds} rounds`);
    const warm = await runWarm({
      logout: deployable,
      authorizer: bundles.authorizer.entry,
      peer: variants[4]?.[2] as string,
      rounds: settings.rounds,
      iterations: settings.iterations,
      checkIterations: settings.checkIterations,
      revocationSamples: settings.revocationSamples,
      globalSamples: settings.globalSamples,
      dynamodb: dynamodb.environment,
      tableName: TABLE,
      baseline,
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
    /** A fresh process of `entry` answering one valid request: its time, in ms. */
    const coldRequest = async (
      name: string,
      entry: string,
      environment: NodeJS.ProcessEnv,
      file: string,
    ) => {
      const eventFile = join(WORK, `${file}.json`);
      const headers = { Authorization: `Bearer ${await identity.mint("valid")}` };
      const event = name.endsWith("authorizer")
        ? httpApiAuthorizerEvent({ method: "GET", path: "/core/v1/example/protected", headers })
        : httpApiEvent({ headers });
      writeFileSync(eventFile, JSON.stringify(event));
      const { ms, line } = await timeToAnswer(
        ["scripts/invoke-bundle.mjs", entry, eventFile],
        environment,
      );
      const [answer] = JSON.parse(line).results ?? [];
      if (answer?.statusCode !== 200 && answer?.isAuthorized !== true)
        throw new Error(`${name} answered ${JSON.stringify(answer)}: nothing to measure`);
      return ms;
    };

    const cold = new Map<string, number[]>([
      ["empty", []],
      ...variants.map(([, name]) => [name, []] as [string, number[]]),
    ]);
    step(`Cold starts, interleaved: ${settings.coldRuns} runs of each bundle`);
    // One warm-up round (file cache), then interleaved rounds.
    for (let run = -1; run < settings.coldRuns; run++) {
      const empty = await timeToAnswer([EMPTY_MODULE], env);
      if (run >= 0) cold.get("empty")?.push(empty.ms);
      for (const [, name, entry] of variants) {
        const ms = await coldRequest(name, entry, env, `${name}-${run}`);
        if (run >= 0) cold.get(name)?.push(ms);
      }
    }

    // The cold request on a slow network: the keys fetched over HTTPS from an endpoint that
    // answers after KEYS_MS, each new DynamoDB connection opened after CONNECTION_MS; beside
    // the same request where both answer at once (its work). Interleaved.
    step(`Cold requests on a slow network, interleaved: ${settings.coldRuns} runs of each`);
    const keys = await startJwksServer();
    const delay = { ms: 0 };
    const slowDynamoDb = await slowConnections(
      dynamodb.environment.AWS_ENDPOINT_URL_DYNAMODB as string,
      delay,
    );
    const certificate = join(WORK, "jwks-ca.pem");
    writeFileSync(certificate, keys.certificate);
    // The keys fetched, not pinned: no inline JWKS.
    const { JWKS: _pinned, ...unpinned } = env as Record<string, string | undefined>;
    const networkEnv = {
      ...unpinned,
      JWKS_URI: keys.uri,
      NODE_EXTRA_CA_CERTS: certificate,
      AWS_ENDPOINT_URL_DYNAMODB: slowDynamoDb.endpoint,
    };
    const network = new Map<string, number[]>();
    // Before the warm-up, in the same rounds: the same functions, nothing started at cold start.
    const before = {
      logout: await bundle("logout-without-warm-up", "bench/peers/logout-without-warm-up.ts", [
        ...BUNDLING.external,
      ]),
      authorizer: await bundle(
        "authorizer-without-warm-up",
        "bench/peers/authorizer-without-warm-up.ts",
        [...BUNDLING.external],
      ),
    };
    try {
      for (let run = -1; run < settings.coldRuns; run++) {
        for (const [name, warmEntry] of [
          ["logout", deployable],
          ["authorizer", bundles.authorizer.entry],
        ] as const) {
          for (const [kind, slow, entry] of [
            ["work", false, warmEntry],
            ["slow", true, warmEntry],
            ["before", true, before[name]],
          ] as const) {
            delay.ms = slow ? CONNECTION_MS : 0;
            keys.answer(200, JSON.stringify(identity.jwks), "application/json", slow ? KEYS_MS : 0);
            const ms = await coldRequest(name, entry, networkEnv, `network-${name}-${run}`);
            const key = `${name}/${kind}`;
            if (run >= 0) network.set(key, [...(network.get(key) ?? []), ms]);
          }
        }
      }
    } finally {
      slowDynamoDb.close();
      await keys.close();
    }

    const row = (label: string, value: string, rest = "") =>
      console.log(`  ${label.padEnd(56)} ${value.padStart(9)}   ${rest}`.trimEnd());
    const µs = (value: number) => `${value.toFixed(1)} µs`;
    const ratio = (value: number, goal: (typeof GOALS)[keyof typeof GOALS]) =>
      `ratio ${value.toFixed(2)}×   ${timedVerdict(value, goal)}`;

    step("Done; the figures");
    console.log(
      "\nWarm: a logout, revocation off (µs per invocation, median of interleaved rounds)",
    );
    row("bare aws-jwt-verify verify (RS256, cached JWKS)", µs(warm.verifyUs));
    row("floor: verify + the same logger's line, same fields", µs(warm.verifyAndLineUs));
    row(
      "logout handler, valid token",
      µs(warm.logout.us),
      ratio(warm.logout.ratio, GOALS.logoutRatio),
    );
    const beforeRow = (figure: { us: number; ratio: number } | undefined, label: string) =>
      figure &&
      row(
        `${label} at ${BASELINE} (before)`,
        µs(figure.us),
        `${figure.ratio.toFixed(2)}× its floor`,
      );
    beforeRow(warm.before?.logout, "logout handler, valid token,");
    row("logout handler, 401 (expired token)", µs(warm.refusedUs));
    row(
      "peer: jsonwebtoken + jwks-rsa handler",
      µs(warm.peer.us),
      `${warm.peer.ratio.toFixed(2)}× the bare verify`,
    );

    console.log(
      "\nWarm: a logout with revocation (dynalite on loopback; median of per-logout samples)",
    );
    row("the conditional PutItem alone", µs(warm.putAloneUs));
    row(
      "the same, its item without the event's notice (before)",
      µs(warm.putWithoutNoticeUs),
      `the notice's ${ratio(warm.putAloneUs / warm.putWithoutNoticeUs, GOALS.noticeCost)}`,
    );
    row(
      "PutItem beside the user's BatchGetItem",
      µs(warm.putAndReadUs),
      `${(warm.putAndReadUs / warm.putAloneUs).toFixed(2)}× the PutItem alone (dynalite serves one request at a time)`,
    );
    row("verify + the PutItem alone (not a floor: one request)", µs(warm.verifyAndPutUs));
    row("floor: verify + hashes + PutItem ∥ BatchGetItem + line", µs(warm.verifyPutAndReadUs));
    row(
      "logout handler, revocation on",
      µs(warm.revokingLogout.us),
      ratio(warm.revokingLogoutOverPairRatio, GOALS.revokingLogoutRatio),
    );
    beforeRow(warm.before?.revokingLogout, "logout handler, revocation on,");

    console.log(
      "\nWarm: the identity provider's sign-outs (dynalite on loopback; median of per-request samples)",
    );
    row("floor: verify the logout token + the item's PutItem + line", µs(warm.backchannel.floorUs));
    row(
      "back-channel logout handler, by sid",
      µs(warm.backchannel.us),
      ratio(warm.backchannel.ratio, GOALS.inboundRevocationRatio),
    );
    row("floor: the user item's BatchGetItem, PutItem + line", µs(warm.cognitoSignOut.floorUs));
    row(
      "Cognito sign-out (CloudTrail event) handler",
      µs(warm.cognitoSignOut.us),
      ratio(warm.cognitoSignOut.ratio, GOALS.inboundRevocationRatio),
    );

    console.log("\nWarm: the check every protected request pays (dynalite on loopback)");
    row("verify + one BatchGetItem (no hashes, no line)", µs(warm.verifyAndReadUs));
    row("floor: verify + key hashes + BatchGetItem + line", µs(warm.checkFloorUs));
    row(
      "authorizer handler, allowed",
      µs(warm.authorizer.us),
      ratio(warm.authorizer.ratio, GOALS.checkRatio),
    );
    beforeRow(warm.before?.authorizer, "authorizer handler, allowed,");
    row(
      "reusable middleware (requireValidToken), allowed",
      µs(warm.middleware.us),
      ratio(warm.middleware.ratio, GOALS.checkRatio),
    );

    row(
      "`others` said again from one session (revoking logout)",
      µs(warm.othersAgain.us),
      ratio(warm.othersAgain.ratio, GOALS.repeatedUserLogoutRatio),
    );

    const { globalLogout } = warm;
    row(
      "global logout on the real clock, p50 / p99",
      `${globalLogout.p50Ms.toFixed(0)} ms`,
      `p99 ${globalLogout.p99Ms.toFixed(0)} ms; ${(globalLogout.waitShare * 100).toFixed(1)} % of it the wait for a sign-in after it to start after it`,
    );

    console.log("\nDynamoDB round trips in sequence (requests in all), per store operation");
    const trips = (label: string, { inSequence, requests }: RoundTrips, goal?: Goal) =>
      row(
        label,
        String(inSequence),
        `${requests.join(" + ")}${goal ? `   ${verdict(inSequence, goal)}` : ""}`,
      );
    trips(
      "a local logout (its write beside the read)",
      warm.roundTrips.localLogout,
      GOALS.localLogoutRoundTrips,
    );
    trips("a check (authorizer, middleware)", warm.roundTrips.check, GOALS.checkRoundTrips);
    if (warm.roundTrips.check.requests.length !== 1) {
      throw new Error(`a check sent ${warm.roundTrips.check.requests.join(", ")}, not one read`);
    }
    trips("a global or others logout (read, then written as read)", warm.roundTrips.userLogout);
    trips("its replay (the same Idempotency-Key)", warm.roundTrips.replay);
    trips("an `others` said again (covers nothing new)", warm.roundTrips.othersAgain);
    if (warm.roundTrips.othersAgain.requests.some((request) => request !== "BatchGetItem")) {
      throw new Error(`an others said again sent ${warm.roundTrips.othersAgain.requests}: a write`);
    }

    const arrivals = { checksPerSecond: 5000, instances: 200, seconds: 5, seed: 7 };
    console.log(
      `\nThe hot-token ceiling, simulated: one token's checks at ${arrivals.checksPerSecond}/s over ${arrivals.instances} authorizer instances (production's reservation)`,
    );
    const ms = (value: number) =>
      value === Number.POSITIVE_INFINITY ? "unbounded" : `${value.toLocaleString("en")} ms`;
    for (const outcome of simulate(arrivals)) {
      row(
        outcome.design,
        `${Math.round(outcome.readsPerSecond)}/s`,
        `reads; ceiling ${outcome.ceilingChecksPerSecond === Number.POSITIVE_INFINITY ? "none" : `${Math.round(outcome.ceilingChecksPerSecond).toLocaleString("en")} checks/s`}; a revoked session passes for ${ms(outcome.stalenessMs)}; the logout waits ${ms(outcome.logoutWaitMs)} more`,
      );
    }

    const emptyMs = median(cold.get("empty") as number[]);
    console.log(
      `\nCold start (ms from spawn to answer, median of ${settings.coldRuns} fresh processes; revocation on)`,
    );
    row("an empty ES module (prints one line)", `${emptyMs.toFixed(1)} ms`);
    for (const [label, name, entry] of variants) {
      const ms = median(cold.get(name) as number[]);
      const goal =
        name === "deployable" || name === "authorizer"
          ? `ratio ${(ms / emptyMs).toFixed(2)}×   ${timedVerdict(ms / emptyMs, GOALS.coldRatio)}`
          : `${(ms / emptyMs).toFixed(2)}× the empty module`;
      row(label, `${ms.toFixed(1)} ms`, `bundle ${kib(statSync(entry).size)}   ${goal}`);
    }

    console.log(
      `\nA cold request on a slow network (ms from spawn to answer, median of ${settings.coldRuns}; keys ${KEYS_MS} ms away, each new DynamoDB connection ${CONNECTION_MS} ms)`,
    );
    for (const name of ["logout", "authorizer"]) {
      const work = median(network.get(`${name}/work`) as number[]);
      const slow = median(network.get(`${name}/slow`) as number[]);
      const unwarmed = median(network.get(`${name}/before`) as number[]);
      const longest = work + Math.max(KEYS_MS, CONNECTION_MS);
      const sum = work + KEYS_MS + CONNECTION_MS;
      row(`${name}: the same request, the network instant (its work)`, `${work.toFixed(1)} ms`);
      row(
        `${name}: on the slow network, before the warm-up`,
        `${unwarmed.toFixed(1)} ms`,
        `${(unwarmed / sum).toFixed(2)}× the sum of its steps; ${(unwarmed / longest).toFixed(2)}× the longest plus the work`,
      );
      row(
        `${name}: on the slow network`,
        `${slow.toFixed(1)} ms`,
        `${(slow / sum).toFixed(2)}× the sum of its steps (${sum.toFixed(0)} ms); ratio ${(slow / longest).toFixed(2)}× the longest step plus the work (${longest.toFixed(0)} ms)   ${timedVerdict(slow / longest, GOALS.coldNetworkRatio)}`,
      );
    }

    console.log("\nDeployable bundles (minified; the source map ships beside each)");
    for (const [label, { entry }, goal] of [
      ["logout", bundles.logout, GOALS.logoutBundleKiB],
      ["authorizer", bundles.authorizer, GOALS.authorizerBundleKiB],
    ] as const) {
      const size = statSync(entry).size / 1024;
      row(label, `${size.toFixed(1)} KiB`, verdict(size, goal));
    }
    if (baseline) {
      for (const [label, entry] of Object.entries(baseline)) {
        row(`${label} at ${BASELINE} (before)`, kib(statSync(entry).size));
      }
    } else {
      console.log(`  (the commit before this work, ${BASELINE}, is not in this clone: no rows)`);
    }
    console.log(
      "\nExternal SDK sizes count only the bundle; the SDK itself loads from node_modules (on Lambda, from the runtime).",
    );
  } finally {
    await dynamodb.stop();
  }
}

await main();
