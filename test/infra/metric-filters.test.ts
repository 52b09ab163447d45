/**
 * Real log lines of the logout and the authorizer (allowed, denied, revoked, refused, 503,
 * undecided, cold start), each run through every metric filter of its log group: a renamed
 * field or value cannot silently empty a dashboard or an alarm. The matcher is a stand-in for
 * CloudWatch's (see its header); the lines and the patterns are the real ones.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REVOKED_REASON, SERVICE_NAMES } from "../../functions/domain/log-schema.js";
import { LOG_METRICS } from "../../infra/monitoring.js";
import { captureOutput } from "../support/captured-output.js";
import { dimensionsOf, matches } from "../support/cloudwatch-filter-pattern.js";
import { httpApiAuthorizerEvent, lambdaContext } from "../support/kit.js";
import { eventFor } from "../support/logout-app.js";
import { type RevocationFixture, startRevocationFixture } from "../support/revocation-fixture.js";

const output = captureOutput();
let fixture: RevocationFixture;

beforeAll(async () => {
  fixture = await startRevocationFixture({ attemptTimeoutMs: 300 });
});
afterAll(async () => {
  await fixture.stop();
});

type Published = [string, Record<string, string>];

/** What each metric filter of the function publishes for its one line of this request. */
async function published(
  kind: "logout" | "authorizer",
  request: () => Promise<unknown>,
): Promise<Published[]> {
  output.clear();
  await request().catch(() => undefined);
  const lines = output
    .lines()
    .filter((line) => (kind === "logout" ? "status" in line : "decision" in line));
  expect(lines).toHaveLength(1);
  const line = lines[0] as Record<string, unknown>;
  return LOG_METRICS[kind].flatMap(([name, pattern, dimensions]): Published[] => {
    if (!matches(pattern, line)) return [];
    const values = dimensionsOf(dimensions, line);
    // A matching line without a dimension's field publishes nothing: that is a bug here.
    expect(values, `${name}: a dimension is missing from ${JSON.stringify(line)}`).toBeDefined();
    return [[name, values as Record<string, string>]];
  });
}

const logout =
  (token: string, query = "", headers: Record<string, string> = {}) =>
  () =>
    fixture.logout.invoke(eventFor("v2", { authorization: [`Bearer ${token}`], query, headers }));
const authorize = (headers: Record<string, string>) => () =>
  fixture.authorizer(
    httpApiAuthorizerEvent({ method: "GET", path: "/core/v1/example/protected", headers }),
    lambdaContext(),
  );
const service = { Service: SERVICE_NAMES.logout };

describe("the logout's log lines, through its metric filters", () => {
  it("a first, cold, local logout: a logout by scope and a cold start", async () => {
    expect(await published("logout", logout(await fixture.identity.mint("valid")))).toEqual([
      ["Logouts", { Scope: "local" }],
      ["ColdStarts", service],
    ]);
  });

  it.each(["global", "others"])("a %s logout: a logout by scope", async (scope) => {
    const began = Math.floor(Date.now() / 1000) - 1;
    const token = await fixture.identity.mint("valid", {
      sub: `user-${scope}`,
      iat: began,
      auth_time: began,
    });
    expect(await published("logout", logout(token, `scope=${scope}`))).toEqual([
      ["Logouts", { Scope: scope }],
    ]);
  });

  it("a replay counts no second logout", async () => {
    const token = await fixture.identity.mint("valid", { sub: "replayer" });
    const request = logout(token, "", { "Idempotency-Key": "k-1" });
    await published("logout", request);
    expect(await published("logout", request)).toEqual([]);
  });

  it("a revoked token: a refusal by reason, and a revoked-token refusal", async () => {
    const token = await fixture.identity.mint("valid", { sub: "revoked" });
    await published("logout", logout(token));
    expect(await published("logout", logout(token))).toEqual([
      ["Refusals", { Reason: REVOKED_REASON }],
      ["RevokedTokenRefusals", {}],
    ]);
  });

  it("an expired token: a refusal by reason only", async () => {
    expect(await published("logout", logout(await fixture.identity.mint("expired")))).toEqual([
      ["Refusals", { Reason: "Token expired" }],
    ]);
  });

  it("a bad request (400) is no refusal of a token", async () => {
    const token = await fixture.identity.mint("valid");
    expect(await published("logout", logout(token, "scope=everywhere"))).toEqual([]);
  });

  it("the store down: a 503", async () => {
    fixture.proxy.throttle("PutItem", 3);
    const token = await fixture.identity.mint("valid");
    expect(await published("logout", logout(token))).toEqual([["ServiceUnavailable", {}]]);
  });
});

describe("the authorizer's log lines, through its metric filters", () => {
  it("a first, cold, allow: a decision and a cold start", async () => {
    const token = await fixture.identity.mint("valid", { sub: "allowed" });
    expect(await published("authorizer", authorize({ Authorization: `Bearer ${token}` }))).toEqual([
      ["AuthorizerDecisions", { Decision: "allow" }],
      ["ColdStarts", service],
    ]);
  });

  it("a revoked token: a denial by reason, and a revoked-token denial", async () => {
    const token = await fixture.identity.mint("valid", { sub: "denied" });
    await fixture.logout.invoke(eventFor("v2", { authorization: [`Bearer ${token}`] }));
    expect(await published("authorizer", authorize({ Authorization: `Bearer ${token}` }))).toEqual([
      ["AuthorizerDecisions", { Decision: "deny" }],
      ["AuthorizerDenials", { Reason: REVOKED_REASON }],
      ["AuthorizerRevokedTokenDenials", {}],
    ]);
  });

  it("no token: a denial by its reason", async () => {
    expect(await published("authorizer", authorize({}))).toEqual([
      ["AuthorizerDecisions", { Decision: "deny" }],
      ["AuthorizerDenials", { Reason: "Missing Authorization header" }],
    ]);
  });

  it("the store down: an undecided decision (the alarm is on the function's errors)", async () => {
    fixture.proxy.throttle("BatchGetItem", 3);
    const token = await fixture.identity.mint("valid", { sub: "undecided" });
    expect(await published("authorizer", authorize({ Authorization: `Bearer ${token}` }))).toEqual([
      ["AuthorizerDecisions", { Decision: "error" }],
    ]);
  });
});

describe("the stand-in matcher (control)", () => {
  it.each([
    ["{ $.status = 401 }", { status: "401" }, false],
    ["{ $.status = 401 }", { status: 401 }, true],
    ['{ $.a = "x*" }', { a: "xyz" }, true],
    ["{ $.a = * }", {}, false],
    ["{ $.a IS TRUE }", { a: "true" }, false],
    ['{ $.a = "x" && $.b = "y" }', { a: "x", b: "z" }, false],
    ['{ ($.a = "x" || $.b = "y") && $.c NOT EXISTS }', { b: "y" }, true],
    ["{ $.n >= 500 }", { n: 503 }, true],
  ])("%s on %j: %s", (pattern, line, expected) => {
    expect(matches(pattern, line)).toBe(expected);
  });

  it("throws on a pattern it cannot read, rather than match nothing", () => {
    expect(() => matches("{ $.a ~ 1 }", { a: 1 })).toThrow();
  });
});
