/**
 * The one Powertools logger of a function. Level and service name come from the environment
 * (LOG_LEVEL / POWERTOOLS_LOG_LEVEL, POWERTOOLS_SERVICE_NAME), as Powertools defines them.
 *
 * Per-request work is kept small, since one line is written on every request: the Lambda
 * context is not injected per request (`apiContract` puts the request's ids and cold-start
 * flag in the line itself), and the formatter lays the line out flat instead of deep-merging
 * attribute objects, the costliest step of Powertools' default formatter.
 */
import { LogFormatter, Logger, LogItem } from "@aws-lambda-powertools/logger";
import type { LogAttributes, UnformattedAttributes } from "@aws-lambda-powertools/logger/types";
import { SERVICE_NAMES } from "../domain/log-schema.js";

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

export function createLogger(): Logger {
  return new Logger({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAMES.logout,
    logFormatter: new FlatLogFormatter(),
  });
}
