/**
 * The hot-token simulation the bench prints: its figures follow from its designs, so a wrong
 * recommendation cannot come from a wrong simulation.
 */
import { expect, it } from "vitest";
import { simulate } from "../../bench/hot-token.js";

const at = (checksPerSecond: number) =>
  Object.fromEntries(
    simulate({ checksPerSecond, instances: 200, seconds: 5, seed: 7 }).map((outcome) => [
      outcome.design.split(":")[0]?.split(",")[0],
      outcome,
    ]),
  );

it("today's design reads once per check, and throttles past a partition's 3,000 reads", () => {
  const { today } = at(5000);
  expect(today?.readsPerSecond).toBe(5000);
  expect(today?.ceilingChecksPerSecond).toBe(3000);
});

it("a per-instance cache never reads more than once a TTL per instance, whatever the rate", () => {
  for (const rate of [1000, 5000, 20_000]) {
    const cache = at(rate)["per-instance cache"];
    expect(cache?.readsPerSecond).toBeLessThanOrEqual((200 * 1000) / 250);
    expect(cache?.ceilingChecksPerSecond).toBe(Number.POSITIVE_INFINITY);
    // The promise holds only because the logout waits as long as a verdict may be cached.
    expect(cache?.logoutWaitMs).toBe(cache?.stalenessMs);
  }
});
