/**
 * `npm run token -- [--sub alice] [--session s1] [--auth-time EPOCH] [--ttl 3600] [--scope "a b"]`:
 * mints a token of the local development identity (the key `npm start` uses), to try scopes and
 * sessions by hand. The same `--session` and `--auth-time` again is a refresh of that sign-in.
 */
import { parseArgs } from "node:util";
import { LOCAL_KEY_FILE } from "./local-environment.js";
import { createLocalIdentity } from "./local-identity.js";

let options: { sub?: string; session?: string; "auth-time"?: string; ttl?: string; scope?: string };
try {
  ({ values: options } = parseArgs({
    options: {
      sub: { type: "string" },
      session: { type: "string" },
      "auth-time": { type: "string" },
      ttl: { type: "string" },
      scope: { type: "string" },
    },
  }));
} catch (error) {
  console.error(
    `${(error as Error).message}\nusage: npm run token -- [--sub ID] [--session ID] [--auth-time EPOCH] [--ttl SECONDS] [--scope "A B"]`,
  );
  process.exit(2);
}
const ttl = Number(options.ttl ?? 3600);
if (!Number.isSafeInteger(ttl) || ttl <= 0) {
  console.error("--ttl must be a whole number of seconds above 0");
  process.exit(2);
}
const authTime = options["auth-time"] === undefined ? undefined : Number(options["auth-time"]);
if (authTime !== undefined && !Number.isSafeInteger(authTime)) {
  console.error("--auth-time must be a time in whole seconds since the epoch (a sign-in's)");
  process.exit(2);
}
const identity = await createLocalIdentity({ keyFile: LOCAL_KEY_FILE });
const now = Math.floor(Date.now() / 1000);
console.log(
  await identity.mint("valid", {
    exp: now + ttl,
    ...(options.sub ? { sub: options.sub } : {}),
    ...(options.session ? { origin_jti: options.session } : {}),
    ...(authTime === undefined ? {} : { auth_time: authTime }),
    ...(options.scope ? { scope: options.scope } : {}),
  }),
);
