/**
 * What makes an EventBridge rule's delivery lose nothing silently: its target retried for a
 * day, then what still fails parked in a dead-letter queue, and an alarm on either a parked
 * event or one EventBridge could not even park (`FailedInvocations`: a missing queue policy, a
 * deleted queue). Without a dead-letter queue an event that exhausts its retries is dropped,
 * and the only trace is a metric no one watches (EventBridge's guide, "Retry policies and
 * dead-letter queues"). One per rule: the stage's forwarding to each account, and each
 * receiver's subscription.
 */
import { Annotations, Duration, Validations } from "aws-cdk-lib";
import {
  Alarm,
  ComparisonOperator,
  type IAlarmAction,
  MathExpression,
  Metric,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import type { IRule, IRuleTarget, Rule, RuleTargetConfig } from "aws-cdk-lib/aws-events";
import { addToDeadLetterQueueResourcePolicy } from "aws-cdk-lib/aws-events-targets";
import { type IQueue, Queue, QueueEncryption, RedrivePermission } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

/** EventBridge's most: a day of tries, 185 of them. A receiver down for an hour misses nothing. */
export const DELIVERY_RETRY = { maxEventAge: Duration.hours(24), retryAttempts: 185 } as const;

/**
 * A queue that only ever receives the dead letters of `of`, never a queue's redrive: encrypted,
 * SSL only, kept 14 days, no redrive into it, and the rule packs' "every queue needs a
 * dead-letter queue" answered with why not.
 */
export function deadLetterQueue(scope: Construct, id: string, of: string): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    redriveAllowPolicy: { redrivePermission: RedrivePermission.DENY_ALL },
  });
  const reason =
    `It is the dead-letter destination of ${of}, not a queue's redrive: it needs none of its ` +
    "own, and allowing every queue of the account to redrive into it would mix others' " +
    "messages with its own.";
  Validations.of(queue).acknowledge(
    { id: "AwsSolutions-SQS3", reason },
    { id: "cdk-validator-cfnguard::sqs_dlq_check", reason },
  );
  return queue;
}

export interface GuardedDeliveryProps {
  /** Parked events' queue; default one of its own, kept 14 days. */
  deadLetterQueue?: IQueue;
  /** What the alarm's description says is lost. */
  what: string;
}

export class GuardedDelivery extends Construct {
  readonly deadLetterQueue: IQueue;
  private readonly props: GuardedDeliveryProps;

  constructor(scope: Construct, id: string, props: GuardedDeliveryProps) {
    super(scope, id);
    this.props = props;
    this.deadLetterQueue =
      props.deadLetterQueue ?? deadLetterQueue(this, "DeadLetters", "an EventBridge rule's target");
  }

  /**
   * `target` with the retry policy and the dead-letter queue, unless it brings its own.
   * `retries: false` for a target that takes no retry policy (an event bus: EventBridge's own
   * retries, a day, apply to it).
   */
  target(target: IRuleTarget, { retries = true }: { retries?: boolean } = {}): IRuleTarget {
    const queue = this.deadLetterQueue;
    return {
      bind(rule: IRule, id?: string): RuleTargetConfig {
        const config = target.bind(rule, id);
        addToDeadLetterQueueResourcePolicy(rule, queue);
        return {
          ...config,
          deadLetterConfig: config.deadLetterConfig ?? { arn: queue.queueArn },
          ...(retries
            ? {
                retryPolicy: config.retryPolicy ?? {
                  maximumEventAgeInSeconds: DELIVERY_RETRY.maxEventAge.toSeconds(),
                  maximumRetryAttempts: DELIVERY_RETRY.retryAttempts,
                },
              }
            : {}),
        };
      },
    };
  }

  /**
   * The alarm on `rule`: an event parked, one that failed for good, or one that could not be
   * parked. `busName`: the rule's custom bus, whose name its metrics carry (none: the default).
   */
  watch(
    rule: Rule,
    {
      busName,
      alarmActions = [],
    }: {
      busName?: string;
      /** Where it pages; none is a warning at synth: an alarm no one gets is no alarm. */
      alarmActions?: readonly IAlarmAction[];
    },
  ): Alarm {
    const period = Duration.minutes(1);
    const ofTheRule = (metricName: string) =>
      new Metric({
        namespace: "AWS/Events",
        metricName,
        dimensionsMap: {
          RuleName: rule.ruleName,
          ...(busName === undefined ? {} : { EventBusName: busName }),
        },
        statistic: "Sum",
        period,
      });
    const parked = this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period,
      statistic: "Maximum",
    });
    const alarm = new Alarm(this, "Alarm", {
      alarmDescription: `${this.props.what}: an event was parked in ${this.deadLetterQueue.node.path} or failed for good. Redeliver the queue's messages once the target works (docs/revocation-events.md).`,
      metric: new MathExpression({
        expression: "FILL(failed, 0) + FILL(unparked, 0) + FILL(parked, 0)",
        usingMetrics: {
          failed: ofTheRule("FailedInvocations"),
          unparked: ofTheRule("InvocationsFailedToBeSentToDlq"),
          parked,
        },
        period,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    for (const action of alarmActions) alarm.addAlarmAction(action);
    if (alarmActions.length === 0) {
      Annotations.of(this).addWarningV2(
        "rinne-auth:delivery-alarm-unrouted",
        `No alarmActions: nobody is paged when ${this.props.what} parks or loses an event`,
      );
    }
    return alarm;
  }
}
