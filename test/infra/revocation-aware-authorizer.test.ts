/**
 * The constructs another stack of the Rinne API uses to protect its routes (HTTP APIs and REST
 * APIs), in test-only consumer stacks, as the README shows them.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { LambdaIntegration, MockIntegration, RestApi } from "aws-cdk-lib/aws-apigateway";
import { HttpApi, HttpMethod } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { Code, Function as LambdaFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { describe, expect, it } from "vitest";
import { buildStacks } from "../../infra/app.js";
import { RevocationAwareAuthorizer } from "../../infra/revocation-aware-authorizer.js";
import { RevocationAwareRestAuthorizer } from "../../infra/revocation-aware-rest-authorizer.js";

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

/** A stack with two HTTP APIs and a REST API, each protected by the same stage's authorizer. */
function manyApis() {
  const stack = new Stack(new App(), "ManyApis");
  const backend = new LambdaFunction(stack, "Backend", {
    runtime: Runtime.NODEJS_24_X,
    handler: "index.handler",
    code: Code.fromInline("export const handler = async () => ({ statusCode: 200 });"),
  });
  for (const name of ["Payments", "Companies"]) {
    const api = new HttpApi(stack, `${name}Api`);
    api.addRoutes({
      path: `/core/v1/${name.toLowerCase()}`,
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration(name, backend),
      authorizer: RevocationAwareAuthorizer.fromStage(stack, "sandbox"),
    });
  }
  const rest = new RestApi(stack, "LegacyApi");
  const authorizer = RevocationAwareRestAuthorizer.fromStage(rest, "sandbox");
  const payments = rest.root.addResource("payments");
  payments.addMethod("GET", new LambdaIntegration(backend), { authorizer });
  // A second call for the same API: the same authorizer, no second set of responses.
  payments.addMethod("POST", new LambdaIntegration(backend), {
    authorizer: RevocationAwareRestAuthorizer.fromStage(rest, "sandbox"),
  });
  return Template.fromStack(stack);
}

describe("one stage's authorizer on several APIs of one stack", () => {
  const template = manyApis();

  it("imports the function once, and gives each HTTP API its own authorizer", () => {
    template.resourceCountIs("AWS::ApiGatewayV2::Authorizer", 2);
    template.resourceCountIs("AWS::ApiGatewayV2::Route", 2);
    template.allResourcesProperties("AWS::ApiGatewayV2::Route", { AuthorizationType: "CUSTOM" });
    expect(
      Object.keys(template.findParameters("*")).filter((name) =>
        name.includes("authorizerfunctionarn"),
      ),
    ).toHaveLength(1);
  });

  it("gives the REST API one REQUEST authorizer, no results cache, no identity source, on both methods", () => {
    template.resourceCountIs("AWS::ApiGateway::Authorizer", 1);
    const [authorizer] = Object.values(template.findResources("AWS::ApiGateway::Authorizer")) as {
      Properties: { Type: string; AuthorizerResultTtlInSeconds: number; IdentitySource?: string };
    }[];
    expect(authorizer?.Properties).toMatchObject({
      Type: "REQUEST",
      AuthorizerResultTtlInSeconds: 0,
    });
    // None: a request without the header reaches the function, and gets the envelope.
    expect(authorizer?.Properties.IdentitySource ?? "").toBe("");
    const methods = template.findResources("AWS::ApiGateway::Method", {
      Properties: { AuthorizationType: "CUSTOM" },
    });
    expect(Object.keys(methods)).toHaveLength(2);
  });

  it("answers a refusal, no token, an undecided authorizer and a broken one in the contract's envelope", () => {
    const responses = Object.values(template.findResources("AWS::ApiGateway::GatewayResponse")) as {
      Properties: {
        ResponseType: string;
        StatusCode: string;
        ResponseParameters: Record<string, string>;
        ResponseTemplates: Record<string, string>;
      };
    }[];
    const byType = Object.fromEntries(
      responses.map(({ Properties }) => [Properties.ResponseType, Properties]),
    );
    expect(Object.keys(byType).sort()).toEqual([
      "ACCESS_DENIED",
      "AUTHORIZER_CONFIGURATION_ERROR",
      "AUTHORIZER_FAILURE",
      "UNAUTHORIZED",
    ]);
    expect(byType.ACCESS_DENIED).toMatchObject({
      StatusCode: "401",
      ResponseParameters: {
        "gatewayresponse.header.WWW-Authenticate": `'Bearer error="invalid_token"'`,
        "gatewayresponse.header.Cache-Control": "'no-store'",
      },
    });
    expect(byType.AUTHORIZER_FAILURE).toMatchObject({
      StatusCode: "503",
      ResponseParameters: { "gatewayresponse.header.Retry-After": "'1'" },
    });
    for (const {
      Properties: { ResponseTemplates },
    } of responses) {
      const body = JSON.parse(ResponseTemplates["application/json"] as string);
      expect(Object.keys(body.error)).toEqual(
        expect.arrayContaining(["code", "message", "status", "details", "path", "requestId"]),
      );
    }
  });

  it("caches REST decisions only when told, keyed on the Authorization header", () => {
    const stack = new Stack(new App(), "Cached");
    const rest = new RestApi(stack, "Api");
    rest.root.addMethod("GET", new MockIntegration(), {
      authorizer: RevocationAwareRestAuthorizer.fromStage(rest, "sandbox", {
        resultsCacheTtl: Duration.seconds(30),
      }),
    });
    Template.fromStack(stack).hasResourceProperties("AWS::ApiGateway::Authorizer", {
      AuthorizerResultTtlInSeconds: 30,
      IdentitySource: "method.request.header.Authorization",
    });
  });
});

/** The sandbox stage's own stack, with `settings` added to its stage, unbundled. */
function synthesizeStage(settings: Record<string, unknown>) {
  const { context } = JSON.parse(readFileSync("cdk.json", "utf8"));
  const stages = { ...context.stages, sandbox: { ...context.stages.sandbox, ...settings } };
  const app = buildStacks(
    new App({
      context: { ...context, stages, stage: "sandbox", "aws:cdk:bundling-stacks": [] },
      outdir: mkdtempSync(join(tmpdir(), "cdk-")),
    }),
  );
  const stack = app.node.findChild("RinneAuthLogout-sandbox") as Stack;
  return { template: Template.fromStack(stack) };
}

describe("across accounts of the organisation", () => {
  const PRODUCER = "111122223333";
  const CONSUMER = "444455556666";
  const ARN = `arn:aws:lambda:sa-east-1:${PRODUCER}:function:rinne-auth-sandbox-authorizer`;

  it("a stage grants API Gateway of each account it names, and of no other", () => {
    const { template } = synthesizeStage({ authorizerConsumerAccounts: [CONSUMER] });
    const permissions = template.findResources("AWS::Lambda::Permission", {
      Properties: { Principal: "apigateway.amazonaws.com", SourceAccount: CONSUMER },
    });
    expect(Object.keys(permissions)).toHaveLength(1);
    const [permission] = Object.values(permissions) as { Properties: { SourceArn: unknown } }[];
    expect(JSON.stringify(permission?.Properties.SourceArn)).toContain(
      `:execute-api:sa-east-1:${CONSUMER}:*/authorizers/*`,
    );
    expect(() => synthesizeStage({ authorizerConsumerAccounts: ["4444"] })).toThrow(
      '"stages.sandbox.authorizerConsumerAccounts" must list 12-digit account ids',
    );
  });

  it("a consumer in another account attaches it by ARN, HTTP and REST, adding no permission of its own", () => {
    const stack = new Stack(new App(), "Consumer", {
      env: { account: CONSUMER, region: "sa-east-1" },
    });
    const http = new HttpApi(stack, "PaymentsApi");
    http.addRoutes({
      path: "/core/v1/payments",
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration(
        "Payments",
        LambdaFunction.fromFunctionArn(
          stack,
          "Backend",
          `arn:aws:lambda:sa-east-1:${CONSUMER}:function:b`,
        ),
      ),
      authorizer: RevocationAwareAuthorizer.fromArn(stack, ARN),
    });
    const rest = new RestApi(stack, "Rest");
    rest.root.addMethod("GET", new MockIntegration(), {
      authorizer: RevocationAwareRestAuthorizer.fromArn(rest, ARN),
    });
    expect(RevocationAwareRestAuthorizer.fromArn(rest, ARN)).toBe(
      RevocationAwareRestAuthorizer.fromArn(rest, ARN),
    );
    const template = Template.fromStack(stack);
    // The backend's own integration permission is there; none for the authorizer's function.
    const permissions = Object.values(template.findResources("AWS::Lambda::Permission"));
    expect(permissions.filter((each) => JSON.stringify(each).includes(ARN))).toEqual([]);
    for (const type of ["AWS::ApiGatewayV2::Authorizer", "AWS::ApiGateway::Authorizer"]) {
      const [authorizer] = Object.values(template.findResources(type));
      expect(JSON.stringify(authorizer), type).toContain(ARN);
    }
  });
});
