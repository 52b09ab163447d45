/**
 * The HTTP API in front of the logout: exactly one route, POST /core/v1/auth/logout, with stage
 * throttling, JSON access logs in an encrypted log group, CORS for the stage's browser origins,
 * and an optional custom domain (which then closes the default endpoint). On the Rinne API's
 * host, this API is mapped at `core` and its route is `/v1/auth/logout`, so the URL is the
 * contract's; on the default endpoint the route carries `/core` itself. Either way the function
 * sees `/core/v1/auth/logout` (an HTTP API's `rawPath` keeps the mapping's base path).
 */
import { Duration, Validations } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import {
  CorsHttpMethod,
  DomainName,
  HttpApi,
  HttpMethod,
  type HttpRoute,
  HttpStage,
  LogGroupLogDestination,
} from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { Certificate } from "aws-cdk-lib/aws-certificatemanager";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { LogGroup } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { DEFAULT_API_BASE_PATH } from "../functions/config/config.js";
import type { OperationsKey } from "./operations-key.js";
import type { StageConfig } from "./stage-config.js";

/** The Rinne API's base path on its one host, and the logout's path below it (the contract's). */
export const API_BASE_PATH = DEFAULT_API_BASE_PATH;
export const OPERATION_PATH = "/v1/auth/logout";
/** Where clients POST: `https://<host>/core/v1/auth/logout`, with a custom domain or without. */
export const ROUTE_PATH = `${API_BASE_PATH}${OPERATION_PATH}`;

/** Why the logout route has no API Gateway authorizer, for every rule that asks for one. */
export const NO_AUTHORIZER_REASON =
  "The function verifies the bearer JWT itself: an API Gateway authorizer would answer 401s " +
  "outside the contract's AuthenticationErrorResponse envelope (HTTP APIs cannot shape an " +
  "authorizer's refusal body).";

export interface LogoutApiProps {
  stage: StageConfig;
  logout: IFunction;
  operationsKey: OperationsKey;
}

export class LogoutApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  /** Where clients POST to log out. */
  readonly endpoint: string;
  /** The contract's base URL on this API: `https://<host>/core`. */
  readonly baseUrl: string;
  private readonly onCustomDomain: boolean;

  constructor(scope: Construct, id: string, { stage, logout, operationsKey }: LogoutApiProps) {
    super(scope, id);
    this.accessLogs = operationsKey.logGroup(this, "AccessLogs", "api-access");
    const domainName = stage.customDomain
      ? new DomainName(this, "CustomDomain", {
          domainName: stage.customDomain.domainName,
          certificate: Certificate.fromCertificateArn(
            this,
            "Certificate",
            stage.customDomain.certificateArn,
          ),
        })
      : undefined;

    this.api = new HttpApi(this, "Api", {
      description: `Rinne API auth logout (${stage.stageName})`,
      createDefaultStage: false,
      // With a custom domain, clients use it and nothing else.
      disableExecuteApiEndpoint: domainName !== undefined,
      ...(stage.corsAllowedOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: stage.corsAllowedOrigins,
              allowMethods: [CorsHttpMethod.POST],
              allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key"],
              // What a browser client needs of an answer: when to retry, and why a 401.
              exposeHeaders: ["Retry-After", "WWW-Authenticate"],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
    this.onCustomDomain = domainName !== undefined;
    this.post(OPERATION_PATH, "LogoutIntegration", logout, NO_AUTHORIZER_REASON);
    Validations.of(this.api).acknowledge({
      id: "AwsSolutions-APIG4",
      reason: NO_AUTHORIZER_REASON,
    });

    this.stage = new HttpStage(this, "DefaultStage", {
      httpApi: this.api,
      stageName: "$default",
      autoDeploy: true,
      throttle: stage.throttling,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: "$context.requestId",
            time: "$context.requestTime",
            ip: "$context.identity.sourceIp",
            method: "$context.httpMethod",
            path: "$context.path",
            status: "$context.status",
            latencyMs: "$context.responseLatency",
            integrationStatus: "$context.integrationStatus",
            integrationError: "$context.integrationErrorMessage",
            userAgent: "$context.identity.userAgent",
          }),
        ),
      },
      ...(domainName ? { domainMapping: { domainName, mappingKey: API_BASE_PATH.slice(1) } } : {}),
    });

    const { customDomain } = stage;
    this.baseUrl = customDomain
      ? `https://${customDomain.domainName}${API_BASE_PATH}`
      : `${this.api.apiEndpoint}${API_BASE_PATH}`;
    this.endpoint = `${this.baseUrl}${OPERATION_PATH}`;
  }

  /**
   * A POST route at `operationPath` below the base path, to `handler`, which checks its own
   * credential (`why` says so to every rule that asks for an API Gateway authorizer).
   */
  post(operationPath: string, id: string, handler: IFunction, why: string): void {
    const [route] = this.api.addRoutes({
      path: this.onCustomDomain ? operationPath : `${API_BASE_PATH}${operationPath}`,
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration(id, handler),
    });
    // The route, and the permission API Gateway invokes the function with, beneath it.
    Validations.of(route as HttpRoute).acknowledge(
      { id: "cdk-validator-cfnguard::api_gw_v2_authorization_type_configured_check", reason: why },
      {
        id: "cdk-validator-cfnguard::lambda_function_public_access_prohibited_check",
        reason:
          "API Gateway's invoke permission is scoped to this API by its SourceArn, which CDK " +
          "writes as an Fn::Join that the rule cannot read (the stack test checks it).",
      },
    );
  }
}
