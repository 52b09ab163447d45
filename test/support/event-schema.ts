/** The published schema of the revocation events (`api/session-revoked.schema.json`), compiled. */
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";

const schema = JSON.parse(
  readFileSync(new URL("../../api/session-revoked.schema.json", import.meta.url), "utf8"),
);
const ajv = new Ajv2020({ allErrors: true, strict: true });
const validate = ajv.compile(schema);

export function validSessionRevoked(detail: unknown): boolean {
  const valid = validate(detail);
  if (!valid) console.error(JSON.stringify(validate.errors));
  return valid;
}
