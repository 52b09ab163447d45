/**
 * Loads a sample event from `events/` and fills its placeholders, so the samples never go stale
 * and hold no real credential: `{{token:<kind>}}` with a token minted now, `{{logout-token:<kind>}}`
 * with a back-channel logout token (URL-encoded, for a form body), `{{sub}}` and `{{now}}` (an
 * ISO time, a CloudTrail event's). Where `--token` gives the valid token, the logout token and
 * `{{sub}}` are of its user and session: the sample then ends that very token's session.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { AuthorizerEvent } from "../functions/authorizer/authorizer-handler.js";
import type { ApiGatewayEvent } from "../functions/http/api-gateway-event.js";
import {
  LOGOUT_TOKEN_KINDS,
  type LocalIdentity,
  type LogoutTokenKind,
  TOKEN_KINDS,
  type TokenKind,
} from "./local-identity.js";
import { refuse } from "./refuse.js";

const PLACEHOLDER = /\{\{token:([a-z-]+)\}\}/g;
const LOGOUT_PLACEHOLDER = /\{\{logout-token:([a-z-]+)\}\}/g;

/** The claims of a token the user passed, unverified: only whose and which session it is. */
function claimsOf(token: string | undefined): { sub?: string; sid?: string } {
  try {
    return JSON.parse(Buffer.from(token?.split(".")[1] ?? "", "base64url").toString()) ?? {};
  } catch {
    return {};
  }
}

/** @param valid the token for `{{token:valid}}` (one to log out, then try again); else minted now. */
export async function fillTokens(
  text: string,
  identity: LocalIdentity,
  valid?: string,
): Promise<string> {
  const kinds = new Set([...text.matchAll(PLACEHOLDER)].map((match) => match[1] ?? ""));
  const tokens = new Map<string, string>();
  for (const kind of kinds) {
    if (!TOKEN_KINDS.includes(kind as TokenKind)) {
      throw new Error(`Unknown token kind {{token:${kind}}}; known: ${TOKEN_KINDS.join(", ")}`);
    }
    tokens.set(kind, kind === "valid" && valid ? valid : await identity.mint(kind as TokenKind));
  }
  const { sub = "user-0001", sid } = claimsOf(valid);
  const logoutTokens = new Map<string, string>();
  for (const [, kind = ""] of text.matchAll(LOGOUT_PLACEHOLDER)) {
    if (!LOGOUT_TOKEN_KINDS.includes(kind as LogoutTokenKind)) {
      throw new Error(
        `Unknown logout token kind {{logout-token:${kind}}}; known: ${LOGOUT_TOKEN_KINDS.join(", ")}`,
      );
    }
    const token = await identity.mintLogout(kind as LogoutTokenKind, {
      sub,
      ...(sid === undefined ? {} : { sid }),
    });
    logoutTokens.set(kind, encodeURIComponent(token));
  }
  return text
    .replace(PLACEHOLDER, (_match, kind: string) => tokens.get(kind) ?? "")
    .replace(LOGOUT_PLACEHOLDER, (_match, kind: string) => logoutTokens.get(kind) ?? "")
    .replaceAll("{{sub}}", sub)
    .replaceAll("{{now}}", new Date().toISOString().replace(/\.\d+Z$/, "Z"));
}

/** EventBridge's delivery of a CloudTrail event (a Cognito pool's own sign-out). */
export interface CloudTrailSample {
  "detail-type": "AWS API Call via CloudTrail";
  detail: Record<string, unknown>;
}

export type SampleEvent = ApiGatewayEvent | AuthorizerEvent | CloudTrailSample;

/** The user pool the CloudTrail samples name: locally, the local identity stands for it. */
export const LOCAL_USER_POOL_ID = "sa-east-1_LocalPool1";

export const isCloudTrailEvent = (event: SampleEvent): event is CloudTrailSample =>
  (event as { "detail-type"?: unknown })["detail-type"] === "AWS API Call via CloudTrail";

/** A request to the back-channel logout route (a generic issuer's logout token). */
export const isBackchannelEvent = (event: SampleEvent): boolean =>
  "rawPath" in event && event.rawPath.endsWith("/backchannel-logout");

export async function loadSampleEvent(
  path: string,
  identity: LocalIdentity,
  valid?: string,
): Promise<SampleEvent> {
  return JSON.parse(await fillTokens(await readFile(path, "utf8"), identity, valid)) as SampleEvent;
}

/** An authorizer's event (HTTP API payload 2.0 or REST), not a route's. */
export const isAuthorizerEvent = (event: SampleEvent): event is AuthorizerEvent =>
  (event as { type?: unknown }).type === "REQUEST";

/** `<event file> [--token TOKEN]`, the arguments of `npm run invoke` and `npm run event`. */
export function sampleArguments(usage: string): { file: string; token: string | undefined } {
  const options = {
    token: { type: "string" },
    help: { type: "boolean", short: "h" },
  } as const;
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ options, allowPositionals: true });
  } catch (error) {
    refuse((error as Error).message, usage);
  }
  if (parsed.values.help) {
    console.log(usage);
    process.exit(0);
  }
  const [file] = parsed.positionals;
  if (!file) refuse(usage);
  return { file, token: parsed.values.token };
}

/** Why a sample event could not be had, in one line. */
export function unreadableEvent(file: string, error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return code === "ENOENT"
    ? `No event file at ${file}: pick one of events/ (ls events/*/)`
    : `Cannot read ${file} as an event: ${message.split("\n")[0]}`;
}
