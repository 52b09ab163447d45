/**
 * Loads a sample event from `events/` and fills its `{{token:<kind>}}` placeholders with tokens
 * minted now, so the samples never go stale and hold no real credential.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { AuthorizerEvent } from "../functions/authorizer/authorizer-handler.js";
import type { ApiGatewayEvent } from "../functions/http/api-gateway-event.js";
import { type LocalIdentity, TOKEN_KINDS, type TokenKind } from "./local-identity.js";
import { refuse } from "./refuse.js";

const PLACEHOLDER = /\{\{token:([a-z-]+)\}\}/g;

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
  return text.replace(PLACEHOLDER, (_match, kind: string) => tokens.get(kind) ?? "");
}

export type SampleEvent = ApiGatewayEvent | AuthorizerEvent;

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
