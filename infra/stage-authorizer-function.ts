/**
 * The authorizer function a stage deploys, as another stack sees it: by the ARN the stage
 * publishes in SSM (same account and region), or by its ARN given (another account of the
 * organisation, which the stage names in `authorizerConsumerAccounts`). One import per stack
 * and function, however many APIs it protects.
 */
import { Stack } from "aws-cdk-lib";
import { type IFunction, Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { StringParameter } from "aws-cdk-lib/aws-ssm";
import type { Construct } from "constructs";
import { stagePath } from "./stack-names.js";

/** Where each stage publishes its authorizer function's ARN. */
export const authorizerArnParameter = (stageName: string) =>
  stagePath(stageName, "authorizer-function-arn");

export function stageAuthorizerFunction(scope: Construct, stageName: string): IFunction {
  const stack = Stack.of(scope);
  const id = `RinneAuthorizer-${stageName}`;
  const existing = stack.node.tryFindChild(id) as IFunction | undefined;
  if (existing) return existing;
  // Same account and region: the invoke permission is added to the function.
  return LambdaFunction.fromFunctionAttributes(stack, id, {
    functionArn: StringParameter.valueForStringParameter(stack, authorizerArnParameter(stageName)),
    sameEnvironment: true,
  });
}

/**
 * The stage's authorizer function in another account, by its ARN: the stage's own stack grants
 * API Gateway of the consumer's account the invoke (`authorizerConsumerAccounts`), so this side
 * adds no permission (it could not: the function is not in its account).
 */
export function authorizerFunctionByArn(scope: Construct, functionArn: string): IFunction {
  const stack = Stack.of(scope);
  // arn:<partition>:lambda:<region>:<account>:function:<name>
  const [, , , region, account, , name] = functionArn.split(":");
  const id = `RinneAuthorizer-${account}-${region}-${name}`;
  const existing = stack.node.tryFindChild(id) as IFunction | undefined;
  if (existing) return existing;
  return LambdaFunction.fromFunctionAttributes(stack, id, { functionArn, skipPermissions: true });
}
