/**
 * The receiver of `docs/revocation-events.md`, run as the page prints it: its code block is
 * written to a file and imported, so a receiver written from the docs is what the tests hold
 * to the API. Around it, a service's store of connections in memory: a connection is opened
 * for a token the API accepts (a revoked token never connects), and is closed when an event
 * reaches it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt } from "jose";
import type { SessionRevokedDetail } from "../../functions/events/session-revoked.js";

interface HeldToken {
  sessionIds: string[];
}
interface DocumentedReceiver {
  heldToken(token: string, claims: Record<string, unknown>): HeldToken;
  reaches(detail: SessionRevokedDetail, held: HeldToken): boolean;
  revocationHandler(connections: {
    handled(eventId: string): Promise<boolean>;
    markHandled(eventId: string): Promise<void>;
    of(iss: string, sub: string | undefined): Promise<{ id: string; held: HeldToken }[]>;
    close(connectionId: string): Promise<void>;
  }): (event: { detail: SessionRevokedDetail }) => Promise<void>;
}

const DOCS = new URL("../../docs/revocation-events.md", import.meta.url);
const MARK = "```ts\n// revocation-receiver.ts\n";

let imported: Promise<DocumentedReceiver> | undefined;

/** The code block that opens with `// revocation-receiver.ts`, imported (once a worker). */
export function documentedReceiver(): Promise<DocumentedReceiver> {
  imported ??= importDocumentedReceiver();
  return imported;
}

async function importDocumentedReceiver(): Promise<DocumentedReceiver> {
  const page = readFileSync(DOCS, "utf8");
  const start = page.indexOf(MARK);
  if (start < 0) throw new Error("docs/revocation-events.md holds no revocation-receiver.ts block");
  const code = page.slice(start + MARK.length, page.indexOf("\n```", start + MARK.length));
  const file = join(mkdtempSync(join(tmpdir(), "receiver-")), "revocation-receiver.ts");
  writeFileSync(file, code);
  return (await import(/* @vite-ignore */ file)) as DocumentedReceiver;
}

/** A WebSocket service's connections, each opened with one token, and the documented handler. */
export class ConnectionService {
  private readonly open = new Map<string, { iss: string; sub?: string; held: HeldToken }>();
  private readonly handledIds = new Set<string>();
  private readonly handler: (event: { detail: SessionRevokedDetail }) => Promise<void>;
  private count = 0;

  constructor(private readonly receiver: DocumentedReceiver) {
    this.handler = receiver.revocationHandler({
      handled: async (id) => this.handledIds.has(id),
      markHandled: async (id) => {
        this.handledIds.add(id);
      },
      of: async (iss, sub) =>
        [...this.open]
          .filter(
            ([, connection]) =>
              connection.iss === iss && (sub === undefined || connection.sub === sub),
          )
          .map(([id, { held }]) => ({ id, held })),
      close: async (id) => {
        this.open.delete(id);
      },
    });
  }

  /** Opens a connection with `token`: its id. */
  connect(token: string): string {
    const claims = decodeJwt(token) as Record<string, unknown>;
    const id = `connection-${++this.count}`;
    const sub = typeof claims.sub === "string" ? claims.sub : undefined;
    this.open.set(id, {
      iss: claims.iss as string,
      ...(sub === undefined ? {} : { sub }),
      held: this.receiver.heldToken(token, claims),
    });
    return id;
  }

  isOpen(connection: string): boolean {
    return this.open.has(connection);
  }

  receive(detail: SessionRevokedDetail): Promise<void> {
    return this.handler({ detail });
  }
}

/**
 * The receiver held to the API over a history: a connection for each token the API accepted
 * when it was minted; events delivered in no fixed order, with redeliveries; after each step the
 * open connections must be exactly the tokens the API accepts (a token refused for another
 * reason, expired or too old, is the events' no concern).
 */
export class ReceiverHarness {
  private readonly connections = new Map<object, string>();
  private steps = 0;

  constructor(
    private readonly service: ConnectionService,
    private readonly revoked: string,
  ) {}

  static async start(revoked: string): Promise<ReceiverHarness> {
    return new ReceiverHarness(new ConnectionService(await documentedReceiver()), revoked);
  }

  minted(token: { text: string }, accepted: boolean): void {
    if (accepted) this.connections.set(token, this.service.connect(token.text));
  }

  /** Delivers one step's events, every other step last first. */
  async deliver(details: SessionRevokedDetail[]): Promise<void> {
    const ordered = ++this.steps % 2 === 0 ? [...details].reverse() : details;
    for (const detail of ordered) await this.service.receive(detail);
  }

  /** Each connection whose token's answer is given: open exactly where accepted. */
  mismatches(answers: ReadonlyMap<object, string | undefined>): string[] {
    const wrong: string[] = [];
    for (const [token, reason] of answers) {
      const connection = this.connections.get(token);
      if (connection === undefined || (reason !== undefined && reason !== this.revoked)) continue;
      if (this.service.isOpen(connection) !== (reason === undefined)) {
        wrong.push(`${(token as { jti?: string }).jti}'s connection (${reason ?? "accepted"})`);
      }
    }
    return wrong;
  }
}
