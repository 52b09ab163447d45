/**
 * A stage's revocation events as another stack finds them: where the stage publishes its bus's
 * ARN, and what a rule matches. CDK and constants alone, for the package's constructs.
 */
import { DETAIL_TYPE, EVENT_SOURCE } from "../functions/domain/revocation-event.js";

/** Where each stage publishes its bus's ARN, for a subscription in its account. */
export const REVOCATION_EVENT_BUS_PARAMETER = (stageName: string) =>
  `/rinne/${stageName}/auth/revocation-event-bus-arn`;

/** What a rule matches to receive every revocation event of a stage. */
export const REVOCATION_EVENT_PATTERN = { source: [EVENT_SOURCE], detailType: [DETAIL_TYPE] };
