/**
 * The same DynamoDbClient interface over the AWS SDK v3 client, for the benchmark's side-by-side
 * comparison (the function itself uses the aws4fetch client).
 */

import {
  BatchGetItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { dynamoDbCallMs, WAIT_BUDGETS } from "../../functions/config/wait-budgets.js";
import { type DynamoDbClient, DynamoDbError } from "../../functions/revocation/dynamodb-client.js";

const COMMANDS = {
  BatchGetItem: BatchGetItemCommand,
  GetItem: GetItemCommand,
  PutItem: PutItemCommand,
  UpdateItem: UpdateItemCommand,
} as const;

export function awsSdkDynamoDbClient(): DynamoDbClient {
  // Region, credentials and AWS_ENDPOINT_URL_DYNAMODB come from the environment, as usual.
  const client = new DynamoDBClient({ maxAttempts: 3 });
  return {
    // The SDK's own retries and timeouts bound its calls; the figure is the function's own.
    callBudgetMs: dynamoDbCallMs(WAIT_BUDGETS.dynamoDb),
    async send<Output>(operation: string, input: object): Promise<Output> {
      const Command = COMMANDS[operation as keyof typeof COMMANDS] as unknown as
        | (new (
            input: object,
          ) => Parameters<typeof client.send>[0])
        | undefined;
      if (!Command) throw new Error(`Unsupported operation ${operation}`);
      try {
        return (await client.send(new Command(input))) as Output;
      } catch (error) {
        const { name, message } = error as Error;
        throw new DynamoDbError(name, message, false, { cause: error });
      }
    },
  };
}
