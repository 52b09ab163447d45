/**
 * The IAM policies an administrator creates once per account, before `cdk bootstrap`
 * (docs/deploying.md), in place of CDK's default `AdministratorAccess`:
 * - the CloudFormation execution policy: what CloudFormation calls, with the execution role's
 *   permissions, to create, update and delete the logout stacks' resources. Complete: every
 *   action of `execution-policy-requirements.json` (the resource types' handler permissions,
 *   from their schemas, and the documented extras) is granted, less the few named below as never
 *   called for these stacks, each with its reason. Bounded: on the stacks' own resources where
 *   the service names them; a role only with the project's permissions boundary; never the
 *   pipeline's roles, the bootstrap roles or these policies; a role passed only to the
 *   services that use it. It is larger than one managed policy may be: it comes in parts;
 * - the permissions boundary every role of the logout stacks carries: what the functions (and
 *   the events' forwarding role) do at run time, on the project's resources, and nothing else.
 *   A role made with any policy, `AdministratorAccess` included, can do no more than this.
 * `test/infra/execution-policy.test.ts` holds both to the synthesized templates and evaluates
 * them as IAM does against the escalations. `npm run -s execution-policy` prints them.
 */
import requirements from "./execution-policy-requirements.json" with { type: "json" };

export const EXECUTION_POLICY_NAME = "rinne-auth-cfn-execution";
export const PERMISSIONS_BOUNDARY_NAME = "rinne-auth-permissions-boundary";

/** The services that use the stacks' roles: the functions, and EventBridge's forwarding rules. */
export const PASSED_TO_SERVICES = ["lambda.amazonaws.com", "events.amazonaws.com"] as const;

/** Required actions never called for these stacks, and why: all else is granted. */
export const NEVER_CALLED: Readonly<Record<string, string>> = {
  "application-autoscaling:*": "the table is on demand: no capacity to scale",
  "kinesis:*": "the table streams to DynamoDB Streams, not to Kinesis",
  "firehose:TagDeliveryStream": "no log group delivers to Firehose",
  "s3:REST.PUT.OBJECT": "no log group delivers to S3 (and it is no IAM action)",
  "iam:AttachRolePolicy":
    "no role has a managed policy: every policy is inline, under the boundary, so AdministratorAccess cannot be attached",
  "iam:DeleteRolePermissionsBoundary": "a role's boundary is never removed (denied outright)",
  "lambda:GetLayerVersion": "no function has a layer",
  "lambda:GetCodeSigningConfig": "no function has a code-signing configuration",
  "lambda:PassCapacityProvider": "no function runs on a capacity provider",
};

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Where the policies are created: `{partition}`, `{account}`, `{qualifier}` in the patterns. */
export interface PolicyPlace {
  partition?: string;
  account: string;
  /** The CDK bootstrap qualifier (`cdk.json`), which names the assets bucket and roles. */
  qualifier: string;
}

/** This project's stacks name what CloudFormation generates after themselves. */
const STACK = "RinneAuthLogout-*";
const ROLES = `arn:{partition}:iam::{account}:role/${STACK}`;
const BOUNDARY = `arn:{partition}:iam::{account}:policy/${PERMISSIONS_BOUNDARY_NAME}`;
const arn = (service: string, resource: string) =>
  `arn:{partition}:${service}:*:{account}:${resource}`;

/** Every required action, from the data: each type's handlers, and the documented extras. */
export function requiredActions(): Map<string, Set<string>> {
  const byType = new Map<string, Set<string>>();
  const add = (type: string, actions: readonly string[]) => {
    const set = byType.get(type) ?? new Set<string>();
    for (const action of actions) set.add(action);
    byType.set(type, set);
  };
  for (const [type, handlers] of Object.entries(requirements.resourceTypes)) {
    for (const handler of ["create", "read", "update", "delete"] as const)
      add(type, (handlers as Partial<Record<typeof handler, string[]>>)[handler] ?? []);
  }
  for (const extra of requirements.documented) add(extra.resourceType, extra.actions);
  return byType;
}

const service = (action: string) => action.split(":")[0]?.toLowerCase() ?? "";
const isNeverCalled = (action: string) =>
  Object.keys(NEVER_CALLED).some((pattern) =>
    pattern.endsWith(":*") ? service(action) === service(pattern) : pattern === action,
  );

/**
 * Where each required action is granted: the first rule that takes it. An action no rule takes
 * fails `executionPolicyDocument`, so a new type's calls cannot go ungranted unnoticed.
 */
interface Rule {
  sid: string;
  takes: (action: string) => boolean;
  resources: string[];
  condition?: PolicyStatement["Condition"];
}
const inService = (name: string) => (action: string) => service(action) === name;
const oneOf =
  (...actions: string[]) =>
  (action: string) =>
    actions.includes(action);

const RULES: readonly Rule[] = [
  {
    // Read-only look-ups that IAM scopes to no resource.
    sid: "RinneLookups",
    takes: (action) =>
      /^(ec2:Describe|elasticfilesystem:Describe|s3files:List|kms:ListAliases$|logs:Describe(LogGroups|ResourcePolicies)$)/.test(
        action,
      ),
    resources: ["*"],
  },
  {
    // API Gateway sets up an HTTP API's access log with the caller's permissions; CloudWatch
    // Logs names no resource for these (the HTTP API logging page, in the data's sources).
    sid: "RinneAccessLogDelivery",
    takes: oneOf(
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
    ),
    resources: ["*"],
  },
  {
    sid: "RinneLogs",
    takes: inService("logs"),
    resources: [arn("logs", "log-group:/rinne/*")],
  },
  {
    // A mapping's ARN is a random id, and creating one names no resource: scoped by the
    // function it feeds instead, which must be one of these stacks'.
    sid: "RinneLambdaEventSourceMappings",
    takes: (action) => /^lambda:\w+EventSourceMapping$/.test(action),
    resources: ["*"],
    condition: { ArnLikeIfExists: { "lambda:FunctionArn": [arn("lambda", `function:${STACK}`)] } },
  },
  {
    // Functions, and the tags of their mappings (the mapping actions themselves are above).
    sid: "RinneLambda",
    takes: inService("lambda"),
    resources: [arn("lambda", `function:${STACK}`), arn("lambda", "event-source-mapping:*")],
  },
  {
    sid: "RinneDynamoDb",
    takes: inService("dynamodb"),
    resources: [arn("dynamodb", `table/${STACK}`), arn("dynamodb", `table/${STACK}/*`)],
  },
  {
    // Lambda reads a function's code from the CDK assets bucket with the caller's permissions.
    sid: "RinneAssets",
    takes: (action) => /^s3:getobject(version)?$/i.test(action),
    resources: ["arn:{partition}:s3:::cdk-{qualifier}-assets-{account}-*/*"],
  },
  {
    sid: "RinneParameters",
    takes: inService("ssm"),
    resources: [
      arn("ssm", "parameter/rinne/*"),
      arn("ssm", "parameter/cdk-bootstrap/{qualifier}/*"),
    ],
  },
  {
    sid: "RinneSns",
    takes: inService("sns"),
    resources: [arn("sns", STACK)],
  },
  {
    sid: "RinneSqs",
    takes: inService("sqs"),
    resources: [arn("sqs", STACK)],
  },
  {
    sid: "RinneEvents",
    takes: inService("events"),
    resources: [arn("events", "event-bus/rinne-auth-*"), arn("events", "rule/rinne-auth-*/*")],
  },
  {
    // Alarms' names start with the stack's; PutMetricData names no resource.
    sid: "RinneCloudWatch",
    takes: inService("cloudwatch"),
    resources: [
      arn("cloudwatch", `alarm:${STACK}`),
      "arn:{partition}:cloudwatch::{account}:dashboard/rinne-auth-*",
    ],
  },
  {
    // A key's ARN is random; the stacks tag what they make (`service`), and CloudFormation's
    // handler passes the tags to CreateKey itself (the data's KMS source), so a key is made
    // only with the tag and only a key with it is touched: never another team's key policy.
    sid: "RinneNewKeys",
    takes: oneOf("kms:CreateKey"),
    resources: ["*"],
    condition: { StringEquals: { "aws:RequestTag/service": "rinne-auth-logout" } },
  },
  {
    sid: "RinneOwnKeys",
    takes: inService("kms"),
    resources: ["*"],
    condition: { StringEquals: { "aws:ResourceTag/service": "rinne-auth-logout" } },
  },
  {
    // API Gateway names an HTTP API by a random id and puts its routes and integrations under
    // it, and carries no tag to them, so nothing narrower than its paths can be said: the
    // methods on APIs, domain names and tags, not `apigateway:*` on everything.
    sid: "RinneApiGateway",
    takes: inService("apigateway"),
    resources: ["/apis", "/apis/*", "/domainnames", "/domainnames/*", "/tags/*"].map(
      (path) => `arn:{partition}:apigateway:*::${path}`,
    ),
  },
  {
    // A role is made, given a policy, or given a boundary only with the project's boundary.
    sid: "RinneRolesUnderTheBoundary",
    takes: oneOf(
      "iam:CreateRole",
      "iam:PutRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:PutRolePermissionsBoundary",
    ),
    resources: [ROLES],
    condition: { StringEquals: { "iam:PermissionsBoundary": BOUNDARY } },
  },
  {
    sid: "RinnePassRoles",
    takes: oneOf("iam:PassRole"),
    resources: [ROLES],
    condition: { StringEquals: { "iam:PassedToService": [...PASSED_TO_SERVICES] } },
  },
  {
    // The table's replication role, which DynamoDB makes and fixes the policy of.
    sid: "RinneDynamoDbReplicationRole",
    takes: oneOf("iam:CreateServiceLinkedRole"),
    resources: [
      "arn:{partition}:iam::{account}:role/aws-service-role/replication.dynamodb.amazonaws.com/*",
    ],
    condition: { StringEquals: { "iam:AWSServiceName": "replication.dynamodb.amazonaws.com" } },
  },
  {
    // The rest of a role's life, by name: a new IAM call must be placed here on purpose.
    sid: "RinneRoles",
    takes: oneOf(
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
      "iam:UpdateAssumeRolePolicy",
      "iam:DetachRolePolicy",
      "iam:DeleteRole",
    ),
    resources: [ROLES],
  },
];

/** What no Allow can reach, whatever a later edit of this file grants. */
const DENIALS: readonly PolicyStatement[] = [
  {
    Sid: "RinneNeverTheBoundaryAway",
    Effect: "Deny",
    Action: ["iam:DeleteRolePermissionsBoundary", "iam:AttachRolePolicy"],
    Resource: ["*"],
  },
  {
    // The pipeline's roles (`rinne-auth-<stage>-*`), CDK's bootstrap roles and these policies
    // are an administrator's: no template deployed with this policy may touch them.
    Sid: "RinneNeverThePipeline",
    Effect: "Deny",
    Action: ["iam:*"],
    Resource: [
      "arn:{partition}:iam::{account}:role/rinne-auth-*",
      "arn:{partition}:iam::{account}:role/cdk-*",
      "arn:{partition}:iam::{account}:policy/rinne-auth-*",
      "arn:{partition}:iam::{account}:user/*",
      "arn:{partition}:iam::{account}:group/*",
    ],
  },
  {
    Sid: "RinneNeverALockedOutKey",
    Effect: "Deny",
    Action: ["kms:CreateKey", "kms:PutKeyPolicy"],
    Resource: ["*"],
    Condition: { Bool: { "kms:BypassPolicyLockoutSafetyCheck": "true" } },
  },
];

function fill(text: string, place: PolicyPlace): string {
  return text
    .replaceAll("{partition}", place.partition ?? "aws")
    .replaceAll("{account}", place.account)
    .replaceAll("{qualifier}", place.qualifier);
}

function filled(statement: PolicyStatement, place: PolicyPlace): PolicyStatement {
  return JSON.parse(fill(JSON.stringify(statement), place));
}

/** IAM's quota for one managed policy: characters, white space not counted. */
export const MANAGED_POLICY_MAX_CHARACTERS = 6144;

/** A document's size as IAM counts it against the quota. */
export const policySize = (document: PolicyDocument) =>
  JSON.stringify(document).replace(/\s/g, "").length;

/**
 * The execution policy in as many managed policies as IAM's size quota needs, in order
 * (`rinne-auth-cfn-execution-1`, `-2`, …): `cdk bootstrap` takes them all.
 */
export function executionPolicyDocuments(place: PolicyPlace): PolicyDocument[] {
  const parts: PolicyDocument[] = [];
  for (const statement of executionPolicyDocument(place).Statement) {
    const last = parts.at(-1);
    const grown = last && { ...last, Statement: [...last.Statement, statement] };
    if (grown && policySize(grown) <= MANAGED_POLICY_MAX_CHARACTERS)
      parts[parts.length - 1] = grown;
    else parts.push({ Version: "2012-10-17", Statement: [statement] });
  }
  return parts;
}

/** Each part's name. */
export const executionPolicyName = (part: number) => `${EXECUTION_POLICY_NAME}-${part}`;

/** The execution policy as one document (more than one managed policy holds: see above). */
export function executionPolicyDocument(place: PolicyPlace): PolicyDocument {
  const granted = new Map<Rule, Set<string>>();
  for (const actions of requiredActions().values()) {
    for (const action of actions) {
      if (isNeverCalled(action)) continue;
      const rule = RULES.find((each) => each.takes(action));
      if (!rule) throw new Error(`the execution policy grants ${action} nowhere: add a rule`);
      const set = granted.get(rule) ?? new Set<string>();
      set.add(action.toLowerCase() === "s3:getobject" ? "s3:GetObject" : action);
      granted.set(rule, set);
    }
  }
  const allows = RULES.filter((rule) => granted.has(rule)).map(
    (rule): PolicyStatement => ({
      Sid: rule.sid,
      Effect: "Allow",
      Action: [...(granted.get(rule) ?? [])].sort(),
      Resource: rule.resources,
      ...(rule.condition ? { Condition: rule.condition } : {}),
    }),
  );
  return {
    Version: "2012-10-17",
    Statement: [...allows, ...DENIALS].map((statement) => filled(statement, place)),
  };
}

const allow = (Sid: string, Action: string[], Resource: string[]): PolicyStatement => ({
  Sid,
  Effect: "Allow",
  Action,
  Resource,
});

/** The permissions boundary of every role the logout stacks create. */
export function permissionsBoundaryDocument(place: PolicyPlace): PolicyDocument {
  const statements = [
    allow(
      "RinneFunctionLogs",
      ["logs:CreateLogStream", "logs:PutLogEvents"],
      [arn("logs", "log-group:/rinne/*")],
    ),
    allow(
      "RinneRevocationTable",
      [
        "dynamodb:BatchGetItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
      ],
      [arn("dynamodb", `table/${STACK}`), arn("dynamodb", `table/${STACK}/stream/*`)],
    ),
    allow(
      "RinneDeadLetters",
      ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
      [arn("sqs", STACK)],
    ),
    // The stage's bus, a bus it names, and the consumer accounts' default buses.
    allow(
      "RinneRevocationEvents",
      ["events:PutEvents"],
      ["arn:{partition}:events:*:*:event-bus/*"],
    ),
    allow(
      "RinneCognitoSignOut",
      ["cognito-idp:AdminGetUser", "cognito-idp:AdminUserGlobalSignOut"],
      [arn("cognito-idp", "userpool/*")],
    ),
    allow(
      "RinneClientSecrets",
      ["secretsmanager:GetSecretValue", "ssm:GetParameter"],
      [arn("secretsmanager", "secret:rinne/*"), arn("ssm", "parameter/rinne/*")],
    ),
  ];
  return { Version: "2012-10-17", Statement: statements.map((each) => filled(each, place)) };
}
