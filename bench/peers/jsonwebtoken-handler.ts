/**
 * The peer: the plain handler a user might write instead, with `jsonwebtoken` + `jwks-rsa` and
 * the AWS SDK v3 DynamoDB client; same inputs, same revocation write, no Middy or Powertools.
 */
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import jwt from "jsonwebtoken";
import jwksClient, { type SigningKey } from "jwks-rsa";

const issuer = process.env.JWT_ISSUER as string;
const audience = process.env.JWT_AUDIENCE as string;
const table = process.env.REVOCATION_TABLE_NAME;
const jwks = JSON.parse(process.env.JWKS ?? '{"keys":[]}');
const keys = jwksClient({
  jwksUri: `${issuer}/.well-known/jwks.json`,
  // Serve the inline JWKS, as the function does, so neither fetches.
  getKeysInterceptor: async () => jwks.keys,
});
const dynamodb = table ? new DynamoDBClient({}) : undefined;

const json = (statusCode: number, body: unknown) => ({
  statusCode,
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body),
});

export async function handler(event: APIGatewayProxyEventV2) {
  const header = event.headers?.authorization ?? "";
  const token = header.replace(/^Bearer\s+/i, "");
  let claims: jwt.JwtPayload;
  try {
    claims = await new Promise((resolve, reject) =>
      jwt.verify(
        token,
        (header, callback) =>
          keys.getSigningKey(header.kid, (error: Error | null, key?: SigningKey) =>
            callback(error, key?.getPublicKey()),
          ),
        { issuer, audience, algorithms: ["RS256"] },
        (error, decoded) => (error ? reject(error) : resolve(decoded as jwt.JwtPayload)),
      ),
    );
  } catch (error) {
    return json(401, {
      error: { code: "AUTHENTICATION_ERROR", message: (error as Error).message },
    });
  }
  if (dynamodb) {
    try {
      await dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: `token#${claims.jti}` }, expiresAt: { N: String(claims.exp) } },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return json(401, { error: { code: "AUTHENTICATION_ERROR", message: "revoked" } });
      }
      throw error;
    }
  }
  return json(200, { success: true, message: "Logged out successfully" });
}
