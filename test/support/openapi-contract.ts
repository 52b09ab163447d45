/**
 * Checks a real response against `api/openapi.yaml` (or, for the route only `npm start` serves,
 * `api/local.openapi.yaml`): its status must be documented for the operation, each header it
 * sends must be documented (and each required one sent), and its body must match the
 * documented schema, checked by Ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses).
 */
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parse } from "yaml";

// biome-ignore lint/suspicious/noExplicitAny: the documents are untyped YAML.
type Document = any;
/** Each under its file name, which the local document's `$ref`s name. */
const DOCUMENTS: Record<string, Document> = {
  "openapi.yaml": parse(readFileSync("api/openapi.yaml", "utf8")),
  "local.openapi.yaml": parse(readFileSync("api/local.openapi.yaml", "utf8")),
};
export const contract: Document = DOCUMENTS["openapi.yaml"];
export const localContract: Document = DOCUMENTS["local.openapi.yaml"];

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
for (const [id, document] of Object.entries(DOCUMENTS)) ajv.addSchema(document, id);

/** Headers any HTTP server or API Gateway adds, which no contract lists. */
const TRANSPORT_HEADERS = new Set([
  "content-type",
  "content-length",
  "date",
  "connection",
  "keep-alive",
]);

const pointer = (...parts: string[]) =>
  parts.map((part) => part.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

function validate(documentId: string, schemaPointer: string, value: unknown): string[] {
  const validator = ajv.getSchema(`${documentId}#/${schemaPointer}`);
  if (!validator) return [`no schema at ${schemaPointer}`];
  return validator(value)
    ? []
    : (validator.errors ?? []).map((error) => `${error.instancePath || "/"} ${error.message}`);
}

export interface ObservedResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Every way the response departs from the contract; none when it keeps to it. */
export function contractViolations(
  method: string,
  path: string,
  { statusCode, headers, body }: ObservedResponse,
): string[] {
  const [documentId, document] = Object.entries(DOCUMENTS).find(
    ([, each]) => each.paths?.[path]?.[method.toLowerCase()],
  ) ?? ["", undefined];
  const operation = document?.paths[path][method.toLowerCase()];
  if (!operation) return [`${method} ${path} is not in the contract`];
  const status = String(statusCode);
  const documented = operation.responses?.[status];
  if (!documented) return [`${method} ${path} answered ${status}, which is not documented`];
  const base = pointer("paths", path, method.toLowerCase(), "responses", status);
  const problems: string[] = [];

  const declared = new Map(
    Object.entries(documented.headers ?? {}).map(([name, header]) => [
      name.toLowerCase(),
      { name, header },
    ]),
  );
  const sent = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  for (const [name, value] of sent) {
    if (TRANSPORT_HEADERS.has(name)) continue;
    const entry = declared.get(name);
    if (!entry) {
      problems.push(`header ${name} is not documented for ${status}`);
      continue;
    }
    const headerPointer = (entry.header as { $ref?: string }).$ref
      ? `${(entry.header as { $ref: string }).$ref.slice(2)}/schema`
      : `${base}/headers/${pointer(entry.name)}/schema`;
    problems.push(
      ...validate(documentId, headerPointer, value).map((problem) => `header ${name}: ${problem}`),
    );
  }
  for (const [name, { header }] of declared) {
    const required = (header as { $ref?: string; required?: boolean }).$ref
      ? document.components.headers[(header as { $ref: string }).$ref.split("/").pop() as string]
          .required
      : (header as { required?: boolean }).required;
    if (required && !sent.has(name)) problems.push(`required header ${name} is missing`);
  }

  const schema = documented.content?.["application/json"]?.schema;
  if (schema) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return [...problems, "the body is not JSON"];
    }
    problems.push(
      ...validate(documentId, `${base}/content/${pointer("application/json")}/schema`, parsed).map(
        (problem) => `body ${problem}`,
      ),
    );
  }
  return problems;
}
