/**
 * One stage of the Rinne API's logout and token revocation: the logout function behind its HTTP
 * API at POST /core/v1/auth/logout, the revocation-aware authorizer every other route can use,
 * the operator's sign-out for incident response, the revocation table they share, their
 * encrypted logs, and what watches them.
 */
import {
  Annotations,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
} from "aws-cdk-lib";
import { PolicyStatement, type Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { RetentionDays } from "aws-cdk-lib/aws-logs";
import { StringParameter } from "aws-cdk-lib/aws-ssm";
import type { Construct } from "constructs";
import {
  authorizerWaitMs,
  logoutWaitMs,
  operatorWaitMs,
  providerWaitMs,
} from "../functions/config/wait-budgets.js";
import { secretStoreOf, userPoolRegion } from "../functions/domain/aws-identifiers.js";
import { SERVICE_NAMES } from "../functions/domain/log-schema.js";
import { BundledFunction } from "./bundled-function.js";
import { API_BASE_PATH, LogoutApi } from "./logout-api.js";
import { Monitoring } from "./monitoring.js";
import { OperationsKey } from "./operations-key.js";
import { OperatorSignOut } from "./operator-sign-out.js";
import { ProviderSignOut } from "./provider-sign-out.js";
import { REVOCATION_EVENT_BUS_PARAMETER } from "./revocation-event-bus.js";
import { RevocationEvents } from "./revocation-events.js";
import { RevocationTable } from "./revocation-table.js";
import { stagePath } from "./stack-names.js";
import { authorizerArnParameter } from "./stage-authorizer-function.js";
import { functionEnvironment, type StageConfig } from "./stage-config.js";

export { ROUTE_PATH } from "./logout-api.js";

/**
 * Each function's timeout covers every wait on its slowest path, as the code bounds them
 * (`functions/config/wait-budgets.ts`), and a quarter more for the work between: so a client
 * gets the contract's 503 rather than API Gateway's bare one. Whole seconds, rounded up.
 */
const timeoutCovering = (waitMs: number) => Duration.seconds(Math.ceil((waitMs * 1.25) / 1000));
/** An HTTP API integration gives up after 30 s: a logout timeout past it would never be seen. */
const INTEGRATION_TIMEOUT_SECONDS = 30;
const LOGOUT_TIMEOUT = timeoutCovering(logoutWaitMs());
const AUTHORIZER_TIMEOUT = timeoutCovering(authorizerWaitMs());
const OPERATOR_TIMEOUT = timeoutCovering(operatorWaitMs());
const PROVIDER_TIMEOUT = timeoutCovering(providerWaitMs());
if (LOGOUT_TIMEOUT.toSeconds() >= INTEGRATION_TIMEOUT_SECONDS) {
  throw new Error(
    `The logout's waits need a ${LOGOUT_TIMEOUT.toSeconds()} s timeout, past API Gateway's ${INTEGRATION_TIMEOUT_SECONDS} s`,
  );
}
/**
 * Lambda's CPU share grows with memory, and the cold start (module load, first RSA key import)
 * is CPU-bound: 512 MB halves it against 256 MB (bench/README.md has the figures and the cost).
 */
const FUNCTION_MEMORY_MB = 512;

export interface LogoutStackProps extends StackProps {
  stage: StageConfig;
}

export class LogoutStack extends Stack {
  constructor(scope: Construct, id: string, { stage, ...props }: LogoutStackProps) {
    super(scope, id, props);
    if (stage.refreshedSessionsAsNew !== undefined) {
      // What the stage accepted in place of auth_time, where a reviewer of the template sees it.
      this.templateOptions.metadata = {
        ...this.templateOptions.metadata,
        "rinne:acceptRefreshedSessionsAsNew": stage.refreshedSessionsAsNew,
      };
      Annotations.of(this).addWarningV2(
        "rinne:acceptRefreshedSessionsAsNew",
        `stages.${stage.stageName} accepts tokens without auth_time: a stolen refresh token outlives the owner's global logout (${stage.refreshedSessionsAsNew})`,
      );
    }
    const removalPolicy = stage.isProduction ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const operationsKey = new OperationsKey(this, "OperationsKey", {
      stageName: stage.stageName,
      retention: stage.logRetentionDays as RetentionDays,
      removalPolicy,
    });
    const revocations = new RevocationTable(this, "Revocations", {
      protect: stage.isProduction,
      removalPolicy,
    });
    const verifierEnvironment = {
      ...functionEnvironment(stage),
      REVOCATION_TABLE_NAME: revocations.table.tableName,
      // error.path is relative to the contract's base path, which the API serves under.
      API_BASE_PATH,
    };

    const logout = new BundledFunction(this, "Logout", {
      entry: "functions/logout/handler.ts",
      logName: "logout",
      description: `POST /v1/auth/logout of the Rinne API (${stage.stageName})`,
      memorySize: FUNCTION_MEMORY_MB,
      timeout: LOGOUT_TIMEOUT,
      reservedConcurrency: stage.reservedConcurrency.logout,
      environment: { ...verifierEnvironment, POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.logout },
      operationsKey,
    });
    revocations.grantRecord(logout.role);
    if ("cognitoUserPoolId" in stage.auth) this.grantCognitoSignOut(logout.role, stage.auth);

    // The same verifier settings and modules; it may only read the table.
    const authorizer = new BundledFunction(this, "Authorizer", {
      entry: "functions/authorizer/handler.ts",
      logName: "authorizer",
      description: `Revocation-aware authorizer of the Rinne API (${stage.stageName})`,
      memorySize: FUNCTION_MEMORY_MB,
      timeout: AUTHORIZER_TIMEOUT,
      reservedConcurrency: stage.reservedConcurrency.authorizer,
      environment: { ...verifierEnvironment, POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.authorizer },
      operationsKey,
    });
    revocations.grantCheck(authorizer.role);

    const userPoolArn =
      "cognitoUserPoolId" in stage.auth
        ? this.userPoolArn(stage.auth.cognitoUserPoolId)
        : undefined;
    const operator = new OperatorSignOut(this, "OperatorSignOut", {
      stage,
      environment: verifierEnvironment,
      revocations,
      userPoolArn,
      timeout: OPERATOR_TIMEOUT,
      memorySize: FUNCTION_MEMORY_MB,
      operationsKey,
    });

    const events = new RevocationEvents(this, "RevocationEvents", {
      stage,
      revocations,
      environment: { LOG_LEVEL: stage.functionSettings.LOG_LEVEL ?? "INFO" },
      operationsKey,
    });

    const api = new LogoutApi(this, "LogoutApi", {
      stage,
      logout: logout.function,
      operationsKey,
    });
    const provider = new ProviderSignOut(this, "ProviderSignOut", {
      stage,
      environment: verifierEnvironment,
      revocations,
      userPoolArn,
      api,
      timeout: PROVIDER_TIMEOUT,
      memorySize: FUNCTION_MEMORY_MB,
      operationsKey,
    });
    new Monitoring(this, "Monitoring", {
      stage,
      operationsKey,
      logout,
      authorizer,
      operator: operator.function,
      provider,
      events,
      api,
    });

    const parameter = (name: string) => stagePath(stage.stageName, name);
    this.publish("LogoutEndpoint", "POST here to log out", api.endpoint);
    if (provider.backchannelEndpoint !== undefined) {
      this.publish(
        "BackchannelLogoutEndpoint",
        "Register it at the issuer as the clients' back-channel logout URI",
        provider.backchannelEndpoint,
      );
    }
    this.publish(
      "RevocationTableName",
      "The revocation table: read it to refuse revoked tokens",
      revocations.table.tableName,
      parameter("revocation-table-name"),
    );
    this.publish(
      "RevocationTableArn",
      "ARN of the revocation table: grant BatchGetItem on it",
      revocations.table.tableArn,
      parameter("revocation-table-arn"),
    );
    this.publish(
      "OperatorSignOutUrl",
      "The operator's sign-out (IAM auth): npm run sign-out-user",
      operator.url.url,
      parameter("operator-sign-out-url"),
    );
    this.publish(
      "RevocationEventBusArn",
      "Where the revocation events are: RevocationEventsSubscription",
      events.bus.eventBusArn,
      REVOCATION_EVENT_BUS_PARAMETER(stage.stageName),
    );
    // Other accounts' APIs call the authorizer through API Gateway of their own account.
    for (const account of stage.authorizerConsumerAccounts) {
      authorizer.function.addPermission(`InvokeFromApisOf${account}`, {
        principal: new ServicePrincipal("apigateway.amazonaws.com"),
        sourceAccount: account,
        sourceArn: this.formatArn({
          service: "execute-api",
          account,
          resource: "*",
          resourceName: "authorizers/*",
        }),
      });
    }
    this.publish(
      "AuthorizerFunctionArn",
      "The revocation-aware authorizer: RevocationAwareAuthorizer.fromStage",
      authorizer.function.functionArn,
      authorizerArnParameter(stage.stageName),
    );
  }

  /** A stack output; where other stacks need it, exported and in an SSM parameter too. */
  private publish(name: string, description: string, value: string, parameterName?: string): void {
    new CfnOutput(this, name, {
      value,
      description,
      ...(parameterName ? { exportName: `${this.stackName}-${name}` } : {}),
    });
    if (parameterName) {
      new StringParameter(this, `${name}Parameter`, {
        parameterName,
        stringValue: value,
        description,
      });
    }
  }

  private userPoolArn(userPoolId: string): string {
    return this.formatArn({
      service: "cognito-idp",
      region: userPoolRegion(userPoolId),
      resource: "userpool",
      resourceName: userPoolId,
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
        resources: [this.userPoolArn(auth.cognitoUserPoolId)],
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
}
