/**
 * The embedded default the function runs on locally: the local development identity, set into
 * `process.env` as the function's configuration unless the caller configured one already.
 */
import { createLocalIdentity, type LocalIdentity } from "./local-identity.js";

export interface LocalEnvironment {
  identity: LocalIdentity;
  stop(): Promise<void>;
}

export async function startLocalEnvironment(): Promise<LocalEnvironment> {
  const identity = await createLocalIdentity();
  Object.assign(process.env, {
    ...identity.environment,
    POWERTOOLS_SERVICE_NAME: process.env.POWERTOOLS_SERVICE_NAME ?? "auth-logout-local",
  });
  return { identity, stop: async () => undefined };
}
