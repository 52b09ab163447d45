/**
 * IAM's evaluation of identity policies and a permissions boundary, for the statements this
 * project writes (IAM User Guide, "Policy evaluation logic"): an explicit Deny anywhere wins;
 * else the request must be allowed by an identity policy and, where a boundary is set, by the
 * boundary too. Actions match case-insensitively, resources case-sensitively, both with `*` and
 * `?`. Conditions: every operator, every key of it, any value of a key; the String, Arn, Bool and
 * Null operators, their negations and `…IfExists`. A missing key fails a positive operator and
 * passes a negated one (IAM User Guide, "Condition operators"). Not a full IAM: no NotAction,
 * NotResource, policy variables or set operators, which no policy here uses (the test checks).
 */
export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
export interface Policy {
  Statement: Statement[];
}
export interface IamRequest {
  action: string;
  resource: string;
  /** The request's context keys (`iam:PermissionsBoundary`, `aws:RequestTag/service`, …). */
  context?: Record<string, string>;
}
export type Decision = "allowed" | "explicitly denied" | "implicitly denied";

/** IAM's wildcard match: `*` any run of characters, `?` one. */
export function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split("")
    .map((character) =>
      character === "*"
        ? ".*"
        : character === "?"
          ? "."
          : character.replace(/[.+^${}()|[\]\\]/g, "\\$&"),
    )
    .join("");
  return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value);
}

const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

function conditionHolds(operator: string, key: string, values: string[], request: IamRequest) {
  const ifExists = operator.endsWith("IfExists");
  const base = ifExists ? operator.slice(0, -"IfExists".length) : operator;
  const actual = request.context?.[key];
  if (base === "Null") return values.includes(String(actual === undefined));
  if (actual === undefined) return ifExists || base.includes("Not");
  const negated = base.includes("Not");
  const kind = base.replace("Not", "");
  const match = (value: string) => {
    switch (kind) {
      case "StringEquals":
      case "ArnEquals":
        return actual === value;
      case "StringEqualsIgnoreCase":
        return actual.toLowerCase() === value.toLowerCase();
      case "StringLike":
      case "ArnLike":
        return wildcard(value, actual);
      case "Bool":
        return actual.toLowerCase() === value.toLowerCase();
      default:
        throw new Error(`the evaluator knows no condition operator ${operator}`);
    }
  };
  return negated ? !values.some(match) : values.some(match);
}

function applies(statement: Statement, request: IamRequest): boolean {
  if (!list(statement.Action).some((action) => wildcard(action, request.action, true)))
    return false;
  if (!list(statement.Resource).some((resource) => wildcard(resource, request.resource)))
    return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) =>
      conditionHolds(operator, key, list(values), request),
    ),
  );
}

function decide(policies: Policy[], request: IamRequest): Decision {
  const statements = policies.flatMap((policy) => policy.Statement);
  for (const statement of statements) {
    for (const field of ["NotAction", "NotResource", "NotPrincipal"]) {
      if (field in statement) throw new Error(`the evaluator does not read ${field}`);
    }
  }
  const matching = statements.filter((statement) => applies(statement, request));
  if (matching.some((statement) => statement.Effect === "Deny")) return "explicitly denied";
  return matching.some((statement) => statement.Effect === "Allow")
    ? "allowed"
    : "implicitly denied";
}

/** The decision for a principal with these identity policies, under a boundary where given. */
export function evaluate(identity: Policy[], request: IamRequest, boundary?: Policy): Decision {
  const byIdentity = decide(identity, request);
  if (boundary === undefined || byIdentity !== "allowed") return byIdentity;
  return decide([boundary], request);
}
