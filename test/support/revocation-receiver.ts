/**
 * The receiver the events guide gives (`docs/revocation-receiver.ts`), imported as it is, so a
 * receiver written from the docs is what the tests hold to the API. Around it, a service's store of connections in memory: a connection is opened
 * for a token the API accepts (a revoked token never connects), and is closed when an event
 * reaches it.
 */
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

/** The receiver the events guide gives, as a file of its own: imported as it is. */
const RECEIVER = new URL("../../docs/revocation-receiver.ts", import.meta.url);

let imported: Promise<DocumentedReceiver> | undefined;

/** `docs/revocation-receiver.ts`, imported (once a worker). */
export function documentedReceiver(): Promise<DocumentedReceiver> {
  imported ??= import(/* @vite-ignore */ RECEIVER.href) as Promise<DocumentedReceiver>;
  return imported;
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
