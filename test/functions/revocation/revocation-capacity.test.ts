/**
 * The logout on a real clock, as deployed: the store waits for real, against dynalite. A thief
 * holding the owner's refresh token, looping refresh → `global`, on the stage's own settings
 * (auth_time required): the owner still gets in, and the owner's `global` ends the thief. A
 * user looping `global` plus replays of every key it ever used keeps at most one logout
 * instance waiting; the others answer at once, with the 200 they are owed or a 429 that says
 * when to ask again.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_ISSUER_CLOCK_LAG_MS } from "../../../functions/config/wait-budgets.js";
import {
  batchGetInput,
  type Item,
  userRevocationOf,
} from "../../../functions/revocation/revocation-items.js";
import { userKey } from "../../../functions/revocation/revocation-table.js";
import { captureOutput } from "../../support/captured-output.js";
import { eventFor } from "../../support/logout-app.js";
import { contractViolations } from "../../support/openapi-contract.js";
import {
  type RevocationFixture,
  startRevocationFixture,
} from "../../support/revocation-fixture.js";

captureOutput();
let fixture: RevocationFixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bearer = (token: string, query = "", headers: Record<string, string> = {}) =>
  eventFor("v2", { authorization: [`Bearer ${token}`], query, headers });

/** The second a user's revocation covers up to, once its write has landed. */
async function writtenRevocation(f: RevocationFixture, sub: string): Promise<number> {
  const key = userKey({ iss: f.identity.issuer, sub }) as string;
  for (;;) {
    const answer = await f.client.send("BatchGetItem", batchGetInput(f.tableName, [key]));
    const item = (answer as { Responses: Record<string, Item[]> }).Responses[f.tableName]?.[0];
    if (item !== undefined) return userRevocationOf(item).record.revokedBefore;
    await sleep(20);
  }
}

/** A session of the user: its sign-in, and a token of it minted now (a refresh, after the first). */
function sessionOf(f: RevocationFixture, sub: string, withAuthTime: boolean) {
  const authTime = Math.floor(Date.now() / 1000);
  const id = randomUUID();
  return () =>
    f.identity.mint("valid", {
      sub,
      origin_jti: id,
      iat: Math.floor(Date.now() / 1000),
      ...(withAuthTime ? { auth_time: authTime } : {}),
    });
}

/**
 * The thief's loops (refresh, then `global`) running beside the owner, who signs in afresh and
 * is checked 150–200 ms later, `rounds` times. The owner's checks, accepted or not.
 */
async function ownerAgainstThief(f: RevocationFixture, withAuthTime: boolean, loops: number) {
  const sub = `owner-${randomUUID()}`;
  const stolen = sessionOf(f, sub, withAuthTime);
  expect(
    (await f.otherFunction(bearer(await stolen()))).statusCode,
    "the stolen session works",
  ).toBe(200);
  let stop = false;
  const thief = async () => {
    while (!stop) {
      await f.logout.invoke(bearer(await stolen(), "scope=global"));
      await sleep(20);
    }
  };
  const thieves = Array.from({ length: loops }, thief);
  await sleep(1_600);
  const owner: boolean[] = [];
  for (let round = 0; round < 3; round++) {
    const signIn = sessionOf(f, sub, withAuthTime);
    const token = await signIn();
    // Checked soon after, as the issue's owner was, and once every thief's wait has passed.
    await sleep(150 + Math.random() * 50);
    owner.push((await f.otherFunction(bearer(token))).statusCode === 200);
    await sleep(1_600);
    owner.push((await f.otherFunction(bearer(token))).statusCode === 200);
  }
  stop = true;
  await Promise.all(thieves);
  return { owner, stolen, sub };
}

describe("a refresh-token thief, on a real clock", () => {
  it("on the stages' settings (auth_time required): the owner always gets in, and the owner's global ends the thief", async () => {
    fixture = await startRevocationFixture({ realWaits: true, requireAuthTime: true });
    const { owner, stolen, sub } = await ownerAgainstThief(fixture, true, 3);
    expect(owner).toEqual(owner.map(() => true));
    // The thief's refreshed tokens keep the old session's start: the thief's own global ended
    // them, and after the owner's global so does the owner's.
    const owners = sessionOf(fixture, sub, true);
    await sleep(1_100);
    expect((await fixture.logout.invoke(bearer(await owners(), "scope=global"))).statusCode).toBe(
      200,
    );
    expect((await fixture.otherFunction(bearer(await stolen()))).statusCode).toBe(401);
  }, 30_000);

  it("without auth_time (a stage that acknowledges it), the thief keeps the owner out: the control", async () => {
    fixture = await startRevocationFixture({ realWaits: true });
    const { owner } = await ownerAgainstThief(fixture, false, 3);
    expect(owner).toContain(false);
  }, 30_000);
});

describe("a user's loop of global logouts and replays", () => {
  it("keeps at most one logout instance waiting; every other answers at once, 200 or 429", async () => {
    fixture = await startRevocationFixture({ realWaits: true, requireAuthTime: true });
    const f = fixture;
    const sub = `looper-${randomUUID()}`;
    const sent: { token: string; key: string }[] = [];
    const statuses = new Map<number, number>();
    const call = async (token: string, key: string) => {
      const response = await f.logout.invoke(
        bearer(token, "scope=global", { "Idempotency-Key": key }),
      );
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      if (response.statusCode === 429) {
        expect(Number(response.headers?.["Retry-After"])).toBeGreaterThanOrEqual(1);
      }
    };
    const calls: Promise<void>[] = [];
    for (let second = 0; second < 5; second++) {
      // A sign-in every second, its own global, and forty replays of the keys used so far.
      const token = await sessionOf(f, sub, true)();
      const key = `k${second}`;
      sent.push({ token, key });
      calls.push(call(token, key));
      for (let replay = 0; replay < 40; replay++) {
        const earlier = sent[replay % sent.length] as { token: string; key: string };
        calls.push(call(earlier.token, earlier.key));
      }
      await sleep(1_000);
    }
    await Promise.all(calls);
    // Counted where the store waits: the fixture's clock.
    expect(f.waits.most).toBe(1);
    expect([...statuses.keys()].every((status) => [200, 401, 429].includes(status))).toBe(true);
    expect(statuses.get(429) ?? 0).toBeGreaterThan(0);
  }, 30_000);
});

describe("a second logout while the user's first waits", () => {
  it("is told 429 with Retry-After in the contract's envelope, nothing done; asked again then, it is done", async () => {
    // The most lag there is: the first answers 2 s after the second it covers ends, so the second
    // logout arrives while it waits however slowly this machine runs.
    fixture = await startRevocationFixture({
      realWaits: true,
      requireAuthTime: true,
      issuerClockLagMs: MAX_ISSUER_CLOCK_LAG_MS,
    });
    const sub = `pair-${randomUUID()}`;
    const first = await sessionOf(fixture, sub, true)();
    const firstAnswer = fixture.logout.invoke(bearer(first, "scope=global"));
    // A session begun in the second after the one the first covers, before the first answers.
    const covered = await writtenRevocation(fixture, sub);
    await sleep((covered + 1) * 1000 + 100 - Date.now());
    const second = await sessionOf(fixture, sub, true)();
    const busy = await fixture.logout.invoke(
      bearer(second, "scope=global", { "Idempotency-Key": "again" }),
    );
    expect(busy.statusCode).toBe(429);
    expect(
      contractViolations("POST", "/v1/auth/logout", {
        statusCode: busy.statusCode,
        headers: (busy.headers ?? {}) as Record<string, string>,
        body: busy.body,
      }),
    ).toEqual([]);
    const body = JSON.parse(busy.body);
    expect(body.error).toMatchObject({ code: "TOO_MANY_REQUESTS", status: 429 });
    const retryAfter = Number(busy.headers?.["Retry-After"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect((await firstAnswer).statusCode).toBe(200);
    // Nothing was done: the second session is still in, and asking again logs it out.
    expect((await fixture.otherFunction(bearer(second))).statusCode).toBe(200);
    await sleep(retryAfter * 1000);
    const retry = await fixture.logout.invoke(
      bearer(second, "scope=global", { "Idempotency-Key": "again" }),
    );
    expect(retry.statusCode).toBe(200);
    expect((await fixture.otherFunction(bearer(second))).statusCode).toBe(401);
    expect(fixture.waits.most).toBe(1);
  }, 30_000);
});
