/**
 * The construct another stack of the Rinne API uses to protect its routes, in a test-only
 * consumer stack, as the README shows it.
 */
import { App, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { HttpApi, HttpMethod } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { Code, Function as LambdaFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { describe, expect, it } from "vitest";
import { RevocationAwareAuthorizer } from "../../infra/revocation-aware-authorizer.js";

/** Another team's stack: an API whose route is protected in a few lines. */
function consumerStack(cacheTtl?: Duration) {
  const stack = new Stack(new App(), "Consumer");
  const backend = new LambdaFunction(stack, "Backend", {
    runtime: Runtime.NODEJS_24_X,
    handler: "index.handler",
    code: Code.fromInline("export const handler = async () => ({ statusCode: 200 });"),
  });
  const api = new HttpApi(stack, "PaymentsApi");

  const authorizer = RevocationAwareAuthorizer.fromStage(
    stack,
    "sandbox",
    cacheTtl ? { resultsCacheTtl: cacheTtl } : {},
  );
  api.addRoutes({
    path: "/core/v1/payments",
    methods: [HttpMethod.GET],
    integration: new HttpLambdaIntegration("Payments", backend),
    authorizer,
  });
  return Template.fromStack(stack);
}

describe("RevocationAwareAuthorizer", () => {
  const template = consumerStack();

  it("binds the route to a CUSTOM authorizer", () => {
    template.hasResourceProperties("AWS::ApiGatewayV2::Route", {
      RouteKey: "GET /core/v1/payments",
      AuthorizationType: "CUSTOM",
      AuthorizerId: { Ref: Match.stringLikeRegexp("^PaymentsApiRinneAuthsandbox") },
    });
  });

  it("is a payload 2.0 REQUEST authorizer with simple responses, on the Authorization header, with no results cache", () => {
    template.hasResourceProperties("AWS::ApiGatewayV2::Authorizer", {
      AuthorizerType: "REQUEST",
      AuthorizerPayloadFormatVersion: "2.0",
      EnableSimpleResponses: true,
      IdentitySource: ["$request.header.Authorization"],
      AuthorizerResultTtlInSeconds: 0,
    });
  });

  it("runs the function whose ARN the stage publishes in SSM", () => {
    const [authorizer] = Object.values(template.findResources("AWS::ApiGatewayV2::Authorizer"));
    expect(JSON.stringify(authorizer)).toContain(
      "SsmParameterValuerinnesandboxauthauthorizerfunctionarn",
    );
    template.hasParameter("*", {
      Type: "AWS::SSM::Parameter::Value<String>",
      Default: "/rinne/sandbox/auth/authorizer-function-arn",
    });
  });

  it("lets API Gateway invoke it only for this API's authorizers", () => {
    const permissions = Object.values(template.findResources("AWS::Lambda::Permission")) as {
      Properties: { Principal: string; SourceArn: unknown; FunctionName: unknown };
    }[];
    const forAuthorizer = permissions.filter((permission) =>
      JSON.stringify(permission.Properties.FunctionName).includes("authorizerfunctionarn"),
    );
    expect(forAuthorizer).toHaveLength(1);
    const sourceArn = JSON.stringify(forAuthorizer[0]?.Properties.SourceArn);
    expect(forAuthorizer[0]?.Properties.Principal).toBe("apigateway.amazonaws.com");
    expect(sourceArn).toContain('{"Ref":"PaymentsApi');
    expect(sourceArn).toContain("/authorizers/");
  });

  it("caches decisions only when told, for the window given", () => {
    consumerStack(Duration.seconds(30)).hasResourceProperties("AWS::ApiGatewayV2::Authorizer", {
      AuthorizerResultTtlInSeconds: 30,
    });
  });
});
