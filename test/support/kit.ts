/**
 * The development kit as the tests reach it: the local identity (real signed tokens), API
 * Gateway's events, a Lambda context, DynamoDB on loopback (dynalite) and its stream stand-in. One door, so what
 * the tests take from `scripts/` is seen at a glance; a script's own test imports its script.
 */
export * from "../../scripts/api-gateway-events.js";
export * from "../../scripts/lambda-context.js";
export * from "../../scripts/local-dynamodb.js";
export * from "../../scripts/local-identity.js";
export { LOCAL_USER_POOL_ID } from "../../scripts/sample-events.js";
export * from "../../scripts/table-stream.js";
