/**
 * A stage's revocation events as another stack finds them: where the stage publishes its bus's
 * ARN, and what a rule matches. CDK and constants alone, for the package's constructs.
 */
import { DETAIL_TYPE, EVENT_SOURCE } from "../functions/domain/revocation-event.js";
import { stagePath } from "./stack-names.js";

/** Where each stage publishes its bus's ARN, for a subscription in its account. */
export const REVOCATION_EVENT_BUS_PARAMETER = (stageName: string) =>
  stagePath(stageName, "revocation-event-bus-arn");

/**
 * The role a stage's forwarding rules put on other accounts' buses with: a receiver's bus policy
 * lets this role in and no other principal of the stage's account. Named after the stage's
 * stack, as the deploy's execution policy requires of every role it creates.
 */
export const REVOCATION_FORWARDER_ROLE = (stageName: string) =>
  `RinneAuthLogout-${stageName}-revocation-forwarder`;

/** What a rule matches to receive every revocation event of a stage. */
export const REVOCATION_EVENT_PATTERN = { source: [EVENT_SOURCE], detailType: [DETAIL_TYPE] };
