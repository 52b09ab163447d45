/**
 * The AWS identifiers a deployment names, and what is read from them: checked by the
 * function's configuration at cold start, by the stack at synth, and read by the Cognito
 * adapter, all with these same patterns.
 */

/** `<region>_<id>`; the region part is also "local" for emulators such as cognito-local. */
export const COGNITO_POOL_ID = /^[a-z0-9-]+_[0-9A-Za-z]+$/;

/**
 * Where app client secrets may live: a Secrets Manager secret or an SSM parameter under
 * `rinne/`, the only ones the roles' permissions boundary lets them read.
 */
export const SECRET_ARN =
  /^arn:aws[\w-]*:(secretsmanager:[^:]+:\d{12}:secret:rinne\/.+|ssm:[^:]+:\d{12}:parameter\/rinne\/.+)$/;

/** An EventBridge event bus's ARN. */
export const EVENT_BUS_ARN = /^arn:aws[\w-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.\-/]{1,256}$/;

/** An event bus by name (of this account) or by ARN, as PutEvents takes it. */
export const isEventBus = (value: string) =>
  EVENT_BUS_ARN.test(value) || /^[A-Za-z0-9._\-/]{1,256}$/.test(value);

/** A DynamoDB table name. */
export const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** The region of a user pool: the part of its id before `_`. */
export function userPoolRegion(userPoolId: string): string {
  return userPoolId.slice(0, userPoolId.indexOf("_"));
}

/** Which service holds a `SECRET_ARN`: what the function reads, and what the stack grants. */
export function secretStoreOf(arn: string): "secretsmanager" | "ssm" {
  return arn.includes(":secretsmanager:") ? "secretsmanager" : "ssm";
}

/** The SSM parameter name of a `SECRET_ARN` held by SSM (`/rinne/...`). */
export function ssmParameterName(arn: string): string {
  return arn.slice(arn.indexOf(":parameter") + ":parameter".length);
}

/** The `iss` of every token a Cognito user pool issues. */
export function cognitoIssuer(userPoolId: string): string {
  return `https://cognito-idp.${userPoolRegion(userPoolId)}.amazonaws.com/${userPoolId}`;
}
