/**
 * Every revocation as an event other systems act on (`docs/revocation-events.md`): the table's
 * stream feeds a publisher function, which puts one CAEP `session-revoked` event per revocation
 * that took effect on the stage's bus (its own, or the one the stage names). At least once and
 * never silently dropped: Lambda retries a failed batch from its first failed record (the
 * function reports it), halving it where the function fails whole, then parks the batch's
 * range in the dead-letter queue, whose first message raises an alarm (`monitoring.ts`). The
 * stream keeps records for 24 hours: the guide says how to redrive from the queue.
 */
import { Duration, Stack } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { EventBus, type IEventBus, Rule } from "aws-cdk-lib/aws-events";
import { EventBus as EventBusTarget } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { FilterCriteria, FilterRule, StartingPosition } from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { SERVICE_NAMES } from "../functions/domain/log-schema.js";
import { BundledFunction } from "./bundled-function.js";
import { deadLetterQueue, GuardedDelivery } from "./guarded-delivery.js";
import type { OperationsKey } from "./operations-key.js";
import { REVOCATION_EVENT_PATTERN, REVOCATION_FORWARDER_ROLE } from "./revocation-event-bus.js";
import type { RevocationTable } from "./revocation-table.js";
import type { StageConfig } from "./stage-config.js";

/**
 * Lambda's tries of a failing batch after the first, before it parks it. With the publisher's
 * own retries of refused entries inside each try, a bus that fails that long is down.
 */
const STREAM_RETRY_ATTEMPTS = 10;

export interface RevocationEventsProps {
  stage: StageConfig;
  revocations: RevocationTable;
  environment: Record<string, string>;
  operationsKey: OperationsKey;
}

/** One consumer account's forwarding: its rule, and what guards its delivery. */
export interface Forwarding {
  account: string;
  rule: Rule;
  delivery: GuardedDelivery;
}

export class RevocationEvents extends Construct {
  readonly bus: IEventBus;
  readonly forwarding: Forwarding[];
  readonly publisher: BundledFunction;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: RevocationEventsProps) {
    super(scope, id);
    const { stage } = props;
    this.bus = stage.eventBusArn
      ? EventBus.fromEventBusArn(this, "Bus", stage.eventBusArn)
      : (new EventBus(this, "Bus", {
          eventBusName: `rinne-auth-${stage.stageName}`,
          description: `Revocation events of the Rinne API (${stage.stageName}): CAEP session-revoked`,
        }) as IEventBus);

    this.publisher = new BundledFunction(this, "Publisher", {
      entry: "functions/publisher/handler.ts",
      logName: "revocation-events",
      description: `Publishes the Rinne API's revocations as events (${stage.stageName})`,
      memorySize: 256,
      timeout: Duration.seconds(30),
      environment: {
        ...props.environment,
        EVENT_BUS_NAME: this.bus.eventBusArn,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.publisher,
      },
      operationsKey: props.operationsKey,
    });
    this.bus.grantPutEventsTo(this.publisher.role);

    this.deadLetters = deadLetterQueue(
      this,
      "DeadLetters",
      "the publisher's stream source (Lambda's on-failure destination)",
    );
    this.publisher.function.addEventSource(
      // TableV2 is a stream source like Table; only its optional fields' typing differs.
      new DynamoEventSource(props.revocations.table as unknown as ITable, {
        // From the oldest record the stream holds: a publisher deployed late misses none.
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: STREAM_RETRY_ATTEMPTS,
        onFailure: new SqsDlq(this.deadLetters),
        // TTL's deletions are no revocation: not worth an invocation.
        filters: [FilterCriteria.filter({ eventName: FilterRule.or("INSERT", "MODIFY") })],
      }),
    );

    this.forwarding = this.forward(stage);
  }

  /**
   * Other accounts of the organisation receive on their own default bus (a subscription there,
   * `RevocationEventsSubscription`, lets the forwarder role in): one rule each, as the role,
   * with a dead-letter queue each. A bus target takes no retry policy (CDK's `EventBusProps`):
   * EventBridge retries it a day, then parks it.
   */
  private forward(stage: StageConfig): Forwarding[] {
    const accounts = stage.revocationEventConsumerAccounts;
    if (accounts.length === 0) return [];
    const stack = Stack.of(this);
    const defaultBusOf = (account: string) =>
      stack.formatArn({
        service: "events",
        account,
        resource: "event-bus",
        resourceName: "default",
      });
    const role = new Role(this, "Forwarder", {
      roleName: REVOCATION_FORWARDER_ROLE(stage.stageName),
      description: `Puts the Rinne API's revocation events (${stage.stageName}) on consumer accounts' buses`,
      assumedBy: new ServicePrincipal("events.amazonaws.com", {
        conditions: { StringEquals: { "aws:SourceAccount": stack.account } },
      }),
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ["events:PutEvents"], resources: accounts.map(defaultBusOf) }),
    );
    return accounts.map((account) => {
      const delivery = new GuardedDelivery(this, `DeliveryTo${account}`, {
        what: `the revocation events' forwarding to account ${account}`,
      });
      const rule = new Rule(this, `To${account}`, {
        eventBus: this.bus,
        description: `Revocation events to account ${account}`,
        eventPattern: REVOCATION_EVENT_PATTERN,
        targets: [
          delivery.target(
            new EventBusTarget(
              EventBus.fromEventBusArn(this, `DefaultBusOf${account}`, defaultBusOf(account)),
              { role },
            ),
            { retries: false },
          ),
        ],
      });
      return { account, rule, delivery };
    });
  }
}
