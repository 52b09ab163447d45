// Plain Node.js, no TypeScript loader: imports a bundled handler and answers events, as Lambda's
// runtime would. Used to test the deployable bundles and to time their cold starts.
// usage: node scripts/invoke-bundle.mjs <bundle/index.mjs> <event.json>...
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [bundle, ...eventFiles] = process.argv.slice(2);
const started = process.hrtime.bigint();
const { handler } = await import(pathToFileURL(bundle).href);
const loaded = process.hrtime.bigint();
const context = {
  awsRequestId: "bundle-invoke",
  functionName: "bundle",
  getRemainingTimeInMillis: () => 10_000,
};
const results = [];
for (const file of eventFiles) {
  const response = await handler(JSON.parse(readFileSync(file, "utf8")), context);
  // An HTTP response's status and body; an authorizer's decision as it is.
  results.push(
    "statusCode" in response ? { statusCode: response.statusCode, body: response.body } : response,
  );
}
const answered = process.hrtime.bigint();
process.stdout.write(
  `${JSON.stringify({
    results,
    importMs: Number(loaded - started) / 1e6,
    invokeMs: Number(answered - loaded) / 1e6,
  })}\n`,
);
// Keep-alive sockets would hold the process open; Lambda freezes it instead.
process.exit(0);
