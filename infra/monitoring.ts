/**
 * What tells someone the stage is unwell, and what they look at then: alarms that notify a topic
 * (created and encrypted, or the one the stage names) when they fire and when they recover
 * (AWS Control Tower CT.CLOUDWATCH.PR.1); metrics drawn from the functions' structured log
 * lines by metric filters, at no cost to a request; and one dashboard.
 */
import { Annotations, ArnFormat, Duration, Stack } from "aws-cdk-lib";
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { FilterPattern, type ILogGroup, MetricFilter } from "aws-cdk-lib/aws-logs";
import { type ITopic, Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";
import {
  type Decision,
  type DecisionLogLine,
  type LoggerFields,
  REVOKED_REASON,
  type RequestLogLine,
} from "../functions/domain/log-schema.js";
import { LOGOUT_SCOPES, type LogoutOutcome } from "../functions/domain/ports.js";
import type { BundledFunction } from "./bundled-function.js";
import type { LogoutApi } from "./logout-api.js";
import type { OperationsKey } from "./operations-key.js";
import type { ProviderSignOut } from "./provider-sign-out.js";
import type { RevocationEvents } from "./revocation-events.js";
import type { StageConfig } from "./stage-config.js";

export interface MonitoringProps {
  stage: StageConfig;
  operationsKey: OperationsKey;
  logout: BundledFunction;
  authorizer: BundledFunction;
  /** The operator's sign-out: rare and human-driven, so any error of it is worth a look. */
  operator: BundledFunction;
  /** The identity provider's sign-outs: a failure is a sign-out not in force here. */
  provider: ProviderSignOut;
  /** The revocation events' publisher and its dead-letter queue: an event parked is one lost to receivers. */
  events: RevocationEvents;
  api: LogoutApi;
}

const PERIOD = Duration.minutes(5);

/** A JSON selector of one field of the logout's, or the authorizer's, log line. */
const requestField = (name: keyof (RequestLogLine & LoggerFields)) => `$.${name}`;
const decisionField = (name: keyof (DecisionLogLine & LoggerFields)) => `$.${name}`;
const LOGGED_OUT: LogoutOutcome = "logged_out";
const DENY: Decision = "deny";

/** One metric drawn from log lines: its name, its JSON pattern, its dimensions. */
export type LogMetric = readonly [string, string, Readonly<Record<string, string>>?];

/**
 * The metrics drawn from log lines, each from one JSON pattern over the fields of
 * `functions/domain/log-schema.ts`. Dimensions come from fields whose values are a small fixed
 * set: scopes, reasons, decisions, service names.
 */
export const LOG_METRICS: Readonly<Record<"logout" | "authorizer", readonly LogMetric[]>> = {
  logout: [
    [
      "Logouts",
      `{ ${requestField("outcome")} = "${LOGGED_OUT}" }`,
      { Scope: requestField("scope") },
    ],
    ["Refusals", `{ ${requestField("status")} = 401 }`, { Reason: requestField("reason") }],
    ["RevokedTokenRefusals", `{ ${requestField("reason")} = "${REVOKED_REASON}" }`],
    ["ServiceUnavailable", `{ ${requestField("status")} = 503 }`],
    [
      "ColdStarts",
      `{ ${requestField("cold_start")} IS TRUE }`,
      { Service: requestField("service") },
    ],
  ],
  authorizer: [
    [
      "AuthorizerDecisions",
      `{ ${decisionField("decision")} = * }`,
      { Decision: decisionField("decision") },
    ],
    [
      "AuthorizerDenials",
      `{ ${decisionField("decision")} = "${DENY}" }`,
      { Reason: decisionField("reason") },
    ],
    [
      "AuthorizerRevokedTokenDenials",
      `{ ${decisionField("decision")} = "${DENY}" && ${decisionField("reason")} = "${REVOKED_REASON}" }`,
    ],
    [
      "ColdStarts",
      `{ ${decisionField("cold_start")} IS TRUE }`,
      { Service: decisionField("service") },
    ],
  ],
};

export class Monitoring extends Construct {
  readonly topic: ITopic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  private readonly namespace: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { stage, logout, authorizer, operator, provider, events, api } = props;
    this.namespace = `Rinne/Auth/${stage.stageName}`;
    this.topic = this.alarmTopic(props);

    const logoutFn = logout.function;
    const authorizerFn = authorizer.function;
    this.alarm("LogoutErrors", logoutFn.metricErrors({ period: PERIOD }), 1);
    this.alarm("LogoutThrottles", logoutFn.metricThrottles({ period: PERIOD }), 1);
    this.alarm(
      "LogoutDurationP99",
      logoutFn.metricDuration({ period: PERIOD, statistic: "p99" }),
      2000,
    );
    this.alarm("Api5xx", api.stage.metricServerError({ period: PERIOD }), 1);
    // The authorizer throws when it cannot decide: every protected route answers 500 then.
    this.alarm("AuthorizerErrors", authorizerFn.metricErrors({ period: PERIOD }), 1);
    this.alarm("AuthorizerThrottles", authorizerFn.metricThrottles({ period: PERIOD }), 1);
    this.alarm(
      "AuthorizerDurationP99",
      authorizerFn.metricDuration({ period: PERIOD, statistic: "p99" }),
      1000,
    );

    // An operator whose sign-out fails is in an incident already: it must not fail unseen.
    this.alarm("OperatorErrors", operator.function.metricErrors({ period: PERIOD }), 1);

    // A sign-out at the identity provider that failed here leaves its tokens passing.
    this.alarm(
      "ProviderSignOutErrors",
      provider.function.function.metricErrors({ period: PERIOD }),
      1,
    );
    this.alarm(
      "ProviderSignOutsParked",
      provider.deadLetters.metricApproximateNumberOfMessagesVisible({
        period: PERIOD,
        statistic: "Maximum",
      }),
      1,
    );
    if (provider.cloudTrail !== undefined) {
      this.alarms.push(
        provider.cloudTrail.delivery.watch(provider.cloudTrail.rule, {
          alarmActions: [new SnsAction(this.topic)],
        }),
      );
    }

    // Receivers wait for what the publisher fails to put; what Lambda parks, they never get.
    const publisher = events.publisher.function;
    this.alarm("RevocationEventErrors", publisher.metricErrors({ period: PERIOD }), 1);
    this.alarm(
      "RevocationEventsParked",
      events.deadLetters.metricApproximateNumberOfMessagesVisible({
        period: PERIOD,
        statistic: "Maximum",
      }),
      1,
    );
    this.alarm("RevocationEventsLate", this.iteratorAge(publisher.functionName), 60_000);
    // Each consumer account's forwarding: an event parked or lost on the way to it.
    for (const { rule, delivery } of events.forwarding) {
      this.alarms.push(
        delivery.watch(rule, {
          busName: events.bus.eventBusName,
          alarmActions: [new SnsAction(this.topic)],
        }),
      );
    }

    this.logMetrics("Logout", logout.logGroup, LOG_METRICS.logout);
    this.logMetrics("Authorizer", authorizer.logGroup, LOG_METRICS.authorizer);

    this.dashboard = new Dashboard(this, "Dashboard", {
      dashboardName: `rinne-auth-${stage.stageName}`,
    });
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: "Alarms", alarms: this.alarms, width: 24 }),
      this.graph(
        "Logouts by scope",
        LOGOUT_SCOPES.map((scope) => this.logMetric("Logouts", { Scope: scope })),
      ),
      this.graph("Refusals by reason", [this.search("Refusals", "Reason")]),
      this.graph("Revoked tokens refused", [
        this.logMetric("RevokedTokenRefusals"),
        this.logMetric("AuthorizerRevokedTokenDenials"),
      ]),
      this.graph("503s (a dependency down)", [this.logMetric("ServiceUnavailable")]),
      this.graph("Authorizer decisions", [this.search("AuthorizerDecisions", "Decision")]),
      this.graph("Latency (ms)", [
        logoutFn.metricDuration({ period: PERIOD, statistic: "p50", label: "logout p50" }),
        logoutFn.metricDuration({ period: PERIOD, statistic: "p99", label: "logout p99" }),
        authorizerFn.metricDuration({ period: PERIOD, statistic: "p50", label: "authorizer p50" }),
        authorizerFn.metricDuration({ period: PERIOD, statistic: "p99", label: "authorizer p99" }),
      ]),
      this.graph("Cold starts", [this.search("ColdStarts", "Service")]),
      this.graph("Operator sign-outs", [
        operator.function.metricInvocations({ period: PERIOD, label: "calls" }),
        operator.function.metricErrors({ period: PERIOD, label: "errors" }),
      ]),
      this.graph("Revocation events", [
        publisher.metricInvocations({ period: PERIOD, label: "batches" }),
        publisher.metricErrors({ period: PERIOD, label: "errors" }),
        events.deadLetters.metricApproximateNumberOfMessagesVisible({
          period: PERIOD,
          statistic: "Maximum",
          label: "parked",
        }),
      ]),
      this.graph("Revocation events' delay (ms)", [this.iteratorAge(publisher.functionName)]),
    );
  }

  /** How old the newest record of a batch was when the publisher got it: the events' delay. */
  private iteratorAge(functionName: string): Metric {
    return new Metric({
      namespace: "AWS/Lambda",
      metricName: "IteratorAge",
      dimensionsMap: { FunctionName: functionName },
      statistic: "Maximum",
      period: PERIOD,
    });
  }

  /** The stage's topic, or a new one encrypted with the stage's key that alarms may publish to. */
  private alarmTopic({ stage, operationsKey }: MonitoringProps): ITopic {
    if (stage.alarmTopicArn) return Topic.fromTopicArn(this, "AlarmTopic", stage.alarmTopicArn);
    const topic = new Topic(this, "AlarmTopic", {
      displayName: `Rinne auth alarms (${stage.stageName})`,
      masterKey: operationsKey.key,
      enforceSSL: true,
    });
    // A topic policy replaces the default one, which let the account's CloudWatch publish:
    // without this Allow, enforceSSL's Deny alone would leave every alarm silent.
    const stack = Stack.of(this);
    const fromTheseAlarms = {
      StringEquals: { "aws:SourceAccount": stack.account },
      ArnLike: {
        "aws:SourceArn": stack.formatArn({
          service: "cloudwatch",
          resource: "alarm",
          resourceName: `${stack.stackName}-*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: "AllowTheStackAlarmsToPublish",
        principals: [new ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [topic.topicArn],
        conditions: fromTheseAlarms,
      }),
    );
    operationsKey.key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
        conditions: fromTheseAlarms,
      }),
    );
    for (const email of stage.alarmEmails) topic.addSubscription(new EmailSubscription(email));
    if (stage.alarmEmails.length === 0) {
      // Production refuses this at synth (stage-config.ts); a sandbox may run unwatched.
      Annotations.of(this).addWarningV2(
        "rinne:alarmsReachNobody",
        `stages.${stage.stageName}.alarmEmails is empty and no alarmTopicArn is set: its alarms reach nobody`,
      );
    }
    return topic;
  }

  private alarm(name: string, metric: IMetric, threshold: number): void {
    const alarm = new Alarm(this, name, {
      alarmName: `${Stack.of(this).stackName}-${name}`,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    // Whoever was paged also learns that it is over.
    alarm.addOkAction(action);
    this.alarms.push(alarm);
  }

  private logMetrics(prefix: string, logGroup: ILogGroup, metrics: readonly LogMetric[]): void {
    for (const [metricName, pattern, dimensions] of metrics) {
      new MetricFilter(this, `${prefix}${metricName}`, {
        logGroup,
        metricNamespace: this.namespace,
        metricName,
        filterPattern: FilterPattern.literal(pattern),
        metricValue: "1",
        ...(dimensions ? { dimensions } : {}),
      });
    }
  }

  private logMetric(metricName: string, dimensionsMap: Record<string, string> = {}): Metric {
    return new Metric({
      namespace: this.namespace,
      metricName,
      dimensionsMap,
      statistic: "Sum",
      period: PERIOD,
      ...(Object.keys(dimensionsMap).length > 0
        ? { label: Object.values(dimensionsMap).join(" ") }
        : {}),
    });
  }

  /** Every value of one dimension of a log metric, as they appear. */
  private search(metricName: string, dimension: string): MathExpression {
    return new MathExpression({
      expression: `SEARCH('{${this.namespace},${dimension}} MetricName="${metricName}"', 'Sum', ${PERIOD.toSeconds()})`,
      usingMetrics: {},
      label: metricName,
      period: PERIOD,
    });
  }

  private graph(title: string, metrics: IMetric[]): GraphWidget {
    return new GraphWidget({ title, left: metrics, width: 12 });
  }
}
