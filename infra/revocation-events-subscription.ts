/**
 * A receiver's subscription to a stage's revocation events, in one call from the receiver's
 * own stack: a rule that sends every `session-revoked` event of the stage to `target` (a
 * function, a queue, any EventBridge target), losing none silently.
 *
 *   new RevocationEventsSubscription(this, "Revocations", {
 *     stage: { name: "production", account: "222222222222" },
 *     target: new LambdaFunction(closeConnections),
 *     alarmActions: [new SnsAction(onCall)],
 *   });
 *
 * In the stage's account the rule is on the stage's bus, found by the ARN the stage publishes in
 * SSM. In another account of the organisation the stage forwards its events to this account's
 * default bus (the stage lists the account in `revocationEventConsumerAccounts`): the rule is
 * there, and this construct lets the stage's forwarder role put events on that bus, and no
 * other principal of the stage's account. Same region as the stage. The target is retried for
 * a day, then what still fails is parked in a dead-letter queue, with an alarm on it.
 */
import { Stack, Token } from "aws-cdk-lib";
import type { Alarm, IAlarmAction } from "aws-cdk-lib/aws-cloudwatch";
import { CfnEventBusPolicy, EventBus, type IRuleTarget, Rule } from "aws-cdk-lib/aws-events";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { StringParameter } from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";
import { GuardedDelivery } from "./guarded-delivery.js";
import {
  REVOCATION_EVENT_BUS_PARAMETER,
  REVOCATION_EVENT_PATTERN,
  REVOCATION_FORWARDER_ROLE,
} from "./revocation-event-bus.js";

export interface RevocationEventsSubscriptionProps {
  /** The stage: its name, and its account (where the stage's own stack is). */
  stage: { name: string; account: string };
  target: IRuleTarget;
  /** Only these scopes (`local`, `global`, `others`, `operator`); default all. */
  scopes?: readonly string[];
  /** Where the alarm on parked or lost events pages (a warning at synth where none). */
  alarmActions?: readonly IAlarmAction[];
  /** Where events the target never took are parked; default a queue of its own. */
  deadLetterQueue?: IQueue;
}

export class RevocationEventsSubscription extends Construct {
  readonly rule: Rule;
  readonly deadLetterQueue: IQueue;
  readonly alarm: Alarm;

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
      // Only the stage's forwarding rules' role may put on this bus by this statement (it must
      // exist: deploy the stage with this account listed first).
      new CfnEventBusPolicy(this, "FromStage", {
        eventBusName: "default",
        statementId: `rinne-auth-${stage.name}-${this.node.addr.slice(0, 12)}`,
        statement: {
          Effect: "Allow",
          Principal: {
            AWS: `arn:${stack.partition}:iam::${stage.account}:role/${REVOCATION_FORWARDER_ROLE(stage.name)}`,
          },
          Action: "events:PutEvents",
          Resource: stack.formatArn({
            service: "events",
            resource: "event-bus",
            resourceName: "default",
          }),
        },
      });
    }
    const delivery = new GuardedDelivery(this, "Delivery", {
      what: `the subscription to ${stage.name}'s revocation events`,
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
    });
    this.deadLetterQueue = delivery.deadLetterQueue;
    this.rule = new Rule(this, "Rule", {
      eventBus,
      description: `Rinne auth revocation events of ${stage.name}`,
      eventPattern,
      targets: [delivery.target(props.target)],
    });
    this.alarm = delivery.watch(this.rule, {
      ...(sameAccount ? { busName: eventBus.eventBusName } : {}),
      alarmActions: props.alarmActions ?? [],
    });
  }
}
