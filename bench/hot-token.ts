/**
 * The hot-token ceiling, simulated: every check of one token reads the same two items (its
 * session's and its user's), and a DynamoDB partition serves about 3,000 strongly consistent
 * reads (6,000 eventually consistent) per second. Each design that lifts the ceiling is run on
 * the same arrivals (checks of one token spread over the authorizer's instances) and reported by
 * the DynamoDB reads per second it sends, the checks per second it can serve before the
 * partition throttles, how long a revoked session may still pass, and what it costs a logout.
 * Pure: seconds of simulated time, no I/O, deterministic for a seed.
 */

/** What one partition serves per second (DynamoDB's documented per-partition read limits). */
const STRONG_READS_PER_SECOND = 3000;
const EVENTUAL_READS_PER_SECOND = 6000;

export interface Design {
  name: string;
  /** DynamoDB reads one check costs the hottest partition, on average, given the arrivals. */
  readsPerCheck(arrival: Arrivals): number;
  /** The most reads per second it can send whatever the rate (a cache's bound), if any. */
  maxReadsPerSecond?(arrival: Arrivals): number;
  readsPerSecondLimit: number;
  /** How long after the logout's write a revoked session may still pass, in ms. */
  stalenessMs: number;
  /** What the logout must add so its 200 still means "refused everywhere". */
  logoutWaitMs: number;
}

export interface Arrivals {
  checksPerSecond: number;
  instances: number;
  seconds: number;
  seed: number;
}

/** A small deterministic generator (mulberry32): the same arrivals for every design. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A per-instance cache of a token's verdict for `ttlMs`: the reads it sends, simulated over
 * Poisson arrivals spread evenly over the instances (each instance reads at most once a TTL).
 */
function cachedReadsPerCheck(
  ttlMs: number,
  { checksPerSecond, instances, seconds, seed }: Arrivals,
) {
  const next = random(seed);
  const expiresAt = new Array<number>(instances).fill(-1);
  let time = 0;
  let checks = 0;
  let reads = 0;
  while (time < seconds) {
    time += -Math.log(1 - next()) / checksPerSecond;
    const instance = Math.floor(next() * instances);
    checks++;
    if (time >= (expiresAt[instance] as number)) {
      reads++;
      expiresAt[instance] = time + ttlMs / 1000;
    }
  }
  return reads / checks;
}

export const DESIGNS: Design[] = [
  {
    name: "today: strongly consistent reads",
    readsPerCheck: () => 1,
    readsPerSecondLimit: STRONG_READS_PER_SECOND,
    stalenessMs: 0,
    logoutWaitMs: 0,
  },
  {
    name: "eventually consistent reads",
    readsPerCheck: () => 1,
    readsPerSecondLimit: EVENTUAL_READS_PER_SECOND,
    // Usually under a second, with no bound DynamoDB promises: the logout cannot wait it out.
    stalenessMs: 1000,
    logoutWaitMs: Number.POSITIVE_INFINITY,
  },
  {
    name: "read-sharded items (4 copies, read one)",
    readsPerCheck: () => 1 / 4,
    readsPerSecondLimit: STRONG_READS_PER_SECOND,
    stalenessMs: 0,
    // Four writes per revocation, sent together: one round trip more of write capacity.
    logoutWaitMs: 0,
  },
  {
    name: "per-instance cache, 250 ms; the logout answers after it",
    readsPerCheck: (arrivals) => cachedReadsPerCheck(250, arrivals),
    maxReadsPerSecond: ({ instances }) => instances * (1000 / 250),
    readsPerSecondLimit: STRONG_READS_PER_SECOND,
    stalenessMs: 250,
    logoutWaitMs: 250,
  },
  {
    name: "API Gateway's authorizer cache, 300 s (CDK's default)",
    readsPerCheck: (arrivals) => cachedReadsPerCheck(300_000, { ...arrivals, instances: 1 }),
    maxReadsPerSecond: () => 1000 / 300_000,
    readsPerSecondLimit: STRONG_READS_PER_SECOND,
    stalenessMs: 300_000,
    logoutWaitMs: 300_000,
  },
];

export interface Outcome {
  design: string;
  readsPerSecond: number;
  ceilingChecksPerSecond: number;
  stalenessMs: number;
  logoutWaitMs: number;
}

/** Each design at `arrivals`: what it reads, and the checks per second one token can have. */
export function simulate(arrivals: Arrivals): Outcome[] {
  return DESIGNS.map((design) => {
    const perCheck = design.readsPerCheck(arrivals);
    // A cache that can never send the partition its limit has no ceiling at these instances.
    const bounded =
      (design.maxReadsPerSecond?.(arrivals) ?? Number.POSITIVE_INFINITY) >=
      design.readsPerSecondLimit;
    return {
      design: design.name,
      readsPerSecond: perCheck * arrivals.checksPerSecond,
      ceilingChecksPerSecond: bounded
        ? design.readsPerSecondLimit / perCheck
        : Number.POSITIVE_INFINITY,
      stalenessMs: design.stalenessMs,
      logoutWaitMs: design.logoutWaitMs,
    };
  });
}
