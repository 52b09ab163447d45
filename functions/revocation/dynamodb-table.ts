/**
 * The revocation table's port on DynamoDB: the reads of `dynamodb-read.ts`, and the two
 * conditional writes, whose conditions are the port's promises. A condition that fails is the
 * port's `false`; anything else fails in the store's terms.
 */
import { type DynamoDbClient, DynamoDbError } from "./dynamodb-client.js";
import { dynamoDbRead, storeError } from "./dynamodb-read.js";
import type { Item } from "./revocation-items.js";
import { REVOCATION_TABLE } from "./revocation-table.js";
import type { RevocationTablePort } from "./table-port.js";

const { partitionKey: PK, timeToLiveAttribute: EXPIRES_AT } = REVOCATION_TABLE;

export function dynamoDbTable(dynamodb: DynamoDbClient, tableName: string): RevocationTablePort {
  async function putIf(input: Record<string, unknown>): Promise<boolean> {
    try {
      await dynamodb.send("PutItem", { TableName: tableName, ...input });
      return true;
    } catch (error) {
      if (error instanceof DynamoDbError && error.type === "ConditionalCheckFailedException") {
        return false;
      }
      throw storeError(error);
    }
  }

  return {
    read: dynamoDbRead(dynamodb, tableName),

    putUnlessLive: (item: Item, now: number) =>
      putIf({
        Item: item,
        ConditionExpression: "attribute_not_exists(#pk) OR #expiresAt <= :now",
        ExpressionAttributeNames: { "#pk": PK, "#expiresAt": EXPIRES_AT },
        ExpressionAttributeValues: { ":now": { N: String(Math.floor(now)) } },
      }),

    putOverVersion: (item: Item, version: number | undefined) =>
      putIf({
        Item: item,
        ConditionExpression: "attribute_not_exists(#pk) OR #version = :version",
        ExpressionAttributeNames: { "#pk": PK, "#version": "version" },
        ExpressionAttributeValues: { ":version": { N: String(version ?? 0) } },
      }),
  };
}
