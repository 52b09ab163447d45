/**
 * The stage's customer-managed KMS key for its operational data: the log groups of its
 * functions and API (AWS Control Tower CT.CLOUDWATCH.PR.3) and its alarm topic. Rotated yearly.
 * The key policy lets CloudWatch Logs use it for exactly the log groups made here, and
 * CloudWatch alarms publish to the topic it encrypts.
 */
import { ArnFormat, type RemovalPolicy, Stack } from "aws-cdk-lib";
import { AnyPrincipal, Effect, PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { stagePath } from "./stack-names.js";

export interface OperationsKeyProps {
  stageName: string;
  retention: RetentionDays;
  removalPolicy: RemovalPolicy;
}

export class OperationsKey extends Construct {
  readonly key: Key;
  private readonly props: OperationsKeyProps;

  constructor(scope: Construct, id: string, props: OperationsKeyProps) {
    super(scope, id);
    this.props = props;
    this.key = new Key(this, "Key", {
      description: `Rinne auth (${props.stageName}): logs and alarm notifications`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    // Only AWS services may create grants on it, for their own resources (CT.KMS.PR.3).
    this.key.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ["kms:CreateGrant"],
        resources: ["*"],
        conditions: {
          BoolIfExists: {
            "kms:GrantIsForAWSResource": "false",
            "aws:PrincipalIsAWSService": "false",
          },
        },
      }),
    );
  }

  /**
   * A log group (in `scope`) encrypted with this key. Its name is fixed, so that the key policy can name its
   * ARN without a circular reference between the two.
   */
  logGroup(scope: Construct, id: string, name: string): LogGroup {
    const stack = Stack.of(this);
    const logGroupName = stagePath(this.props.stageName, name);
    // The statement CloudWatch Logs' guide gives, narrowed to this one log group.
    this.key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: [
          "kms:Encrypt*",
          "kms:Decrypt*",
          "kms:ReEncrypt*",
          "kms:GenerateDataKey*",
          "kms:Describe*",
        ],
        resources: ["*"],
        conditions: {
          ArnEquals: {
            "kms:EncryptionContext:aws:logs:arn": stack.formatArn({
              service: "logs",
              resource: "log-group",
              resourceName: logGroupName,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    return new LogGroup(scope, id, {
      logGroupName,
      encryptionKey: this.key,
      retention: this.props.retention,
      removalPolicy: this.props.removalPolicy,
    });
  }
}
