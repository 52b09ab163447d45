/**
 * The production store as a `RevocationSystem`: the logout's core and the store, on the table
 * port's in-memory table (`memory-table.ts`), with no DynamoDB, no HTTP and no signature (the
 * model stands in for the verifier's refusals). The table's stream goes to the real publisher's
 * logic, its events to the receiver of the docs. Thousands of histories in seconds; the
 * conformance run holds the same code on dynalite, through the DynamoDB adapter.
 */
import { randomUUID } from "node:crypto";
import { decodeJwt } from "jose";
import { expect } from "vitest";
import { logOut } from "../../functions/core/logout.js";
import {
  InvalidRequestError,
  InvalidTokenError,
  LogoutInProgressError,
} from "../../functions/domain/errors.js";
import type { ProviderRevocation } from "../../functions/domain/ports.js";
import { type TokenClaims, VerifiedToken } from "../../functions/domain/verified-token.js";
import { createEventPublisher } from "../../functions/events/event-publisher.js";
import type { SessionRevokedDetail } from "../../functions/events/session-revoked.js";
import {
  createStoreOnTable,
  type StoreLimits,
} from "../../functions/revocation/revocation-store.js";
import { MemoryTable } from "./memory-table.js";
import type { RevocationSystem, Token } from "./revocation-history.js";
import { ReceiverHarness } from "./revocation-receiver.js";

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
export const issuerName = (issuer: number) => `https://issuer-${issuer}.example`;

/** What a refusal says, as the model says it; anything else is a failure of the test. */
function reasonOf(error: unknown): string {
  const refusal = [InvalidTokenError, InvalidRequestError, LogoutInProgressError].some(
    (kind) => error instanceof kind,
  );
  if (refusal) return (error as Error).message;
  throw error;
}

/** A history's identity provider sign-out, on a store: of a session by `sid`, or of a user. */
export async function providerSignOutOn(
  store: ProviderRevocation,
  iss: string,
  { sub, sid, at, id }: Parameters<RevocationSystem["provider"]>[1],
): Promise<void> {
  const origin = { initiator: "system", reason: "history" } as const;
  if (sid !== undefined) {
    await store.endProviderSession({ iss, ...(sub === undefined ? {} : { sub }), sid }, id, origin);
  } else {
    await store.endProviderUserSessions({ iss, sub: sub as string }, at, origin);
  }
}

export async function createStoreSystem(
  limits: StoreLimits,
  revoked: string,
): Promise<RevocationSystem & { table: MemoryTable }> {
  const table = new MemoryTable();
  let now = 0;
  const store = createStoreOnTable(table, limits, {
    now: () => now,
    sleepUntil: async (until) => {
      now = Math.max(now, until);
    },
  });
  const published: SessionRevokedDetail[] = [];
  const publish = createEventPublisher({
    bus: {
      async put(details) {
        published.push(...details);
        return details.map(() => undefined);
      },
    },
  });
  const receiver = await ReceiverHarness.start(revoked);
  const tokenOf = ({ text }: Token) => new VerifiedToken(text, decodeJwt(text) as TokenClaims);
  const refusal = async (act: () => Promise<unknown>) => {
    try {
      await act();
      return undefined;
    } catch (error) {
      return reasonOf(error);
    }
  };

  return {
    table,
    verifies: false,
    setNow(at) {
      now = at;
    },
    now: () => now,
    // Unsigned: nothing here verifies, and the table keys a token by what a signature covers.
    mint: async (issuer, claims) =>
      `${b64({ alg: "none" })}.${b64({ ...claims, iss: issuerName(issuer) })}.signature`,
    check: (token) => refusal(() => store.assertNotRevoked(tokenOf(token))),
    logout: (token, scope, key) =>
      refusal(() =>
        logOut(
          tokenOf(token),
          { scope, refreshToken: undefined, idempotencyKey: key },
          { revocations: store, upstream: undefined },
        ),
      ),
    async operator(issuer, sub) {
      await store.revokeUser({ iss: issuerName(issuer), sub }, `operator:${randomUUID()}`);
    },
    provider: (issuer, signOut) => providerSignOutOn(store, issuerName(issuer), signOut),
    minted: (token, accepted) => receiver.minted(token, accepted),
    async afterStep(answers) {
      const result = await publish(table.take());
      expect(result.batchItemFailures).toEqual([]);
      await receiver.deliver(published.splice(0));
      expect(receiver.mismatches(answers)).toEqual([]);
    },
  };
}
