/**
 * One stage of the logout endpoint: the function behind an HTTP API at
 * POST /core/v1/auth/logout, its revocation table, logs, alarms and least-privilege role.
 */
import { fileURLToPath } from "node:url";
import {
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import {
  CorsHttpMethod,
  DomainName,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
} from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { Certificate } from "aws-cdk-lib/aws-certificatemanager";
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from "aws-cdk-lib/aws-dynamodb";
import { Effect, PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, Runtime } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Topic } from "aws-cdk-lib/aws-sns";
import { StringParameter } from "aws-cdk-lib/aws-ssm";
import type { Construct } from "constructs";
import { secretStoreOf, userPoolRegion } from "../functions/config.js";
import { REVOCATION_TABLE } from "../functions/revocation/revocation-table.js";
import type { StageConfig } from "./stage-config.js";

export const ROUTE_PATH = "/core/v1/auth/logout";
const ENTRY = fileURLToPath(new URL("../functions/logout/handler.ts", import.meta.url));

/**
 * Every wait of a request is bounded, and the timeout covers their sum on the slowest path, so
 * the client gets the contract's 503 rather than API Gateway's bare one: a JWKS fetch (2 tries
 * of 1.5 s), DynamoDB's check and write (3 attempts of 1 s each, with backoff), Cognito's
 * sign-out (3 s) and the first read of the client secrets (2 s): about 12.5 s at worst, so
 * 15 s. A normal logout takes milliseconds.
 */
const FUNCTION_TIMEOUT = Duration.seconds(15);
/**
 * Lambda's CPU share grows with memory, and the cold start (module load, first RSA key import)
 * is CPU-bound: 512 MB halves it against 256 MB for a cost that is negligible at logout rates.
 */
const FUNCTION_MEMORY_MB = 512;

/** An esbuild banner: an ESM bundle of CommonJS dependencies needs `require`. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

export interface LogoutStackProps extends StackProps {
  stage: StageConfig;
}

export class LogoutStack extends Stack {
  constructor(scope: Construct, id: string, props: LogoutStackProps) {
    super(scope, id, props);
    const { stage } = props;
    const removalPolicy = stage.isProduction ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const retention = stage.logRetentionDays as RetentionDays;

    const table = new TableV2(this, "RevocationTable", {
      partitionKey: { name: REVOCATION_TABLE.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: REVOCATION_TABLE.timeToLiveAttribute,
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: stage.isProduction,
      removalPolicy,
    });

    const functionLogs = new LogGroup(this, "FunctionLogs", { retention, removalPolicy });
    const role = new Role(this, "FunctionRole", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: "Logout function: its own logs, and read + conditional write of revocations",
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [functionLogs.logGroupArn],
      }),
    );
    // Read and write, never delete or scan: a revocation cannot be undone by this function.
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: REVOCATION_TABLE.operations.map((operation) => `dynamodb:${operation}`),
        resources: [table.tableArn],
      }),
    );

    if ("cognitoUserPoolId" in stage.auth) this.grantCognitoSignOut(role, stage.auth);

    const fn = new NodejsFunction(this, "LogoutFunction", {
      entry: ENTRY,
      handler: "handler",
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: FUNCTION_MEMORY_MB,
      timeout: FUNCTION_TIMEOUT,
      role,
      logGroup: functionLogs,
      description: `POST /v1/auth/logout of the Rinne API (${stage.stageName})`,
      environment: {
        ...authEnvironment(stage),
        REVOCATION_TABLE_NAME: table.tableName,
        MAX_SESSION_SECONDS: String(stage.maxSessionSeconds),
        MAX_TOKEN_LIFETIME_SECONDS: String(stage.maxTokenLifetimeSeconds),
        POWERTOOLS_SERVICE_NAME: "auth-logout",
        LOG_LEVEL: stage.logLevel,
        // No --enable-source-maps: it parses the map at every cold start (~10 ms) and this
        // function logs no stack traces. The map ships beside the bundle for a runtime crash.
      },
      bundling: {
        format: OutputFormat.ESM,
        target: "node24",
        platform: "node",
        minify: true,
        // Error class names stay readable in the one log line (`cause`).
        keepNames: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ["module", "main"],
        banner: ESM_REQUIRE_BANNER,
        // The runtime's own AWS SDK, loaded only on the paths that call Cognito.
        externalModules: ["@aws-sdk/*"],
        forceDockerBundling: false,
      },
    });

    const accessLogs = new LogGroup(this, "ApiAccessLogs", { retention, removalPolicy });
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

    const api = new HttpApi(this, "Api", {
      description: `Rinne API auth logout (${stage.stageName})`,
      createDefaultStage: false,
      // With a custom domain, clients use it and nothing else.
      disableExecuteApiEndpoint: domainName !== undefined,
      ...(stage.corsAllowedOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: stage.corsAllowedOrigins,
              allowMethods: [CorsHttpMethod.POST],
              allowHeaders: ["Authorization", "Content-Type"],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
    // No API Gateway authorizer: its 401 body would break the contract's error envelope.
    api.addRoutes({
      path: ROUTE_PATH,
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration("LogoutIntegration", fn),
    });
    const apiStage = new HttpStage(this, "DefaultStage", {
      httpApi: api,
      stageName: "$default",
      autoDeploy: true,
      throttle: stage.throttling,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
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
      ...(domainName
        ? {
            domainMapping: {
              domainName,
              ...(stage.customDomain?.mappingKey
                ? { mappingKey: stage.customDomain.mappingKey }
                : {}),
            },
          }
        : {}),
    });

    this.addAlarms(stage, [
      ["FunctionErrors", fn.metricErrors({ period: Duration.minutes(5) }), 1],
      ["FunctionThrottles", fn.metricThrottles({ period: Duration.minutes(5) }), 1],
      [
        "FunctionDurationP99",
        fn.metricDuration({ period: Duration.minutes(5), statistic: "p99" }),
        2000,
      ],
      ["Api5xx", apiStage.metricServerError({ period: Duration.minutes(5) }), 1],
    ]);

    const endpoint = domainName
      ? `https://${stage.customDomain?.domainName}${stage.customDomain?.mappingKey ? `/${stage.customDomain.mappingKey}` : ""}${ROUTE_PATH}`
      : `${api.apiEndpoint}${ROUTE_PATH}`;
    new CfnOutput(this, "LogoutEndpoint", { value: endpoint, description: "POST here to log out" });
    // For other stacks' functions that refuse revoked tokens: they need read access to this.
    new CfnOutput(this, "RevocationTableName", {
      value: table.tableName,
      exportName: `${id}-RevocationTableName`,
    });
    new CfnOutput(this, "RevocationTableArn", {
      value: table.tableArn,
      exportName: `${id}-RevocationTableArn`,
    });
    new StringParameter(this, "RevocationTableNameParameter", {
      parameterName: `/rinne/${stage.stageName}/auth/revocation-table-name`,
      stringValue: table.tableName,
      description: "Name of the token revocation table (read it to refuse revoked tokens)",
    });
    new StringParameter(this, "RevocationTableArnParameter", {
      parameterName: `/rinne/${stage.stageName}/auth/revocation-table-arn`,
      stringValue: table.tableArn,
      description: "ARN of the token revocation table (grant BatchGetItem on it)",
    });

    Validations.of(api).acknowledge({
      id: "AwsSolutions-APIG4",
      reason:
        "The function verifies the bearer JWT itself: an API Gateway authorizer would answer " +
        "401s outside the contract's AuthenticationErrorResponse envelope.",
    });
  }

  /**
   * Signing out at Cognito: AdminUserGlobalSignOut on the stage's pool and nothing else
   * (GlobalSignOut and RevokeToken are authorized by the user's own tokens), and reading the
   * app clients' secrets where the stage names where they are.
   */
  private grantCognitoSignOut(
    role: Role,
    auth: Extract<StageConfig["auth"], { cognitoUserPoolId: string }>,
  ): void {
    role.addToPolicy(
      new PolicyStatement({
        actions: ["cognito-idp:AdminUserGlobalSignOut"],
        resources: [
          this.formatArn({
            service: "cognito-idp",
            region: userPoolRegion(auth.cognitoUserPoolId),
            resource: "userpool",
            resourceName: auth.cognitoUserPoolId,
          }),
        ],
      }),
    );
    if (auth.clientSecretArn) {
      role.addToPolicy(
        new PolicyStatement({
          actions:
            secretStoreOf(auth.clientSecretArn) === "secretsmanager"
              ? ["secretsmanager:GetSecretValue"]
              : ["ssm:GetParameter"],
          resources: [auth.clientSecretArn],
        }),
      );
    }
  }

  private addAlarms(stage: StageConfig, alarms: [string, IMetric, number][]): void {
    const topic = stage.alarmTopicArn
      ? Topic.fromTopicArn(this, "AlarmTopic", stage.alarmTopicArn)
      : undefined;
    for (const [name, metric, threshold] of alarms) {
      const alarm = new Alarm(this, name, {
        alarmName: `${this.stackName}-${name}`,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (topic) alarm.addAlarmAction(new SnsAction(topic));
    }
  }
}

function authEnvironment({ auth }: StageConfig): Record<string, string> {
  if ("cognitoUserPoolId" in auth) {
    return {
      COGNITO_USER_POOL_ID: auth.cognitoUserPoolId,
      COGNITO_CLIENT_ID: auth.cognitoClientIds.join(","),
      COGNITO_TOKEN_USE: auth.tokenUse ?? "access",
      ...(auth.clientSecretArn ? { COGNITO_CLIENT_SECRET_ARN: auth.clientSecretArn } : {}),
    };
  }
  return {
    JWT_ISSUER: auth.issuer,
    ...(auth.audience ? { JWT_AUDIENCE: auth.audience.join(",") } : {}),
    ...(auth.jwksUri ? { JWKS_URI: auth.jwksUri } : {}),
  };
}
