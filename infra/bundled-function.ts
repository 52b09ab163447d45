/**
 * One function of this project as it is deployed: Node.js 24 on arm64, bundled locally by
 * esbuild into one minified ESM file (source map beside it), its own encrypted log group, and a
 * role that may write those logs and nothing else until the stack grants it more.
 */
import { fileURLToPath } from "node:url";
import { type Duration, Validations } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, Runtime } from "aws-cdk-lib/aws-lambda";
import { LogLevel, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import type { LogGroup } from "aws-cdk-lib/aws-logs";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { BUNDLING } from "./bundling.js";
import type { OperationsKey } from "./operations-key.js";

export interface BundledFunctionProps {
  /** The entry module, relative to this repository's root (`functions/logout/handler.ts`). */
  entry: string;
  /** The name of its log group below `/rinne/<stage>/auth/`. */
  logName: string;
  description: string;
  memorySize: number;
  timeout: Duration;
  /** Instances set aside for it, and the most it may run (the stage's `reservedConcurrency`). */
  reservedConcurrency?: number | undefined;
  environment: Record<string, string>;
  operationsKey: OperationsKey;
  /** Where an asynchronous invocation that failed its retries is parked (EventBridge's). */
  deadLetterQueue?: IQueue;
}

export class BundledFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    super(scope, id);
    this.logGroup = props.operationsKey.logGroup(this, "Logs", props.logName);
    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `${props.description}: its own logs, and what the stack grants`,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new NodejsFunction(this, "Function", {
      entry: fileURLToPath(new URL(`../${props.entry}`, import.meta.url)),
      handler: "handler",
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      role: this.role,
      logGroup: this.logGroup,
      ...(props.deadLetterQueue === undefined ? {} : { deadLetterQueue: props.deadLetterQueue }),
      description: props.description,
      // No --enable-source-maps: it parses the map at every cold start (~10 ms) and these
      // functions log no stack traces. The map ships beside the bundle for a runtime crash.
      environment: props.environment,
      bundling: {
        format: OutputFormat.ESM,
        target: BUNDLING.target,
        platform: BUNDLING.platform,
        minify: BUNDLING.minify,
        keepNames: BUNDLING.keepNames,
        sourceMap: BUNDLING.sourcemap,
        sourcesContent: BUNDLING.sourcesContent,
        mainFields: [...BUNDLING.mainFields],
        esbuildArgs: { "--legal-comments": BUNDLING.legalComments },
        externalModules: [...BUNDLING.external],
        logLevel: LogLevel.ERROR,
        forceDockerBundling: false,
      },
    });
    Validations.of(this.function).acknowledge({
      id: "cdk-validator-cfnguard::lambda_inside_vpc_check",
      reason:
        "It reaches only public endpoints (DynamoDB, EventBridge, Cognito, the issuer's JWKS) and no " +
        "private resource: a VPC would add NAT or endpoint costs and cold-start time for nothing.",
    });
  }
}
