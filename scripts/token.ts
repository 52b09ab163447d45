/**
 * `npm run -s token -- [--kind valid] [--sub alice] [--session s1] [--auth-time EPOCH]
 * [--ttl 3600] [--scope "a b"]`: mints a token of the local development identity (the key `npm
 * start` uses), to try scopes and sessions by hand: `TOKEN=$(npm run -s token -- --sub alice)`.
 * The same `--session` and `--auth-time` again is a refresh of that sign-in; `--kind` mints the
 * refused kinds the sample events use (expired, wrong-audience, wrong-issuer, …).
 *
 * `--kind logout [--sub alice] [--session s1] [--logout-kind with-nonce]`: a back-channel logout
 * token of that identity, as the issuer would POST it to `/core/v1/auth/backchannel-logout`
 * (`--sub ""` for one that names the session only; `--logout-kind` for the refused kinds).
 */
import { parseArgs } from "node:util";
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS } from "../functions/config/config.js";
import { LOCAL_KEY_FILE } from "./local-environment.js";
import {
  createLocalIdentity,
  LOGOUT_TOKEN_KINDS,
  type LogoutTokenKind,
  TOKEN_KINDS,
  type TokenKind,
} from "./local-identity.js";
import { refuse } from "./refuse.js";

const USAGE = `usage: npm run -s token -- [--kind ${TOKEN_KINDS.join("|")}] [--sub ID] [--session ID] [--auth-time EPOCH] [--ttl SECONDS] [--scope "A B"]
       npm run -s token -- --kind logout [--sub ID] [--session ID] [--logout-kind ${LOGOUT_TOKEN_KINDS.join("|")}]`;

const refuseWithUsage: (message: string) => never = (message) => refuse(message, USAGE);

let options: {
  kind?: string;
  sub?: string;
  session?: string;
  "auth-time"?: string;
  ttl?: string;
  scope?: string;
  "logout-kind"?: string;
  help?: boolean;
};
try {
  ({ values: options } = parseArgs({
    options: {
      kind: { type: "string" },
      sub: { type: "string" },
      session: { type: "string" },
      "auth-time": { type: "string" },
      ttl: { type: "string" },
      scope: { type: "string" },
      "logout-kind": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (error) {
  refuseWithUsage((error as Error).message);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
if (options.kind === "logout") {
  const logoutKind = (options["logout-kind"] ?? "valid") as LogoutTokenKind;
  if (!LOGOUT_TOKEN_KINDS.includes(logoutKind)) {
    refuseWithUsage(`--logout-kind must be one of: ${LOGOUT_TOKEN_KINDS.join(", ")}`);
  }
  if (options.sub === "" && options.session === undefined) {
    refuseWithUsage("a logout token names a --sub, a --session or both");
  }
  const identity = await createLocalIdentity({ keyFile: LOCAL_KEY_FILE });
  console.log(
    await identity.mintLogout(logoutKind, {
      ...(options.sub === undefined ? {} : { sub: options.sub === "" ? undefined : options.sub }),
      ...(options.session ? { sid: options.session } : {}),
    }),
  );
  process.exit(0);
}
const kind = (options.kind ?? "valid") as TokenKind;
if (!TOKEN_KINDS.includes(kind))
  refuseWithUsage(`--kind must be one of: logout, ${TOKEN_KINDS.join(", ")}`);
// The functions refuse a token that lives longer; `npm start` runs with their limit.
const maxTtl = Number(process.env.MAX_TOKEN_LIFETIME_SECONDS ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS);
const ttl = Number(options.ttl ?? 3600);
if (!Number.isSafeInteger(ttl) || ttl <= 0 || ttl > maxTtl) {
  refuseWithUsage(
    `--ttl must be a whole number of seconds from 1 to ${maxTtl} (MAX_TOKEN_LIFETIME_SECONDS)`,
  );
}
const authTime = options["auth-time"] === undefined ? undefined : Number(options["auth-time"]);
if (authTime !== undefined && !Number.isSafeInteger(authTime)) {
  refuseWithUsage("--auth-time must be a time in whole seconds since the epoch (a sign-in's)");
}
const identity = await createLocalIdentity({ keyFile: LOCAL_KEY_FILE });
const now = Math.floor(Date.now() / 1000);
console.log(
  await identity.mint(kind, {
    ...(kind === "valid" ? { exp: now + ttl } : {}),
    ...(options.sub ? { sub: options.sub } : {}),
    // Named as a generic issuer names it (`sid`, which a back-channel logout names too).
    ...(options.session ? { sid: options.session } : {}),
    ...(authTime === undefined ? {} : { auth_time: authTime }),
    ...(options.scope ? { scope: options.scope } : {}),
  }),
);
