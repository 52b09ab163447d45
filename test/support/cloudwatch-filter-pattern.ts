/**
 * A stand-in for CloudWatch Logs' matcher of JSON filter patterns and metric dimensions, which
 * cannot run here (no AWS account, and no library implements it). It follows the documented
 * syntax ("Using filter patterns to match terms in JSON log events"): `{ SELECTOR OP VALUE }`
 * joined by `&&` and `||` with parentheses; `=` and `!=` on strings (quoted or bare, `*` a
 * wildcard) and on numbers, `<`, `>`, `<=`, `>=` on numbers; `IS TRUE`, `IS FALSE`, `IS NULL`,
 * `NOT EXISTS`. A comparison holds only for a value of its own type, as CloudWatch has it: `401`
 * does not match `"401"`. A pattern this does not read throws, so nothing is matched by accident.
 */

type Value = unknown;

const TOKEN =
  /\s*(\{|\}|\(|\)|&&|\|\||!=|<=|>=|=|<|>|IS\s+TRUE|IS\s+FALSE|IS\s+NULL|NOT\s+EXISTS|\$(?:\.[A-Za-z_][\w-]*)+|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|[^\s(){}&|=!<>"]+)/y;

function tokenize(pattern: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < pattern.length) {
    if (pattern.slice(TOKEN.lastIndex).trim() === "") break;
    const match = TOKEN.exec(pattern);
    if (!match) throw new Error(`Unreadable filter pattern at ${TOKEN.lastIndex}: ${pattern}`);
    tokens.push((match[1] as string).replace(/\s+/g, " "));
  }
  return tokens;
}

/** The value a selector names, or undefined where the line lacks it. */
export function select(line: Record<string, Value>, selector: string): Value {
  let value: Value = line;
  for (const key of selector.slice(2).split(".")) {
    if (typeof value !== "object" || value === null || !(key in value)) return undefined;
    value = (value as Record<string, Value>)[key];
  }
  return value;
}

const wildcard = (text: string) =>
  new RegExp(
    `^${text
      .split("*")
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );

function compare(value: Value, operator: string, literal: string): boolean {
  if (/^-?\d+(\.\d+)?$/.test(literal)) {
    if (typeof value !== "number") return false;
    const number = Number(literal);
    switch (operator) {
      case "=":
        return value === number;
      case "!=":
        return value !== number;
      case "<":
        return value < number;
      case ">":
        return value > number;
      case "<=":
        return value <= number;
      case ">=":
        return value >= number;
    }
    throw new Error(`Unknown operator ${operator}`);
  }
  if (operator !== "=" && operator !== "!=") throw new Error(`${operator} needs a number`);
  if (typeof value !== "string") return false;
  const text = literal.startsWith('"') ? (JSON.parse(literal) as string) : literal;
  return wildcard(text).test(value) === (operator === "=");
}

/** Whether the pattern matches the line, as a metric filter would count it. */
export function matches(pattern: string, line: Record<string, Value>): boolean {
  const tokens = tokenize(pattern);
  let at = 0;
  const next = () => tokens[at++] as string;
  const expect = (token: string) => {
    if (next() !== token) throw new Error(`Expected ${token} in ${pattern}`);
  };

  const condition = (): boolean => {
    if (tokens[at] === "(") {
      next();
      const inner = disjunction();
      expect(")");
      return inner;
    }
    const selector = next();
    if (!selector?.startsWith("$.")) throw new Error(`Expected a selector in ${pattern}`);
    const value = select(line, selector);
    const operator = next();
    switch (operator) {
      case "IS TRUE":
        return value === true;
      case "IS FALSE":
        return value === false;
      case "IS NULL":
        return value === null;
      case "NOT EXISTS":
        return value === undefined;
      default:
        return compare(value, operator, next());
    }
  };
  const conjunction = (): boolean => {
    let result = condition();
    while (tokens[at] === "&&") {
      next();
      result = condition() && result;
    }
    return result;
  };
  const disjunction = (): boolean => {
    let result = conjunction();
    while (tokens[at] === "||") {
      next();
      result = conjunction() || result;
    }
    return result;
  };

  expect("{");
  const result = disjunction();
  expect("}");
  if (at !== tokens.length) throw new Error(`Trailing text in ${pattern}`);
  return result;
}

/**
 * The dimensions a matching line publishes, or undefined where a dimension's field is missing
 * or not a plain value: CloudWatch publishes no data point for such a line.
 */
export function dimensionsOf(
  dimensions: Readonly<Record<string, string>> | undefined,
  line: Record<string, Value>,
): Record<string, string> | undefined {
  const published: Record<string, string> = {};
  for (const [name, selector] of Object.entries(dimensions ?? {})) {
    const value = select(line, selector);
    if (!["string", "number", "boolean"].includes(typeof value)) return undefined;
    published[name] = String(value);
  }
  return published;
}
