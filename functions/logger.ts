/**
 * The one Powertools logger of a function. Level and service name come from the environment
 * (LOG_LEVEL / POWERTOOLS_LOG_LEVEL, POWERTOOLS_SERVICE_NAME), as Powertools defines them.
 */
import { Logger } from "@aws-lambda-powertools/logger";

export type { Logger };

export function createLogger(): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "auth-logout" });
}
