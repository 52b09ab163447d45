/**
 * The authorizer function a stage deploys, as another stack sees it: by the ARN the stage
 * publishes in SSM. One import per stack and stage, however many APIs it protects.
 */
import { Stack } from "aws-cdk-lib";
import { type IFunction, Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import { StringParameter } from "aws-cdk-lib/aws-ssm";
import type { Construct } from "constructs";

/** Where each stage publishes its authorizer function's ARN. */
export const authorizerArnParameter = (stageName: string) =>
  `/rinne/${stageName}/auth/authorizer-function-arn`;

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
