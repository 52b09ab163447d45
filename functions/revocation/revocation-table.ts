/**
 * The revocation table's shape: one source of truth for the stack that creates it, the store
 * that uses it and the tests that create it in dynalite.
 *
 * Items, all keyed by `pk` and cleaned by DynamoDB's TTL on `expiresAt` (epoch seconds):
 * - `token#<jti>` or `token#sha256:<hex>`: one revoked token, kept until it expires;
 * - `session#<origin_jti>`: a revoked Cognito session (every access token minted from one
 *   refresh token), kept as long as a session can live;
 * - `user#<sub>`: `revokedBefore`: every token of the user issued at or before it is revoked,
 *   but those of `keptSession` (the session that said "sign out the others").
 * Each write also records `revokedBy`, the id of the logout that made it (see the store).
 */
export const REVOCATION_TABLE = {
  partitionKey: "pk",
  timeToLiveAttribute: "expiresAt",
  /** Every DynamoDB call the logout and the check make: what the stack grants, and no more. */
  operations: ["BatchGetItem", "PutItem", "UpdateItem"],
} as const;

/** CreateTable input for DynamoDB's API (dynalite in tests and local runs). */
export function createRevocationTableInput(tableName: string) {
  return {
    TableName: tableName,
    AttributeDefinitions: [{ AttributeName: REVOCATION_TABLE.partitionKey, AttributeType: "S" }],
    KeySchema: [{ AttributeName: REVOCATION_TABLE.partitionKey, KeyType: "HASH" }],
    BillingMode: "PAY_PER_REQUEST",
  };
}
