/**
 * A Cognito pool's own sign-outs and account changes, from the sample CloudTrail events of
 * `events/cognito-cloudtrail/` (what EventBridge delivers), against dynalite and cognito-local:
 * real users signed in for real, the stage's authorizer as the door. Each action ends every
 * session that began before it, and none after; an event of another pool or a failed call
 * changes nothing; one whose user cannot be found is thrown (Lambda retries it, then parks it),
 * never dropped; our own logout's sign-out reported back is not doubled. Every revocation is an
 * event out, saying who began it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizerHandlerFromEnvironment } from "../../../functions/authorizer/authorizer-handler.js";
import { UnresolvedUserError } from "../../../functions/domain/errors.js";
import { changeOf, revocationOf } from "../../../functions/events/revocation-changes.js";
import { sessionRevokedDetail } from "../../../functions/events/session-revoked.js";
import { logoutHandlerFromEnvironment } from "../../../functions/logout/logout-handler.js";
import {
  type ProviderEvent,
  providerHandlerFromEnvironment,
} from "../../../functions/provider/provider-handler.js";
import { captureOutput } from "../../support/captured-output.js";
import { type CognitoLocal, startCognitoLocal } from "../../support/cognito-local.js";
import { validSessionRevoked } from "../../support/event-schema.js";
import {
  httpApiAuthorizerEvent,
  httpApiEvent,
  LOCAL_USER_POOL_ID,
  type LocalDynamoDb,
  lambdaContext,
  startLocalDynamoDb,
  startTableStream,
  type TableStream,
} from "../../support/kit.js";

const output = captureOutput();
const TABLE = "cognito-sign-outs";
const SAMPLES = "events/cognito-cloudtrail";
const ACTIONS = [
  ["admin-user-global-sign-out", "admin"],
  ["global-sign-out", "user"],
  ["admin-disable-user", "admin"],
  ["admin-delete-user", "admin"],
  ["delete-user", "user"],
  ["change-password", "user"],
  ["admin-set-user-password", "admin"],
  ["admin-reset-user-password", "admin"],
  ["confirm-forgot-password", "user"],
] as const;

let cognito: CognitoLocal;
let dynamodb: LocalDynamoDb;
let stream: TableStream;
let environment: Record<string, string>;

beforeAll(async () => {
  [cognito, dynamodb] = await Promise.all([startCognitoLocal(), startLocalDynamoDb()]);
  await dynamodb.createRevocationTable(TABLE);
  stream = await startTableStream(dynamodb.endpoint);
  environment = {
    ...dynamodb.environment,
    AWS_ENDPOINT_URL_DYNAMODB: stream.endpoint,
    AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: cognito.endpoint,
    COGNITO_USER_POOL_ID: cognito.userPoolId,
    COGNITO_CLIENT_ID: cognito.clientId,
    JWKS: cognito.jwks,
    REVOCATION_TABLE_NAME: TABLE,
  };
}, 60_000);
afterAll(async () => {
  await Promise.all([cognito?.stop(), stream?.stop(), dynamodb?.stop()]);
});

type User = { email: string; sub: string; accessToken: string };
let prepared: User[] = [];
/** A user of the pool, signed in for real over a second ago: an event now is after it. */
const signedInUser = async () => prepared.shift() as User;

beforeAll(async () => {
  prepared = await Promise.all(
    Array.from({ length: ACTIONS.length + 5 }, async (_, index) => {
      const email = `user${index}@rinne.example`;
      await cognito.createUser(email);
      const { accessToken } = await cognito.signIn(email);
      const payload = Buffer.from(accessToken.split(".")[1] as string, "base64url").toString();
      return { email, sub: JSON.parse(payload).sub as string, accessToken };
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 1100));
}, 60_000);

/** A sample event as EventBridge delivers it now, of this pool and this user. */
function sample(name: string, { sub, username }: { sub: string; username?: string }) {
  const text = readFileSync(`${SAMPLES}/${name}.json`, "utf8")
    .replaceAll(LOCAL_USER_POOL_ID, cognito.userPoolId)
    .replaceAll('"username": "{{sub}}"', `"username": "${username ?? sub}"`)
    .replaceAll("{{sub}}", sub)
    .replaceAll("{{now}}", new Date().toISOString());
  return JSON.parse(text) as ProviderEvent;
}

const deliver = (event: ProviderEvent) =>
  providerHandlerFromEnvironment(environment)(event, lambdaContext());

async function admitted(token: string): Promise<boolean> {
  const event = httpApiAuthorizerEvent({
    method: "GET",
    path: "/core/v1/payments",
    headers: { authorization: `Bearer ${token}` },
  });
  return (await authorizerHandlerFromEnvironment(environment)(event, lambdaContext())).isAuthorized;
}

/** The revocation events the writes since the last call make, as the publisher makes them. */
function eventsOut() {
  return stream
    .take()
    .map((record) => changeOf(record))
    .flatMap((change) => (change === undefined ? [] : [revocationOf(change)]))
    .flatMap((revocation) => (revocation === undefined ? [] : [sessionRevokedDetail(revocation)]));
}

it("every action has its sample event", () => {
  const files = readdirSync(SAMPLES).map((file) => file.replace(/\.json$/, ""));
  for (const [action] of ACTIONS) expect(files).toContain(action);
});

describe.each(ACTIONS)("%s", (action, initiator) => {
  it("ends every session begun before it at every door, and no sign-in after it; one event out", async () => {
    const user = await signedInUser();
    expect(await admitted(user.accessToken)).toBe(true);
    stream.take();

    expect(await deliver(sample(action, user))).toBeUndefined();

    expect(await admitted(user.accessToken)).toBe(false);
    const later = await cognito.signIn(user.email);
    expect(await admitted(later.accessToken)).toBe(true);
    const [event, ...more] = eventsOut();
    expect(more).toEqual([]);
    expect(validSessionRevoked(event)).toBe(true);
    expect(event?.revocation).toMatchObject({ scope: "provider", sub: user.sub });
    expect(Object.values(event?.events ?? {})[0]).toMatchObject({
      initiating_entity: initiator,
      reason_admin: { en: expect.stringMatching(/^Cognito [A-Za-z]+$/) },
    });
  });
});

it("a user named only by a user name is found through the pool", async () => {
  const user = await signedInUser();
  await deliver(sample("by-username", { sub: user.sub, username: user.email }));
  expect(await admitted(user.accessToken)).toBe(false);
});

it.each([
  ["another-pool", "another user pool"],
  ["failed-call", "a failed call"],
])("%s: changes nothing", async (name, reason) => {
  const user = await signedInUser();
  stream.take();
  output.clear();
  await deliver(sample(name, user));
  expect(await admitted(user.accessToken)).toBe(true);
  expect(eventsOut()).toEqual([]);
  expect(output.lines().find((line) => line.message === "provider sign-out")).toMatchObject({
    outcome: "ignored",
    reason,
  });
});

it("an event whose user cannot be found is thrown, so Lambda retries it and then parks it", async () => {
  const user = await signedInUser();
  await expect(deliver(sample("unresolved-user", user))).rejects.toBeInstanceOf(
    UnresolvedUserError,
  );
  expect(await admitted(user.accessToken)).toBe(true);
});

it("our own global logout, reported back by CloudTrail, is not doubled", async () => {
  const user = await signedInUser();
  // cognito-local has no GlobalSignOut: the logout's own call to Cognito is left out here.
  const logout = logoutHandlerFromEnvironment(environment, { signOutUpstream: false });
  const request = httpApiEvent({
    method: "POST",
    path: "/core/v1/auth/logout",
    query: "scope=global",
    headers: { authorization: `Bearer ${user.accessToken}` },
  });
  expect((await logout(request, lambdaContext())).statusCode).toBe(200);
  stream.take();
  output.clear();
  await deliver(sample("global-sign-out", user));
  expect(eventsOut()).toEqual([]);
  expect(output.lines().find((line) => line.message === "provider sign-out")?.outcome).toBe(
    "unchanged",
  );
});
