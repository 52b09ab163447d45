/**
 * The publisher of revocation events: a batch of the table's change records in, one
 * `session-revoked` event out per revocation that took effect, put on the bus. At least once:
 * what fails is retried here, then reported as the batch's first failed record, which Lambda
 * delivers again (with every record after it) until its own retries end and it parks the batch
 * in the dead-letter queue. A record is never reported done before its event is on the bus.
 */
import type { DynamoDBRecord } from "aws-lambda";
import { sleep } from "../domain/clock.js";
import type { Item } from "../revocation/revocation-items.js";
import { changeOf, revocationOf } from "./revocation-changes.js";
import { type SessionRevokedDetail, sessionRevokedDetail } from "./session-revoked.js";

/** EventBridge as the publisher needs it: for each entry, its error code, or undefined once put. */
export interface EventBus {
  put(details: readonly SessionRevokedDetail[]): Promise<readonly (string | undefined)[]>;
}

export interface PublisherRetries {
  /** Tries of an entry the bus refused, the first included, before the record is reported. */
  attempts: number;
  /** Backoff before try n + 1: up to `baseDelayMs * 2^n` (full jitter). */
  baseDelayMs: number;
  /** How a backoff is waited (a test's records them). */
  sleep?: (ms: number) => Promise<unknown>;
}

export const PUBLISHER_RETRIES: PublisherRetries = { attempts: 4, baseDelayMs: 100 };

/** PutEvents takes at most 10 entries a call. */
const ENTRIES_PER_CALL = 10;

export interface PublishResult {
  /** For Lambda (ReportBatchItemFailures): the first record not done; it and all after are retried. */
  batchItemFailures: { itemIdentifier: string }[];
  records: number;
  published: number;
  /** What the bus refused after every try, by error code; or why a record could not be read. */
  failures: Record<string, number>;
}

export function createEventPublisher({
  bus,
  retries = PUBLISHER_RETRIES,
}: {
  bus: EventBus;
  retries?: PublisherRetries;
}) {
  /** Puts each event, trying again those the bus refused; the codes of those it never took. */
  async function put(details: readonly SessionRevokedDetail[]): Promise<(string | undefined)[]> {
    const codes: (string | undefined)[] = details.map(() => "NotTried");
    let pending = details.map((_, index) => index);
    for (let attempt = 1; pending.length > 0 && attempt <= retries.attempts; attempt++) {
      if (attempt > 1) {
        await (retries.sleep ?? sleep)(Math.random() * retries.baseDelayMs * 2 ** (attempt - 1));
      }
      const calls = [];
      for (let start = 0; start < pending.length; start += ENTRIES_PER_CALL) {
        const indexes = pending.slice(start, start + ENTRIES_PER_CALL);
        const settle = (answer: (i: number) => string | undefined) => {
          for (const [i, index] of indexes.entries()) codes[index] = answer(i);
        };
        calls.push(
          bus.put(indexes.map((index) => details[index] as SessionRevokedDetail)).then(
            (answers) => settle((i) => answers[i]),
            (error: Error) => settle(() => error.name),
          ),
        );
      }
      await Promise.all(calls);
      pending = pending.filter((index) => codes[index] !== undefined);
    }
    return codes;
  }

  /**
   * The events of the table's items, each read as the write that made it (a republish): each
   * item's event under its first id. What cannot be read, or the bus never took, is counted.
   */
  async function publishItems(
    items: readonly Item[],
  ): Promise<Omit<PublishResult, "batchItemFailures">> {
    const failures: Record<string, number> = {};
    const count = (code: string) => {
      failures[code] = (failures[code] ?? 0) + 1;
    };
    const details: SessionRevokedDetail[] = [];
    for (const item of items) {
      try {
        const revocation = revocationOf({ newImage: item });
        if (revocation) details.push(sessionRevokedDetail(revocation));
      } catch (error) {
        count((error as Error).name);
      }
    }
    const codes = await put(details);
    for (const code of codes) if (code !== undefined) count(code);
    const published = codes.filter((code) => code === undefined).length;
    return { records: items.length, published, failures };
  }

  async function publish(records: readonly DynamoDBRecord[]): Promise<PublishResult> {
    const failures: Record<string, number> = {};
    // Records are read in order up to the first that cannot be: it is reported, not skipped.
    let firstFailed = records.length;
    const found: { index: number; detail: SessionRevokedDetail }[] = [];
    for (const [index, record] of records.entries()) {
      try {
        const change = changeOf(record);
        const revocation = change && revocationOf(change);
        if (revocation) found.push({ index, detail: sessionRevokedDetail(revocation) });
      } catch (error) {
        failures[(error as Error).name] = 1;
        firstFailed = index;
        break;
      }
    }
    const codes = await put(found.map(({ detail }) => detail));
    codes.forEach((code, i) => {
      if (code === undefined) return;
      failures[code] = (failures[code] ?? 0) + 1;
      firstFailed = Math.min(firstFailed, (found[i] as { index: number }).index);
    });
    const failed = records[firstFailed];
    return {
      batchItemFailures: failed ? [{ itemIdentifier: failed.dynamodb?.SequenceNumber ?? "" }] : [],
      records: records.length,
      published: codes.filter((code) => code === undefined).length,
      failures,
    };
  }

  return Object.assign(publish, { publishItems });
}
