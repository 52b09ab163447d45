/**
 * The revocation table, from the definition the functions use, and its two grants: the logout
 * records and checks, the authorizer (or any other function of the API) only checks.
 *
 * Encrypted with the key DynamoDB manages in the account (`aws/dynamodb`), not a customer-managed
 * one: its items hold digests, times and the identifiers a revocation's event names (issuer,
 * `sub`, session or token id), never a token, a secret or a user's name, so there is nothing
 * a key policy of ours would protect better; and a customer-managed key would put KMS's
 * request quotas and an extra failure mode on the path of every checked request. It still meets
 * AWS Control Tower's CT.DYNAMODB.PR.2 (encrypted with a KMS key).
 */
import type { RemovalPolicy } from "aws-cdk-lib";
import {
  AttributeType,
  Billing,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from "aws-cdk-lib/aws-dynamodb";
import { type IGrantable, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import { REVOCATION_TABLE } from "../functions/revocation/revocation-table.js";

export interface RevocationTableProps {
  /** Production: deletion protection, and the stack keeps it when deleted. */
  protect: boolean;
  removalPolicy: RemovalPolicy;
}

export class RevocationTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: RevocationTableProps) {
    super(scope, id);
    this.table = new TableV2(this, "Table", {
      partitionKey: { name: REVOCATION_TABLE.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: REVOCATION_TABLE.timeToLiveAttribute,
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.protect,
      removalPolicy: props.removalPolicy,
      // Each write, the item before and after: what the publisher of revocation events reads.
      dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
    });
  }

  /** What the logout calls: read and conditional writes, never delete or scan. */
  grantRecord(grantee: IGrantable): void {
    this.grant(grantee, REVOCATION_TABLE.operations);
  }

  /** What a function that only refuses revoked tokens calls. */
  grantCheck(grantee: IGrantable): void {
    this.grant(grantee, REVOCATION_TABLE.readOperations);
  }

  private grant(grantee: IGrantable, operations: readonly string[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: operations.map((operation) => `dynamodb:${operation}`),
        resources: [this.table.tableArn],
      }),
    );
  }
}
