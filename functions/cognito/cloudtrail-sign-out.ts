/**
 * A Cognito pool's own sign-outs and account changes, read off EventBridge's "AWS API Call via
 * CloudTrail" events from `cognito-idp`. What those carry, per AWS's documentation: the call's
 * name and time, and its user by `sub` (Cognito records the `UserSub`, not the user name, for
 * requests specific to a user: "Amazon Cognito information in CloudTrail"); the pool's id among
 * the request's parameters where the call names one (the `Admin…` calls). A user name Cognito
 * hid (`HIDDEN_DUE_TO_SECURITY_REASONS`) is no name.
 */
import type { ProviderUserSignOut } from "../domain/ports.js";
import { isRecord } from "../domain/values.js";

/**
 * The Cognito actions that end a user's sessions here, and who makes each: an administrator
 * (the `Admin…` calls, with AWS credentials) or the user (with their own access token or code).
 */
export const COGNITO_SIGN_OUTS = {
  AdminUserGlobalSignOut: "admin",
  GlobalSignOut: "user",
  AdminDisableUser: "admin",
  AdminDeleteUser: "admin",
  DeleteUser: "user",
  ChangePassword: "user",
  AdminSetUserPassword: "admin",
  AdminResetUserPassword: "admin",
  ConfirmForgotPassword: "user",
} as const;

export type CognitoAction = keyof typeof COGNITO_SIGN_OUTS;

export const CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail";
export const COGNITO_EVENT_SOURCE = "cognito-idp.amazonaws.com";
const HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS";

const text = (value: unknown) =>
  typeof value === "string" && value !== "" && value !== HIDDEN ? value : undefined;

/** Why an event changes nothing here: each is logged, none is an error. */
export type Ignored = "not a Cognito sign-out" | "a failed call" | "another user pool";

/** The pool an event names, where it names one: by its parameters, or by its resources' ARNs. */
function poolOf(detail: Record<string, unknown>): string | undefined {
  const named =
    (isRecord(detail.requestParameters) && text(detail.requestParameters.userPoolId)) ||
    (isRecord(detail.additionalEventData) && text(detail.additionalEventData.userPoolId));
  if (named) return named;
  const resources = Array.isArray(detail.resources) ? detail.resources : [];
  for (const resource of resources) {
    const arn = isRecord(resource) ? text(resource.ARN) : undefined;
    const id = arn?.match(/:userpool\/([\w-]+_[0-9a-zA-Z]+)$/)?.[1];
    if (id) return id;
  }
  return undefined;
}

/**
 * The sign-out an event tells of, or why it tells of none. An event that names no pool is the
 * account's and region's (CloudTrail delivers only those): it is taken as the stage's pool's, on
 * the `sub` it names, which no other pool's user shares.
 */
export function cognitoSignOutOf(
  event: unknown,
  userPoolId: string,
): ProviderUserSignOut | Ignored {
  const detail = isRecord(event) && isRecord(event.detail) ? event.detail : undefined;
  const action = detail && text(detail.eventName);
  if (
    detail === undefined ||
    detail.eventSource !== COGNITO_EVENT_SOURCE ||
    action === undefined ||
    !Object.hasOwn(COGNITO_SIGN_OUTS, action)
  ) {
    return "not a Cognito sign-out";
  }
  if (detail.errorCode !== undefined && detail.errorCode !== null && detail.errorCode !== "") {
    return "a failed call";
  }
  const pool = poolOf(detail);
  if (pool !== undefined && pool !== userPoolId) return "another user pool";
  const stamp = text(detail.eventTime) ?? text((event as { time?: unknown }).time);
  const at = Date.parse(stamp ?? "") / 1000;
  // Dated by our clock it could reach a sign-in made after it: kept for a person instead.
  if (!Number.isFinite(at)) throw new Error("The CloudTrail event has no time");
  const extra = isRecord(detail.additionalEventData) ? detail.additionalEventData : {};
  const parameters = isRecord(detail.requestParameters) ? detail.requestParameters : {};
  const sub = text(extra.sub) ?? text(extra.userSub);
  const username = text(parameters.username);
  const name = action as CognitoAction;
  return {
    origin: { initiator: COGNITO_SIGN_OUTS[name], reason: `Cognito ${name}` },
    at,
    ...(sub === undefined ? {} : { sub }),
    ...(username === undefined ? {} : { username }),
  };
}
