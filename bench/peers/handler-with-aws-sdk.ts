/** The logout function as deployed, but reaching DynamoDB through the AWS SDK v3 client. */
import { logoutHandlerFromEnvironment } from "../../functions/logout/logout-handler.js";
import { awsSdkDynamoDbClient } from "./aws-sdk-dynamodb-client.js";

export const handler = logoutHandlerFromEnvironment(process.env, {
  dynamoDbClient: awsSdkDynamoDbClient,
});
