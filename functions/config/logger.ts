/**
 * The one Powertools logger of a function. Level and service name come from the environment
 * the function was given (POWERTOOLS_LOG_LEVEL / LOG_LEVEL, POWERTOOLS_SERVICE_NAME), with the
 * names Powertools defines for them.
 *
 * Per-request work is kept small, since one line is written on every request: the Lambda
 * context is not injected per request (`apiContract` puts the request's ids and cold-start
 * flag in the line itself), and the formatter lays the line out flat instead of deep-merging
 * attribute objects, the costliest step of Powertools' default formatter.
 */
import { LogFormatter, Logger, LogItem } from "@aws-lambda-powertools/logger";
import type {
  ConstructorOptions,
  LogAttributes,
  UnformattedAttributes,
} from "@aws-lambda-powertools/logger/types";
import { SERVICE_NAMES } from "../domain/log-schema.js";
import type { Environment } from "./config.js";

export type { Logger };

export class FlatLogFormatter extends LogFormatter {
  override formatAttributes(
    attributes: UnformattedAttributes,
    additionalAttributes: LogAttributes,
  ): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        ...(attributes.xRayTraceId ? { xray_trace_id: attributes.xRayTraceId } : {}),
        ...additionalAttributes,
      },
    });
  }
}

export function createLogger(env: Environment = {}): Logger {
  const logLevel = env.POWERTOOLS_LOG_LEVEL ?? env.LOG_LEVEL;
  return new Logger({
    serviceName: env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAMES.logout,
    ...(logLevel ? { logLevel: logLevel as NonNullable<ConstructorOptions["logLevel"]> } : {}),
    logFormatter: new FlatLogFormatter(),
  });
}
