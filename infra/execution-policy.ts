/**
 * The CloudFormation execution policy this project ships, for `cdk bootstrap
 * --cloudformation-execution-policies`, in place of CDK's default `AdministratorAccess`: what
 * these stacks create, and nothing else. Each statement is one service the templates use, its
 * resources limited to this project's names where the service names them at creation (roles,
 * functions, log groups, parameters, topics, tables); `test/infra/execution-policy.test.ts`
 * holds it to the synthesized templates of both stages. `npm run -s execution-policy` prints it.
 */

/** What CloudFormation may do with one service's resources, and on which. */
interface Grant {
  /** The IAM service prefix. */
  service: string;
  /** The CloudFormation resource types (`AWS::<Service>::…`) it serves. */
  resourceTypes: readonly string[];
  actions: readonly string[];
  resources: readonly string[];
  /** Where IAM names no resource at creation (`*`), the condition that scopes it instead. */
  conditions?: Record<string, Record<string, readonly string[]>>;
  /** The statement's Sid, where a service has more than one. */
  sid?: string;
}

/** `arn:<partition>:<service>:*:<account>:<resource>`, filled in by `executionPolicyDocument`. */
const arn = (service: string, resource: string) =>
  `arn:{partition}:${service}:*:{account}:${resource}`;

/** This project's stacks name what they create after themselves. */
const STACKS = ["RinneAuthLogout-*", "RinneAuthPipeline-*"];

export const GRANTS: readonly Grant[] = [
  {
    service: "apigateway",
    resourceTypes: ["AWS::ApiGatewayV2::*"],
    actions: ["apigateway:*"],
    resources: ["arn:{partition}:apigateway:*::/*"],
  },
  {
    service: "lambda",
    resourceTypes: ["AWS::Lambda::Function", "AWS::Lambda::Permission", "AWS::Lambda::Url"],
    actions: ["lambda:*"],
    resources: STACKS.map((stack) => arn("lambda", `function:${stack}`)),
  },
  {
    // A mapping's ARN is a random id, and creating one names no resource: scoped by the
    // function it feeds instead, which must be one of these stacks'.
    service: "lambda",
    sid: "RinneLambdaEventSourceMappings",
    resourceTypes: ["AWS::Lambda::EventSourceMapping"],
    actions: [
      "lambda:CreateEventSourceMapping",
      "lambda:GetEventSourceMapping",
      "lambda:UpdateEventSourceMapping",
      "lambda:DeleteEventSourceMapping",
      "lambda:TagResource",
      "lambda:UntagResource",
      "lambda:ListTags",
    ],
    resources: ["*"],
    conditions: {
      ArnLikeIfExists: {
        "lambda:FunctionArn": STACKS.map((stack) => arn("lambda", `function:${stack}`)),
      },
    },
  },
  {
    service: "dynamodb",
    resourceTypes: ["AWS::DynamoDB::GlobalTable"],
    actions: ["dynamodb:*"],
    resources: STACKS.map((stack) => arn("dynamodb", `table/${stack}`)),
  },
  {
    service: "logs",
    resourceTypes: ["AWS::Logs::LogGroup", "AWS::Logs::MetricFilter"],
    actions: ["logs:*"],
    resources: [arn("logs", "log-group:/rinne/*")],
  },
  {
    service: "cloudwatch",
    resourceTypes: ["AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard"],
    actions: ["cloudwatch:*"],
    resources: [
      ...STACKS.map((stack) => arn("cloudwatch", `alarm:${stack}`)),
      "arn:{partition}:cloudwatch::{account}:dashboard/rinne-auth-*",
    ],
  },
  {
    service: "sns",
    resourceTypes: ["AWS::SNS::Topic", "AWS::SNS::Subscription", "AWS::SNS::TopicPolicy"],
    actions: ["sns:*"],
    resources: STACKS.map((stack) => arn("sns", stack)),
  },
  {
    service: "events",
    resourceTypes: ["AWS::Events::EventBus", "AWS::Events::Rule"],
    actions: ["events:*"],
    resources: [arn("events", "event-bus/rinne-auth-*"), arn("events", "rule/rinne-auth-*/*")],
  },
  {
    service: "sqs",
    resourceTypes: ["AWS::SQS::Queue", "AWS::SQS::QueuePolicy"],
    actions: ["sqs:*"],
    resources: STACKS.map((stack) => arn("sqs", stack)),
  },
  {
    service: "ssm",
    resourceTypes: ["AWS::SSM::Parameter"],
    actions: ["ssm:*"],
    resources: [arn("ssm", "parameter/rinne/*"), arn("ssm", "parameter/cdk-bootstrap/*")],
  },
  {
    // A key's ARN is its random id, known only once made: creating one cannot be scoped.
    service: "kms",
    resourceTypes: ["AWS::KMS::Key"],
    actions: [
      "kms:CreateKey",
      "kms:DescribeKey",
      "kms:EnableKeyRotation",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:PutKeyPolicy",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:ListResourceTags",
    ],
    resources: ["*"],
  },
  {
    // Roles and their policies named after the stacks or the pipeline's role names only, and
    // GitHub's OIDC provider: never a role or a policy of anything else.
    service: "iam",
    resourceTypes: ["AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::OIDCProvider"],
    actions: [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:GetRole",
      "iam:UpdateRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:PutRolePolicy",
      "iam:GetRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:AttachRolePolicy",
      "iam:DetachRolePolicy",
      "iam:PassRole",
      "iam:CreateOpenIDConnectProvider",
      "iam:DeleteOpenIDConnectProvider",
      "iam:GetOpenIDConnectProvider",
      "iam:TagOpenIDConnectProvider",
      "iam:UpdateOpenIDConnectProviderThumbprint",
    ],
    resources: [
      ...STACKS.map((stack) => `arn:{partition}:iam::{account}:role/${stack}`),
      "arn:{partition}:iam::{account}:role/rinne-auth-*",
      "arn:{partition}:iam::{account}:oidc-provider/token.actions.githubusercontent.com",
    ],
  },
];

/** The policy document, as `aws iam create-policy --policy-document` takes it. */
export function executionPolicyDocument(partition = "aws", account = "<account>") {
  const fill = (text: string) =>
    text.replaceAll("{partition}", partition).replaceAll("{account}", account);
  return {
    Version: "2012-10-17",
    Statement: GRANTS.map((grant) => ({
      Sid: grant.sid ?? `Rinne${grant.service.replace(/^./, (first) => first.toUpperCase())}`,
      Effect: "Allow",
      Action: [...grant.actions],
      Resource: grant.resources.map(fill),
      ...(grant.conditions
        ? {
            Condition: Object.fromEntries(
              Object.entries(grant.conditions).map(([operator, keys]) => [
                operator,
                Object.fromEntries(
                  Object.entries(keys).map(([key, values]) => [key, values.map(fill)]),
                ),
              ]),
            ),
          }
        : {}),
    })),
  };
}
