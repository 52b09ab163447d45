/**
 * What an AWS SDK client of a function takes from the environment it was given, rather than
 * from `process.env` behind its back: the SDKs' standard endpoint override for its service (then
 * the global one), the region and the credentials Lambda sets. Where the environment holds
 * none, the SDK's own chain finds them (a profile, on a developer's machine).
 */
import type { Environment } from "./config.js";

export interface SdkClientSettings {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export function sdkClientSettings(env: Environment, endpointVariable: string): SdkClientSettings {
  const endpoint = env[endpointVariable] ?? env.AWS_ENDPOINT_URL;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  const sessionToken = env.AWS_SESSION_TOKEN;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  return {
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
      : {}),
  };
}
