/**
 * Sign-outs made at the identity provider, in force at every door of the API: one function for
 * the stage's kind of issuer. A generic issuer that sends OpenID Connect back-channel logout
 * tokens (the stage names their client ids) POSTs them to `/core/v1/auth/backchannel-logout`
 * on the logout's API. A Cognito pool's own sign-outs and account changes reach it as
 * CloudTrail's events on the account's default bus, through a rule whose deliveries and whose
 * function's failures are each parked in a dead-letter queue that pages.
 */
import type { Duration } from "aws-cdk-lib";
import { Rule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import {
  CLOUDTRAIL_DETAIL_TYPE,
  COGNITO_EVENT_SOURCE,
  COGNITO_SIGN_OUTS,
} from "../functions/cognito/cloudtrail-sign-out.js";
import { SERVICE_NAMES } from "../functions/domain/log-schema.js";
import { BundledFunction } from "./bundled-function.js";
import { deadLetterQueue, GuardedDelivery } from "./guarded-delivery.js";
import type { LogoutApi } from "./logout-api.js";
import type { OperationsKey } from "./operations-key.js";
import type { RevocationTable } from "./revocation-table.js";
import type { StageConfig } from "./stage-config.js";

/** Where a generic issuer POSTs its logout tokens, below the API's base path. */
export const BACKCHANNEL_OPERATION_PATH = "/v1/auth/backchannel-logout";

const NO_AUTHORIZER =
  "The logout token in the body is the credential (OpenID Connect Back-Channel Logout 1.0): " +
  "the issuer sends no bearer token, and the function verifies the logout token itself.";

export interface ProviderSignOutProps {
  stage: StageConfig;
  environment: Record<string, string>;
  revocations: RevocationTable;
  /** The stage's user pool ARN, where it has one. */
  userPoolArn: string | undefined;
  api: LogoutApi;
  timeout: Duration;
  memorySize: number;
  operationsKey: OperationsKey;
}

export class ProviderSignOut extends Construct {
  readonly function: BundledFunction;
  /** CloudTrail events the function failed on after Lambda's retries. */
  readonly deadLetters: Queue;
  /** The Cognito pool's rule and its delivery, on a Cognito stage. */
  readonly cloudTrail: { rule: Rule; delivery: GuardedDelivery } | undefined;
  /** Where the issuer POSTs logout tokens, on a stage that receives them. */
  readonly backchannelEndpoint: string | undefined;

  constructor(scope: Construct, id: string, props: ProviderSignOutProps) {
    super(scope, id);
    const { stage, userPoolArn } = props;
    const clientIds = "issuer" in stage.auth ? stage.auth.backchannelLogoutClientIds : undefined;
    this.deadLetters = deadLetterQueue(this, "DeadLetters", "the provider sign-out function");
    this.function = new BundledFunction(this, "Function", {
      entry: "functions/provider/handler.ts",
      logName: "provider-sign-out",
      description: `Sign-outs made at the identity provider (${stage.stageName})`,
      memorySize: props.memorySize,
      timeout: props.timeout,
      // Its route is open to anyone: a flood of bad logout tokens takes these instances only.
      reservedConcurrency: stage.reservedConcurrency.provider,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.provider,
        ...(clientIds === undefined ? {} : { BACKCHANNEL_LOGOUT_CLIENT_IDS: clientIds.join(",") }),
      },
      operationsKey: props.operationsKey,
      deadLetterQueue: this.deadLetters,
    });
    props.revocations.grantRecord(this.function.role);

    if (clientIds !== undefined) {
      props.api.post(
        BACKCHANNEL_OPERATION_PATH,
        "BackchannelLogout",
        this.function.function,
        NO_AUTHORIZER,
      );
      this.backchannelEndpoint = `${props.api.baseUrl}${BACKCHANNEL_OPERATION_PATH}`;
    }

    this.cloudTrail = undefined;
    if (userPoolArn !== undefined) {
      // A user named only by a name Cognito has not hidden is found through the pool.
      this.function.role.addToPolicy(
        new PolicyStatement({ actions: ["cognito-idp:AdminGetUser"], resources: [userPoolArn] }),
      );
      const delivery = new GuardedDelivery(this, "CloudTrailDelivery", {
        what: "the user pool's sign-outs",
      });
      const rule = new Rule(this, "CognitoSignOuts", {
        description: `The user pool's own sign-outs and account changes (${stage.stageName})`,
        eventPattern: {
          source: ["aws.cognito-idp"],
          detailType: [CLOUDTRAIL_DETAIL_TYPE],
          detail: {
            eventSource: [COGNITO_EVENT_SOURCE],
            eventName: Object.keys(COGNITO_SIGN_OUTS),
            // A call Cognito refused changed nothing.
            errorCode: [{ exists: false }],
          },
        },
      });
      rule.addTarget(delivery.target(new LambdaFunction(this.function.function)));
      this.cloudTrail = { rule, delivery };
    }
  }
}
