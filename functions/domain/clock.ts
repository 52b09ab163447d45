/**
 * The one time of a function: the verifier's checks and the store's instants read it, and the
 * store waits on it. Tests that must not wait, or must step over a boundary, swap it.
 */
export interface Clock {
  /** Seconds since the epoch, fractional. */
  now(): number;
  sleepUntil(instant: number): Promise<void>;
}

/** Waits `ms` of real time: a retry's backoff, which no test's clock needs to move. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const systemClock: Clock = {
  now: () => Date.now() / 1000,
  // An instant past is no wait: a timer, even of 0 ms, costs a millisecond or more.
  sleepUntil: async (instant) => {
    const ms = instant * 1000 - Date.now();
    if (ms > 0) await sleep(ms);
  },
};
