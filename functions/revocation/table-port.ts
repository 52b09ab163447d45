/**
 * The revocation table as the store uses it: three operations, each one DynamoDB call in the
 * adapter (`dynamodb-table.ts`), and one in-memory table in the model test. Items are in the
 * codec's format (`revocation-items.ts`). Each operation fails with the store's own errors
 * (`RevocationStoreUnavailableError`, `RevocationStoreMisconfiguredError`), never a raw one.
 */
import type { Item } from "./revocation-items.js";

export interface RevocationTablePort {
  /** The items of `keys` that exist, read strongly consistent: a revocation just made is seen. */
  read(keys: readonly string[]): Promise<Map<string, Item>>;
  /**
   * Puts `item` unless a live item (`expiresAt` after `now`, in seconds) holds its key: whether
   * it did. A lapsed item is written over, since TTL deletes late.
   */
  putUnlessLive(item: Item, now: number): Promise<boolean>;
  /**
   * Puts a user's `item` only over the version read (`undefined`: where none was read, so only
   * where the user still has no item): whether it did. Another writer in between is a `false`.
   */
  putOverVersion(item: Item, version: number | undefined): Promise<boolean>;
}
