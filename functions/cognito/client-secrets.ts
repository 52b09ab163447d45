/**
 * App client secrets for Cognito's RevokeToken, read once from AWS Secrets Manager or SSM
 * Parameter Store (a JSON object of client id → secret), on first need only. The AWS SDK
 * clients are imported then, so the cold start of a logout that needs no secret pays nothing.
 */
import { secretStoreOf, ssmParameterName } from "../domain/aws-identifiers.js";
import { ClientSecretUnavailableError } from "../domain/errors.js";

export type ClientSecretLookup = (clientId: string) => Promise<string | undefined>;

/** The most the one read may take, its SDK retries included. */
export const SECRET_READ_BUDGET_MS = 2000;

async function readSecretDocument(arn: string): Promise<string> {
  const options = { abortSignal: AbortSignal.timeout(SECRET_READ_BUDGET_MS) };
  if (secretStoreOf(arn) === "secretsmanager") {
    const { SecretsManagerClient, GetSecretValueCommand } = await import(
      "@aws-sdk/client-secrets-manager"
    );
    const output = await new SecretsManagerClient({}).send(
      new GetSecretValueCommand({ SecretId: arn }),
      options,
    );
    return output.SecretString ?? "";
  }
  const { SSMClient, GetParameterCommand } = await import("@aws-sdk/client-ssm");
  const name = ssmParameterName(arn);
  const output = await new SSMClient({}).send(
    new GetParameterCommand({ Name: name, WithDecryption: true }),
    options,
  );
  return output.Parameter?.Value ?? "";
}

/** @param arn a Secrets Manager secret ARN or an SSM parameter ARN; undefined: no secrets. */
export function clientSecretsFrom(arn: string | undefined): ClientSecretLookup {
  if (arn === undefined) return async () => undefined;
  let secrets: Promise<Record<string, string>> | undefined;
  return async (clientId) => {
    secrets ??= readSecretDocument(arn).then((text) => JSON.parse(text) as Record<string, string>);
    try {
      const secret = (await secrets)[clientId];
      return typeof secret === "string" ? secret : undefined;
    } catch (error) {
      secrets = undefined; // try again on the next request
      throw new ClientSecretUnavailableError({ cause: error });
    }
  };
}
