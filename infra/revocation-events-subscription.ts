/**
 * A receiver's subscription to a stage's revocation events, in one call from the receiver's
 * own stack: a rule that sends every `session-revoked` event of the stage to `target` (a
 * function, a queue, any EventBridge target).
 *
 *   new RevocationEventsSubscription(this, "Revocations", {
 *     stage: { name: "production", account: "222222222222" },
 *     target: new LambdaFunction(closeConnections),
 *   });
 *
 * In the stage's account the rule is on the stage's bus, found by the ARN the stage publishes in
 * SSM. In another account of the organisation the stage forwards its events to this account's
 * default bus (the stage lists the account in `revocationEventConsumerAccounts`): the rule is
 * there, and this construct lets the stage's account put events on that bus, nothing more.
 * Same region as the stage.
 */
import { Stack, Token } from "aws-cdk-lib";
import { CfnEventBusPolicy, EventBus, type IRuleTarget, Rule } from "aws-cdk-lib/aws-events";
import { StringParameter } from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";
import {
  REVOCATION_EVENT_BUS_PARAMETER,
  REVOCATION_EVENT_PATTERN,
} from "./revocation-event-bus.js";

export interface RevocationEventsSubscriptionProps {
  /** The stage: its name, and its account (where the stage's own stack is). */
  stage: { name: string; account: string };
  target: IRuleTarget;
  /** Only these scopes (`local`, `global`, `others`, `operator`); default all. */
  scopes?: readonly string[];
}

export class RevocationEventsSubscription extends Construct {
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: RevocationEventsSubscriptionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (Token.isUnresolved(stack.account)) {
      throw new Error(
        "RevocationEventsSubscription needs its stack's account (env.account): it decides between the stage's bus and this account's default bus",
      );
    }
    const { stage } = props;
    const sameAccount = stack.account === stage.account;
    const eventPattern = {
      ...REVOCATION_EVENT_PATTERN,
      account: [stage.account],
      ...(props.scopes ? { detail: { revocation: { scope: [...props.scopes] } } } : {}),
    };
    const eventBus = sameAccount
      ? EventBus.fromEventBusArn(
          this,
          "StageBus",
          StringParameter.valueForStringParameter(this, REVOCATION_EVENT_BUS_PARAMETER(stage.name)),
        )
      : EventBus.fromEventBusName(this, "DefaultBus", "default");
    if (!sameAccount) {
      // Only the stage's account may put on this bus by this statement; the rule takes its events.
      new CfnEventBusPolicy(this, "FromStage", {
        eventBusName: "default",
        statementId: `rinne-auth-${stage.name}-${this.node.addr.slice(0, 12)}`,
        statement: {
          Effect: "Allow",
          Principal: { AWS: `arn:${stack.partition}:iam::${stage.account}:root` },
          Action: "events:PutEvents",
          Resource: stack.formatArn({
            service: "events",
            resource: "event-bus",
            resourceName: "default",
          }),
        },
      });
    }
    this.rule = new Rule(this, "Rule", {
      eventBus,
      description: `Rinne auth revocation events of ${stage.name}`,
      eventPattern,
      targets: [props.target],
    });
  }
}
