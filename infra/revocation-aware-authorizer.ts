/**
 * An API Gateway HTTP API authorizer that refuses logged-out tokens, for any route of the Rinne
 * API, in any stack: the function this project deploys, wrapped with the settings revocation
 * needs. In another stack:
 *
 *   const authorizer = RevocationAwareAuthorizer.fromStage(this, "sandbox");
 *   api.addRoutes({ path: "/core/v1/things", methods: [HttpMethod.GET], integration, authorizer });
 *
 * A backend reads the token's claims at `event.requestContext.authorizer.lambda`.
 */
import { Duration } from "aws-cdk-lib";
import {
  HttpLambdaAuthorizer,
  HttpLambdaResponseType,
} from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { Construct } from "constructs";
import { authorizerFunctionByArn, stageAuthorizerFunction } from "./stage-authorizer-function.js";

export interface RevocationAwareAuthorizerProps {
  /**
   * How long API Gateway may reuse a decision for the same Authorization header: the window in
   * which a revoked token still passes. Default 0, no cache: a logout is refused at once.
   * (CDK's own default, 5 minutes, would let a logged-out token through for 5 minutes.)
   */
  resultsCacheTtl?: Duration;
  authorizerName?: string;
}

export class RevocationAwareAuthorizer extends HttpLambdaAuthorizer {
  /**
   * The stage's authorizer, looked up by the ARN its stack publishes in SSM. Call it once per
   * API (an HTTP API authorizer belongs to one API), as many times as a stack has APIs.
   */
  static fromStage(
    scope: Construct,
    stageName: string,
    props: RevocationAwareAuthorizerProps = {},
  ): RevocationAwareAuthorizer {
    const handler = stageAuthorizerFunction(scope, stageName);
    return new RevocationAwareAuthorizer(`RinneAuth-${stageName}`, handler, props);
  }

  /**
   * The authorizer of a stage in another account of the organisation, by its function's ARN
   * (the stage's `AuthorizerFunctionArn` output), for a stage that names this account in
   * `authorizerConsumerAccounts`.
   */
  static fromArn(
    scope: Construct,
    functionArn: string,
    props: RevocationAwareAuthorizerProps = {},
  ): RevocationAwareAuthorizer {
    const handler = authorizerFunctionByArn(scope, functionArn);
    return new RevocationAwareAuthorizer(`RinneAuth-${handler.node.id}`, handler, props);
  }

  constructor(id: string, handler: IFunction, props: RevocationAwareAuthorizerProps = {}) {
    super(id, handler, {
      authorizerName: props.authorizerName ?? id,
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ["$request.header.Authorization"],
      resultsCacheTtl: props.resultsCacheTtl ?? Duration.seconds(0),
    });
  }
}
