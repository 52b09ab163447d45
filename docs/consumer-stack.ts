// consumer-stack.ts: a consumer's stack, as docs/protecting-routes.md gives it. Two HTTP APIs and
// a REST API, each protected by the stage's authorizer, and a backend that checks in-process.
// test/package/consumer.test.ts compiles it with tsc, synthesizes it, and runs the bundle CDK
// makes of the backend (CommonJS as written; ESM with `bundling: { format: OutputFormat.ESM }`).

import {
  RevocationAwareAuthorizer,
  RevocationAwareRestAuthorizer,
} from "@rinne/auth-logout/constructs";
import { App, Stack } from "aws-cdk-lib";
import { LambdaIntegration, RestApi } from "aws-cdk-lib/aws-apigateway";
import { HttpApi, HttpMethod } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Runtime } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import { StringParameter } from "aws-cdk-lib/aws-ssm";

const app = new App();
const stack = new Stack(app, "Payments");
const stage = (name: string) =>
  StringParameter.valueForStringParameter(stack, `/rinne/sandbox/auth/${name}`);

// handler.ts below, bundled by NodejsFunction as it does by default (CommonJS);
// `bundling: { format: OutputFormat.ESM }` works as well, with no banner.
const backend = new NodejsFunction(stack, "Backend", {
  entry: "handler.ts",
  runtime: Runtime.NODEJS_24_X,
  environment: {
    JWT_ISSUER: "https://cognito-idp.sa-east-1.amazonaws.com/sa-east-1_EXAMPLE",
    JWT_AUDIENCE: "your-app-client-id",
    REVOCATION_TABLE_NAME: stage("revocation-table-name"),
  },
});
// The in-process check reads the stage's revocation table: one strongly consistent read.
backend.addToRolePolicy(
  new PolicyStatement({
    actions: ["dynamodb:BatchGetItem"],
    resources: [stage("revocation-table-arn")],
  }),
);

// HTTP APIs: one authorizer per API, from the stage's published function.
for (const name of ["payments", "companies"]) {
  const api = new HttpApi(stack, `${name}-api`);
  api.addRoutes({
    path: `/core/v1/${name}`,
    methods: [HttpMethod.GET],
    integration: new HttpLambdaIntegration(name, backend),
    authorizer: RevocationAwareAuthorizer.fromStage(stack, "sandbox"),
  });
}

// A REST API: the authorizer, and the API's gateway responses in the contract's envelope.
const rest = new RestApi(stack, "legacy-api");
rest.root.addResource("payments").addMethod("GET", new LambdaIntegration(backend), {
  authorizer: RevocationAwareRestAuthorizer.fromStage(rest, "sandbox"),
});

app.synth();
