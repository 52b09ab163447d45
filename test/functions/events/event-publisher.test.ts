/**
 * The publisher's batch rules, pure: no table, no bus, in milliseconds. That it publishes every
 * revocation, how it splits and retries what the bus refuses, and which record it reports. The end-to-end suite runs the same code against dynalite and the bus stand-in.
 */
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { DynamoDBRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { createEventPublisher, type EventBus } from "../../../functions/events/event-publisher.js";
import { eventBridgeBus } from "../../../functions/events/eventbridge-bus.js";
import { UnnamedRevocationError } from "../../../functions/events/session-revoked.js";
import {
  type RevocationNotice,
  sessionItem,
  userItem,
} from "../../../functions/revocation/revocation-items.js";

const NOW = 1_800_000_000;
const ISS = "https://issuer.example";

const insert = (item: object, sequence: number): DynamoDBRecord => ({
  eventName: "INSERT",
  dynamodb: { NewImage: item as never, SequenceNumber: String(sequence) },
});
/** A local logout's record; a field given as undefined is left out of its notice. */
const local = (
  sequence: number,
  changes: { [Field in keyof RevocationNotice]?: RevocationNotice[Field] | undefined } = {},
) => {
  const notice = {
    scope: "local",
    iss: ISS,
    sub: "alice",
    session: `s${sequence}`,
    at: NOW * 1000,
    ...changes,
  } as RevocationNotice;
  for (const [field, value] of Object.entries(notice)) {
    if (value === undefined) delete notice[field as keyof RevocationNotice];
  }
  return insert(
    sessionItem(`session#v2#s${sequence}`, { expiresAt: NOW + 600, revokedBy: "w" }, notice),
    sequence,
  );
};
const global = (sequence: number, sub = "bob") =>
  insert(
    userItem(`user#v2#${sub}`, { revokedBefore: NOW, expiresAt: NOW + 600, logouts: [] }, 1, {
      scope: "global",
      iss: ISS,
      sub,
      at: NOW * 1000 + sequence,
    }),
    sequence,
  );

/** A bus that takes what `accept` says, and records each call's size. */
function recordingBus(
  accept: (call: number, index: number) => string | undefined = () => undefined,
) {
  const calls: number[] = [];
  const bus: EventBus = {
    async put(details) {
      calls.push(details.length);
      return details.map((_, index) => accept(calls.length, index));
    },
  };
  return { bus, calls };
}
const fast = { attempts: 3, baseDelayMs: 1 };

describe("every revocation that took effect, named", () => {
  it("publishes a session's logout whatever the user's revocations: a later token of it may come", async () => {
    const { bus } = recordingBus();
    const publish = createEventPublisher({ bus, retries: fast });
    const result = await publish([global(1, "alice"), local(2), local(3, { sub: undefined })]);
    expect(result).toMatchObject({ published: 3, batchItemFailures: [] });
  });

  it("reports a record whose notice names nothing a receiver holds, and what follows it", async () => {
    const { bus, calls } = recordingBus();
    const publish = createEventPublisher({ bus, retries: fast });
    const unnamed = local(2, { session: undefined });
    const withoutUser = insert(
      userItem("user#v2#x", { revokedBefore: NOW, expiresAt: NOW + 600, logouts: [] }, 1, {
        scope: "operator",
        iss: ISS,
        at: NOW * 1000,
      }),
      5,
    );
    for (const [records, failed] of [
      [[local(1), unnamed, local(3)], "2"],
      [[local(4), withoutUser], "5"],
    ] as const) {
      const result = await publish(records);
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: failed }]);
      expect(result.failures).toEqual({ UnnamedRevocationError: 1 });
      expect(new UnnamedRevocationError().message).toMatch(/names nothing a receiver holds/);
      expect(result.published).toBe(1);
    }
    expect(calls).toEqual([1, 1]);
  });
});

describe("what it puts, and what it reports", () => {
  it("backs off only between tries, and only while something is refused: up to base × 2^n", async () => {
    const waits: number[] = [];
    const retries = {
      attempts: 4,
      baseDelayMs: 100,
      sleep: async (ms: number) => {
        waits.push(ms);
      },
    };
    // Refused twice, then taken: two backoffs, before tries 2 and 3; none after.
    const { bus } = recordingBus((call) => (call <= 2 ? "ThrottlingException" : undefined));
    const result = await createEventPublisher({ bus, retries })([global(1, "a")]);
    expect(result.published).toBe(1);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(0);
    expect(waits[0]).toBeLessThan(200);
    expect(waits[1]).toBeLessThan(400);
    // Taken at once: no wait at all; refused for good: a wait before each try but the first.
    waits.length = 0;
    await createEventPublisher({ bus: recordingBus().bus, retries })([global(2, "b")]);
    expect(waits).toEqual([]);
    const refused = recordingBus(() => "InternalFailure");
    await createEventPublisher({ bus: refused.bus, retries })([global(3, "c")]);
    expect(waits).toHaveLength(3);
    expect(refused.calls).toEqual([1, 1, 1, 1]);
    // Spread over its range, not pinned to its edges (full jitter), growing with n.
    const many: number[][] = [];
    for (let run = 0; run < 40; run++) {
      waits.length = 0;
      await createEventPublisher({ bus: recordingBus(() => "X").bus, retries })([global(4, "d")]);
      many.push([...waits]);
    }
    const largest = (n: number) => Math.max(...many.map((each) => each[n] as number));
    expect(largest(0)).toBeGreaterThan(100);
    expect(largest(2)).toBeGreaterThan(400);
    expect(largest(2)).toBeLessThan(800);
  });

  it("puts at most ten entries a call, every entry once", async () => {
    const { bus, calls } = recordingBus();
    const publish = createEventPublisher({ bus, retries: fast });
    const records = (count: number) =>
      Array.from({ length: count }, (_, i) => global(i + 1, `user-${i}`));
    expect(await publish(records(25))).toMatchObject({ published: 25, batchItemFailures: [] });
    expect(calls).toEqual([10, 10, 5]);
    calls.length = 0;
    await publish(records(20));
    expect(calls).toEqual([10, 10]);
  });

  it("tries a refused entry again, as often as it may, and no more", async () => {
    // The second entry is refused on every call but the last try.
    const { bus, calls } = recordingBus((call, index) =>
      call < 3 && (call > 1 || index === 1) ? "ThrottlingException" : undefined,
    );
    const publish = createEventPublisher({ bus, retries: fast });
    expect(await publish([global(1, "a"), global(2, "b")])).toMatchObject({
      published: 2,
      batchItemFailures: [],
    });
    expect(calls).toEqual([2, 1, 1]);

    const always = recordingBus(() => "InternalFailure");
    const failing = createEventPublisher({ bus: always.bus, retries: fast });
    expect(await failing([global(1, "a")])).toEqual({
      batchItemFailures: [{ itemIdentifier: "1" }],
      records: 1,
      published: 0,
      failures: { InternalFailure: 1 },
    });
    expect(always.calls).toEqual([1, 1, 1]);
  });

  it("counts a call that failed whole as every entry of it refused, never as put", async () => {
    const bus: EventBus = {
      async put() {
        throw Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
      },
    };
    const publish = createEventPublisher({ bus, retries: fast });
    expect(await publish([local(1), local(2)])).toMatchObject({
      published: 0,
      failures: { TimeoutError: 2 },
      batchItemFailures: [{ itemIdentifier: "1" }],
    });
  });

  it("with no try at all, nothing is put and nothing reported done", async () => {
    const { bus, calls } = recordingBus();
    const publish = createEventPublisher({
      bus,
      retries: { attempts: 0, baseDelayMs: 1 },
    });
    expect(await publish([local(1)])).toMatchObject({
      published: 0,
      failures: { NotTried: 1 },
      batchItemFailures: [{ itemIdentifier: "1" }],
    });
    expect(calls).toEqual([]);
  });

  it("reports the earliest record whose event the bus never took", async () => {
    const { bus } = recordingBus((_, index) => (index === 2 ? "InternalFailure" : undefined));
    const publish = createEventPublisher({
      bus,
      retries: { attempts: 1, baseDelayMs: 1 },
    });
    const records = [global(1, "a"), global(2, "b"), global(3, "c"), global(4, "d")];
    expect((await publish(records)).batchItemFailures).toEqual([{ itemIdentifier: "3" }]);
  });
});

describe("the EventBridge adapter", () => {
  const detail = (at: number) => ({ revocation: { recorded_at: at } }) as never;
  const busAnswering = (answer: unknown) =>
    eventBridgeBus({ send: async () => answer } as unknown as EventBridgeClient, "bus");

  it("reads each entry's result: put, or its error code", async () => {
    const bus = busAnswering({
      FailedEntryCount: 1,
      Entries: [{ EventId: "e-1" }, { ErrorCode: "ThrottlingException" }],
    });
    expect(await bus.put([detail(1), detail(2)])).toEqual([undefined, "ThrottlingException"]);
  });

  it("takes an answer that does not name each entry as none put", async () => {
    expect(
      await busAnswering({ Entries: [{ EventId: "e-1" }] }).put([detail(1), detail(2)]),
    ).toEqual(["UnreadableAnswer", "UnreadableAnswer"]);
    expect(await busAnswering({}).put([detail(1)])).toEqual(["UnreadableAnswer"]);
    expect(await busAnswering({ Entries: [{}] }).put([detail(1)])).toEqual(["UnreadableAnswer"]);
  });
});
