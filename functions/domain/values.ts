/**
 * What a value read from outside is (a JSON body, a JWT's claims, an event, DynamoDB's answer),
 * narrowed once here rather than by a copy in each reader.
 */

/** A JSON object: not null, not an array. */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A string with something in it. */
export const nonEmptyString = (value: unknown): value is string =>
  typeof value === "string" && value !== "";
