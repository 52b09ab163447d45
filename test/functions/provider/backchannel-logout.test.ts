/**
 * The OpenID Connect back-channel logout receiver, from outside: real logout tokens signed by
 * the development identity, the deployed handler on dynalite, and the stage's authorizer as
 * the door every other route has. Each refusal of section 2.6 is a 400 that revokes nothing;
 * a valid token ends what it names at every door, and reaches no later sign-in.
 */
import { createServer } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizerHandlerFromEnvironment } from "../../../functions/authorizer/authorizer-handler.js";
import { changeOf, revocationOf } from "../../../functions/events/revocation-changes.js";
import { sessionRevokedDetail } from "../../../functions/events/session-revoked.js";
import { MAX_BACKCHANNEL_BODY_BYTES } from "../../../functions/http/backchannel-request.js";
import { providerHandlerFromEnvironment } from "../../../functions/provider/provider-handler.js";
import { captureOutput } from "../../support/captured-output.js";
import { validSessionRevoked } from "../../support/event-schema.js";
import {
  createLocalIdentity,
  httpApiAuthorizerEvent,
  httpApiEvent,
  LOGOUT_TOKEN_KINDS,
  type LocalDynamoDb,
  type LogoutTokenKind,
  lambdaContext,
  startLocalDynamoDb,
  startTableStream,
} from "../../support/kit.js";
import { contractViolations } from "../../support/openapi-contract.js";

const output = captureOutput();
const TABLE = "backchannel-revocations";
const identity = await createLocalIdentity();
const stranger = await createLocalIdentity();
let dynamodb: LocalDynamoDb;
let environment: Record<string, string>;

beforeAll(async () => {
  dynamodb = await startLocalDynamoDb();
  await dynamodb.createRevocationTable(TABLE);
  environment = { ...dynamodb.environment, ...identity.environment, REVOCATION_TABLE_NAME: TABLE };
});
afterAll(() => dynamodb.stop());

const receiver = () => providerHandlerFromEnvironment(environment);
const authorizer = () => authorizerHandlerFromEnvironment(environment);

function backchannelRequest(body: string, contentType = "application/x-www-form-urlencoded") {
  return httpApiEvent({
    method: "POST",
    path: "/core/v1/auth/backchannel-logout",
    headers: { "content-type": contentType },
    body,
  });
}
const form = (token: string) => `logout_token=${encodeURIComponent(token)}`;

/** Every answer is one `api/openapi.yaml` documents for the route. */
function documented(response: {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}) {
  expect(contractViolations("POST", "/v1/auth/backchannel-logout", response)).toEqual([]);
  return response;
}

async function post(body: string, contentType?: string) {
  const response = await receiver()(backchannelRequest(body, contentType), lambdaContext());
  if (response === undefined) throw new Error("no answer");
  return documented(response);
}

/** Whether the stage's authorizer lets the token through: the door every other route has. */
async function admitted(token: string): Promise<boolean> {
  const event = httpApiAuthorizerEvent({
    method: "GET",
    path: "/core/v1/payments",
    headers: { authorization: `Bearer ${token}` },
  });
  return (await authorizer()(event, lambdaContext())).isAuthorized;
}

const now = () => Math.floor(Date.now() / 1000);
const fresh = () => `u-${crypto.randomUUID()}`;

describe("a valid logout token", () => {
  it("by sid and sub: 200, no-store; every token of that session is refused, others are not", async () => {
    const [sub, sid] = [fresh(), fresh()];
    const session = await identity.mint("valid", { sub, sid, auth_time: now() - 60 });
    const refreshed = await identity.mint("valid", { sub, sid, auth_time: now() - 60 });
    const otherSession = await identity.mint("valid", { sub, sid: fresh(), auth_time: now() - 60 });
    expect(await admitted(session)).toBe(true);

    const response = await post(form(await identity.mintLogout("valid", { sub, sid })));
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ "Cache-Control": "no-store" });
    expect(response.body).toBe("");
    expect([await admitted(session), await admitted(refreshed)]).toEqual([false, false]);
    expect(await admitted(otherSession)).toBe(true);
  });

  it("by sid alone: every token of the session is refused, whether it names its user or not", async () => {
    const [sub, sid] = [fresh(), fresh()];
    const withUser = await identity.mint("valid", { sub, sid, auth_time: now() - 60 });
    const { sub: _none, ...noUser } = { sub, sid, auth_time: now() - 60 };
    const withoutUser = await identity.mint("valid", { ...noUser, sub: undefined });
    const logout = await identity.mintLogout("valid", { sid, sub: undefined });
    expect((await post(form(logout))).statusCode).toBe(200);
    expect([await admitted(withUser), await admitted(withoutUser)]).toEqual([false, false]);
  });

  it("by sub alone: every session that began before its second ends; none of its second or later", async () => {
    const sub = fresh();
    const iat = now() - 10;
    const before = await identity.mint("valid", { sub, sid: fresh(), auth_time: iat - 1 });
    const sameSecond = await identity.mint("valid", { sub, sid: fresh(), auth_time: iat });
    const later = await identity.mint("valid", { sub, sid: fresh(), auth_time: iat + 5 });
    const logout = await identity.mintLogout("valid", { sub, iat });
    expect((await post(form(logout))).statusCode).toBe(200);
    expect(await admitted(before)).toBe(false);
    // A sign-in right after the logout shares its second: it is never reached.
    expect([await admitted(sameSecond), await admitted(later)]).toEqual([true, true]);
  });

  it.each<[string, LogoutTokenKind, Record<string, unknown>, boolean]>([
    // Keycloak's: typed JWT, no exp, its own typ claim, an event member with content.
    [
      "typed JWT, no exp, extra members",
      "jwt-typ",
      {
        exp: undefined,
        typ: "Logout",
        events: {
          "http://schemas.openid.net/event/backchannel-logout": { revoke_offline_access: true },
        },
      },
      false,
    ],
    ["an aud among several", "valid", { aud: ["another-client", "rinne-web-local"] }, false],
    ["sent base64-encoded by API Gateway", "valid", {}, true],
  ])("as issuers send it: %s", async (_, kind, claims, base64) => {
    const [sub, sid] = [fresh(), fresh()];
    const session = await identity.mint("valid", { sub, sid, auth_time: now() - 60 });
    const logout = await identity.mintLogout(kind, { sub, sid, ...claims });
    const event = backchannelRequest(
      base64 ? Buffer.from(form(logout)).toString("base64") : form(logout),
    );
    const answer = await receiver()({ ...event, isBase64Encoded: base64 }, lambdaContext());
    expect(answer?.statusCode).toBe(200);
    expect(await admitted(session)).toBe(false);
  });

  it("said again changes nothing: 200 each time, recorded once", async () => {
    const [sub, sid] = [fresh(), fresh()];
    const logout = await identity.mintLogout("valid", { sub, sid });
    output.clear();
    const answers = [await post(form(logout)), await post(form(logout))];
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200]);
    const outcomes = output
      .lines()
      .filter((line) => line.message === "back-channel logout")
      .map((line) => line.outcome);
    expect(outcomes).toEqual(["recorded", "unchanged"]);
  });
});

describe("every refusal of section 2.6 is a 400 that revokes nothing", () => {
  const reasons: Record<Exclude<LogoutTokenKind, "valid" | "jwt-typ">, string> = {
    "wrong-issuer": "Invalid token issuer",
    "wrong-audience": "Invalid token audience",
    "bad-signature": "Invalid token signature",
    expired: "Token expired",
    stale: "Logout token too old",
    future: "Token issued in the future",
    "no-event": "Not a logout token: no back-channel logout event",
    "with-nonce": "Logout token has a nonce",
    "no-sub-or-sid": "Logout token names neither sub nor sid",
    "no-jti": "Logout token has no jti",
    "access-token-typ": "Not a logout token: its typ is another kind's",
  };
  const refused = LOGOUT_TOKEN_KINDS.filter((kind) => kind !== "valid" && kind !== "jwt-typ");

  it.each(refused)("%s", async (kind) => {
    const [sub, sid] = [fresh(), fresh()];
    const session = await identity.mint("valid", { sub, sid, auth_time: now() - 60 });
    const response = await post(form(await identity.mintLogout(kind, { sub, sid })));
    expect(response.statusCode).toBe(400);
    expect(response.headers["Cache-Control"]).toBe("no-store");
    expect(JSON.parse(response.body)).toEqual({
      error: "invalid_request",
      error_description: reasons[kind as keyof typeof reasons],
    });
    expect(await admitted(session)).toBe(true);
  });

  it("a logout token of another issuer's key", async () => {
    const sub = fresh();
    const session = await identity.mint("valid", { sub, auth_time: now() - 60 });
    const response = await post(form(await stranger.mintLogout("valid", { sub })));
    expect(response.statusCode).toBe(400);
    expect(await admitted(session)).toBe(true);
  });

  it("an access token posted as a logout token", async () => {
    const sub = fresh();
    const access = await identity.mint("valid", { sub, auth_time: now() - 60 });
    const response = await post(form(access));
    expect(response.statusCode).toBe(400);
    expect(await admitted(access)).toBe(true);
  });

  it("and a logout token is never let through as an access token", async () => {
    // An audience the API accepts too: only what the token is tells them apart.
    const logout = await identity.mintLogout("valid", { aud: identity.audience, sub: fresh() });
    expect(await admitted(logout)).toBe(false);
  });

  // Each around a valid logout token, so that only the body's own fault can refuse it.
  const ONE = 'The body must hold one "logout_token"';
  const FORM = "The body must be application/x-www-form-urlencoded";
  const LARGE = `The body is larger than ${MAX_BACKCHANNEL_BODY_BYTES} bytes`;
  it.each<[string, (token: string) => string, string | undefined, boolean, string]>([
    ["no logout_token", (token) => `token=${token}`, undefined, false, ONE],
    ["two logout_tokens", (token) => `${form(token)}&${form(token)}`, undefined, false, ONE],
    ["an empty logout_token", () => "logout_token=", undefined, false, ONE],
    ["no body", () => "", undefined, false, ONE],
    ["the form as JSON's type", (token) => form(token), "application/json", false, FORM],
    ["no content type", (token) => form(token), "", false, FORM],
    [
      "a body past the bound",
      (token) => `${form(token)}&pad=${"a".repeat(MAX_BACKCHANNEL_BODY_BYTES)}`,
      undefined,
      false,
      LARGE,
    ],
    [
      "a base64 body past the bound",
      (token) =>
        Buffer.from(`${form(token)}&pad=${"a".repeat(MAX_BACKCHANNEL_BODY_BYTES)}`).toString(
          "base64",
        ),
      undefined,
      true,
      LARGE,
    ],
    [
      "a token that is no JWT",
      () => "logout_token=not-a-token",
      undefined,
      false,
      "Malformed token",
    ],
  ])("%s", async (_, body, contentType, base64, description) => {
    const [sub, sid] = [fresh(), fresh()];
    const session = await identity.mint("valid", { sub, sid, auth_time: now() - 60 });
    const token = await identity.mintLogout("valid", { sub, sid });
    const event = backchannelRequest(body(token), contentType);
    if (contentType === "") delete event.headers["content-type"];
    const response = documented(
      (await receiver()({ ...event, isBase64Encoded: base64 }, lambdaContext())) as never,
    );
    expect(response.statusCode).toBe(400);
    expect(response.headers["Content-Type"]).toBe("application/json");
    expect(JSON.parse(response.body)).toEqual({
      error: "invalid_request",
      error_description: description,
    });
    expect(await admitted(session)).toBe(true);
  });

  it("a body just within the bound is read", async () => {
    const [sub, sid] = [fresh(), fresh()];
    const token = await identity.mintLogout("valid", { sub, sid });
    const padding = MAX_BACKCHANNEL_BODY_BYTES - form(token).length - "&pad=".length;
    expect((await post(`${form(token)}&pad=${"a".repeat(padding)}`)).statusCode).toBe(200);
  });
});

it("each is an event out: the session, its user where the token names one, begun by the issuer", async () => {
  const stream = await startTableStream(dynamodb.endpoint);
  try {
    const through = providerHandlerFromEnvironment({
      ...environment,
      AWS_ENDPOINT_URL_DYNAMODB: stream.endpoint,
    });
    const eventsOf = async (claims: Record<string, unknown>) => {
      const logout = await identity.mintLogout("valid", claims);
      await through(backchannelRequest(form(logout)), lambdaContext());
      return stream.take().flatMap((record) => {
        const change = changeOf(record);
        const revocation = change && revocationOf(change);
        return revocation ? [sessionRevokedDetail(revocation)] : [];
      });
    };
    const [sub, sid, lone] = [fresh(), fresh(), fresh()];
    const [named] = await eventsOf({ sub, sid });
    const [alone] = await eventsOf({ sub: undefined, sid: lone });
    const iat = now() - 3;
    const [user] = await eventsOf({ sub, iat });
    for (const detail of [named, alone, user]) expect(validSessionRevoked(detail)).toBe(true);
    expect(named?.revocation).toMatchObject({ scope: "provider", sub, session: sid });
    expect(alone?.revocation).toEqual(
      expect.objectContaining({ scope: "provider", session: lone }),
    );
    expect(alone?.revocation.sub).toBeUndefined();
    expect(user?.revocation).toMatchObject({ scope: "provider", sub, revoked_before: iat - 1 });
    for (const detail of [named, alone, user]) {
      expect(Object.values(detail?.events ?? {})[0]).toMatchObject({
        initiating_entity: "system",
        reason_admin: { en: "OpenID Connect back-channel logout" },
      });
    }
  } finally {
    await stream.stop();
  }
});

it("the store down: 503 with Retry-After, nothing recorded; the issuer's retry then records it", async () => {
  // A port nothing listens on.
  const closed = await new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
  const down = providerHandlerFromEnvironment(
    { ...environment, AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${closed}` },
    { waits: { dynamoDb: { attempts: 1, attemptMs: 200, baseDelayMs: 1 } } as never },
  );
  const [sub, sid] = [fresh(), fresh()];
  const session = await identity.mint("valid", { sub, sid, auth_time: now() - 60 });
  const logout = await identity.mintLogout("valid", { sub, sid });
  const response = await down(backchannelRequest(form(logout)), lambdaContext());
  if (response === undefined) throw new Error("no answer");
  documented(response);
  expect(response?.statusCode).toBe(503);
  expect(response?.headers["Retry-After"]).toBe("1");
  expect(JSON.parse(response?.body ?? "")).toEqual({
    error: "temporarily_unavailable",
    error_description: "The logout could not be recorded",
  });
  expect(await admitted(session)).toBe(true);
  expect((await post(form(logout))).statusCode).toBe(200);
  expect(await admitted(session)).toBe(false);
});

it("a table that is not there: 500 server_error, said in the log, nothing recorded", async () => {
  const misconfigured = providerHandlerFromEnvironment({
    ...environment,
    REVOCATION_TABLE_NAME: "no-such-table",
  });
  output.clear();
  const logout = await identity.mintLogout("valid", { sub: fresh(), sid: fresh() });
  const response = await misconfigured(backchannelRequest(form(logout)), lambdaContext());
  if (response === undefined) throw new Error("no answer");
  documented(response);
  expect(response.statusCode).toBe(500);
  expect(JSON.parse(response.body)).toEqual({
    error: "server_error",
    error_description: "The logout could not be recorded",
  });
  const [line] = output.lines().filter((each) => each.message === "back-channel logout");
  expect(line).toMatchObject({ status: 500, level: "ERROR" });
  expect(line?.reason).not.toBe("Unexpected error");
});

it("any body, near a valid one or not: a 400 in OAuth's error object, never a 200 or a 5xx", async () => {
  const [sub, sid] = [fresh(), fresh()];
  const valid = await identity.mintLogout("valid", { sub, sid });
  const session = await identity.mint("valid", { sub, sid, auth_time: now() - 60 });
  const jwtPart = fc.base64String({ maxLength: 40 }).map((part) => part.replace(/=+$/, ""));
  // Mangled real logout tokens, JWT-shaped garbage, and arbitrary form bodies.
  const token = fc.oneof(
    fc.string({ maxLength: 120 }),
    fc.tuple(jwtPart, jwtPart, jwtPart).map((parts) => parts.join(".")),
    fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([at, insert]) => {
      const position = at % valid.length;
      return `${valid.slice(0, position)}${insert}${valid.slice(position + 1)}`;
    }),
  );
  const body = fc.oneof(
    token.map((each) => form(each)),
    fc.tuple(token, token).map(([a, b]) => `${form(a)}&logout_token=${encodeURIComponent(b)}`),
    fc.string({ maxLength: 200 }),
  );
  const contentType = fc.constantFrom(
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=UTF-8",
    "application/json",
    "text/plain",
  );
  await fc.assert(
    fc.asyncProperty(body, contentType, fc.boolean(), async (text, type, base64) => {
      fc.pre(!text.includes(encodeURIComponent(valid)));
      const event = backchannelRequest(base64 ? Buffer.from(text).toString("base64") : text, type);
      const response = await receiver()({ ...event, isBase64Encoded: base64 }, lambdaContext());
      expect(response?.statusCode).toBe(400);
      expect(JSON.parse(response?.body ?? "").error).toBe("invalid_request");
    }),
    { numRuns: 200 },
  );
  expect(await admitted(session)).toBe(true);
});

it("logs one line per request, never the token", async () => {
  output.clear();
  const logout = await identity.mintLogout("valid", { sub: fresh(), sid: fresh() });
  await post(form(logout));
  await post(form(await identity.mintLogout("with-nonce")));
  const lines = output.lines().filter((line) => line.message === "back-channel logout");
  expect(lines.map((line) => line.status)).toEqual([200, 400]);
  const [, payload, signature] = logout.split(".");
  for (const part of [payload, signature]) expect(output.text()).not.toContain(part?.slice(0, 20));
});
