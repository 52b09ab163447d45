/**
 * The revocation table's port in memory, with DynamoDB's semantics for what the store asks:
 * each write is atomic and conditional as the adapter's condition expressions say, a read sees
 * every write before it (strongly consistent), and the table's stream is kept as DynamoDB
 * Streams writes it (`NEW_AND_OLD_IMAGES`; no record for a write that changes nothing). A fault
 * mode fails a call before it lands, or after (the write made, its answer lost). The dynalite
 * and moto runs are what hold the DynamoDB adapter to the same semantics.
 */
import { isDeepStrictEqual } from "node:util";
import type { DynamoDBRecord } from "aws-lambda";
import { RevocationStoreUnavailableError } from "../../functions/domain/errors.js";
import type { Item } from "../../functions/revocation/revocation-items.js";
import type { RevocationTablePort } from "../../functions/revocation/table-port.js";

type Operation = keyof RevocationTablePort;
/** Where a call fails: before it lands, or after (its write made, its answer lost). */
export type Fault = "before" | "after";

const keyOf = (item: Item) => (item.pk as { S: string }).S;
const numberAt = (item: Item | undefined, name: string) =>
  Number((item?.[name] as { N?: string } | undefined)?.N);

export class MemoryTable implements RevocationTablePort {
  private readonly items = new Map<string, Item>();
  private stream: DynamoDBRecord[] = [];
  private sequence = 0;
  /** Decides, per call, whether it fails and where: none by default. */
  fault: (operation: Operation) => Fault | undefined = () => undefined;

  async read(keys: readonly string[]): Promise<Map<string, Item>> {
    return this.call("read", () => {
      const found = new Map<string, Item>();
      for (const key of keys) {
        const item = this.items.get(key);
        if (item) found.set(key, structuredClone(item));
      }
      return found;
    });
  }

  async putUnlessLive(item: Item, now: number): Promise<boolean> {
    return this.call("putUnlessLive", () => {
      const old = this.items.get(keyOf(item));
      if (old && numberAt(old, "expiresAt") > Math.floor(now)) return false;
      this.write(item, old);
      return true;
    });
  }

  async putOverVersion(item: Item, version: number | undefined): Promise<boolean> {
    return this.call("putOverVersion", () => {
      const old = this.items.get(keyOf(item));
      if (old && numberAt(old, "version") !== (version ?? 0)) return false;
      this.write(item, old);
      return true;
    });
  }

  /** The stream's records since the last take. */
  take(): DynamoDBRecord[] {
    const records = this.stream;
    this.stream = [];
    return records;
  }

  private write(item: Item, old: Item | undefined) {
    this.items.set(keyOf(item), structuredClone(item));
    if (old && isDeepStrictEqual(old, item)) return;
    this.stream.push({
      eventName: old ? "MODIFY" : "INSERT",
      dynamodb: {
        Keys: { pk: { S: keyOf(item) } },
        NewImage: structuredClone(item) as never,
        ...(old ? { OldImage: structuredClone(old) as never } : {}),
        SequenceNumber: String(++this.sequence).padStart(21, "0"),
        StreamViewType: "NEW_AND_OLD_IMAGES",
      },
    });
  }

  /** One call, atomic, failing where the fault mode says. */
  private call<T>(operation: Operation, act: () => T): T {
    const fault = this.fault(operation);
    if (fault === "before") throw unavailable(operation, "before it landed");
    const result = act();
    if (fault === "after") throw unavailable(operation, "with its answer lost");
    return result;
  }
}

const unavailable = (operation: string, where: string) =>
  new RevocationStoreUnavailableError({ cause: new Error(`${operation} failed ${where}`) });
