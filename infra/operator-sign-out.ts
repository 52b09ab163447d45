/**
 * The operator's sign-out, for incident response: a function with no API Gateway route, called
 * through its function URL with IAM auth only (so AWS tells it who signed each call), by the
 * stage's `operators`. It may record revocations and, with Cognito, find and sign out users of
 * the stage's pool; nothing else.
 */
import type { Duration } from "aws-cdk-lib";
import { ArnPrincipal, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { type FunctionUrl, FunctionUrlAuthType } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { SERVICE_NAMES } from "../functions/domain/log-schema.js";
import { BundledFunction } from "./bundled-function.js";
import type { OperationsKey } from "./operations-key.js";
import type { RevocationTable } from "./revocation-table.js";
import type { StageConfig } from "./stage-config.js";

export interface OperatorSignOutProps {
  stage: StageConfig;
  environment: Record<string, string>;
  revocations: RevocationTable;
  /** The stage's user pool ARN, where it has one: the user admin calls are on it only. */
  userPoolArn: string | undefined;
  timeout: Duration;
  memorySize: number;
  operationsKey: OperationsKey;
}

export class OperatorSignOut extends Construct {
  readonly function: BundledFunction;
  readonly url: FunctionUrl;

  constructor(scope: Construct, id: string, props: OperatorSignOutProps) {
    super(scope, id);
    const { stage } = props;
    this.function = new BundledFunction(this, "Function", {
      entry: "functions/operator/handler.ts",
      logName: "operator-sign-out",
      description: `Operator's sign-out of a user, for incident response (${stage.stageName})`,
      memorySize: props.memorySize,
      timeout: props.timeout,
      // Rare, and never a flood: a small reservation bounds a script gone wrong.
      reservedConcurrency: stage.reservedConcurrency.operator,
      environment: { ...props.environment, POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.operator },
      operationsKey: props.operationsKey,
    });
    props.revocations.grantRecord(this.function.role);
    if (props.userPoolArn) {
      this.function.role.addToPolicy(
        new PolicyStatement({
          actions: ["cognito-idp:AdminGetUser", "cognito-idp:AdminUserGlobalSignOut"],
          resources: [props.userPoolArn],
        }),
      );
    }
    this.url = this.function.function.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
    for (const operator of stage.operators) this.url.grantInvokeUrl(new ArnPrincipal(operator));
  }
}
