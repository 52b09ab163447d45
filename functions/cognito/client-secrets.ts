/**
 * App client secrets for Cognito's RevokeToken, read once from AWS Secrets Manager or SSM
 * Parameter Store (a JSON object of client id → secret), on first need only. The AWS SDK
 * clients are imported then, so the cold start of a logout that needs no secret pays nothing.
 */
import type { Environment } from "../config/config.js";
import { sdkClientSettings } from "../config/sdk-client-settings.js";
import { WAIT_BUDGETS } from "../config/wait-budgets.js";
import { secretStoreOf, ssmParameterName } from "../domain/aws-identifiers.js";
import { ClientSecretUnavailableError } from "../domain/errors.js";

export type ClientSecretLookup = (clientId: string) => Promise<string | undefined>;

async function readSecretDocument(
  arn: string,
  budgetMs: number,
  env: Environment,
): Promise<string> {
  const options = { abortSignal: AbortSignal.timeout(budgetMs) };
  if (secretStoreOf(arn) === "secretsmanager") {
    const { SecretsManagerClient, GetSecretValueCommand } = await import(
      "@aws-sdk/client-secrets-manager"
    );
    const output = await new SecretsManagerClient(
      sdkClientSettings(env, "AWS_ENDPOINT_URL_SECRETS_MANAGER"),
    ).send(new GetSecretValueCommand({ SecretId: arn }), options);
    return output.SecretString ?? "";
  }
  const { SSMClient, GetParameterCommand } = await import("@aws-sdk/client-ssm");
  const name = ssmParameterName(arn);
  const output = await new SSMClient(sdkClientSettings(env, "AWS_ENDPOINT_URL_SSM")).send(
    new GetParameterCommand({ Name: name, WithDecryption: true }),
    options,
  );
  return output.Parameter?.Value ?? "";
}

/**
 * @param arn a Secrets Manager secret ARN or an SSM parameter ARN; undefined: no secrets.
 * @param budgetMs the most the one read may take, its SDK retries included.
 * @param env the function's environment: the clients' endpoint and credentials.
 */
export function clientSecretsFrom(
  arn: string | undefined,
  budgetMs = WAIT_BUDGETS.secretReadMs,
  env: Environment = {},
): ClientSecretLookup {
  if (arn === undefined) return async () => undefined;
  let secrets: Promise<Record<string, string>> | undefined;
  return async (clientId) => {
    secrets ??= readSecretDocument(arn, budgetMs, env).then(
      (text) => JSON.parse(text) as Record<string, string>,
    );
    try {
      const secret = (await secrets)[clientId];
      return typeof secret === "string" ? secret : undefined;
    } catch (error) {
      secrets = undefined; // try again on the next request
      throw new ClientSecretUnavailableError({ cause: error });
    }
  };
}
