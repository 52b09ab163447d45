/**
 * Model-based: random sequences of logouts (local, global, others) over two issuers, a few
 * users, sessions and tokens, against dynalite, checked after every step against a plain
 * in-memory model of which tokens are revoked. The logout endpoint's answer and the reusable
 * check's answer must both agree with the model, for every token.
 */
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { captureOutput } from "../../support/captured-output.js";
import { eventFor } from "../../support/logout-app.js";
import {
  type RevocationFixture,
  startRevocationFixture,
} from "../../support/revocation-fixture.js";

captureOutput();
let fixture: RevocationFixture;

beforeAll(async () => {
  fixture = await startRevocationFixture();
});
afterAll(async () => {
  fixture.clock.pinned = undefined;
  await fixture.stop();
});

/** The clock leeway a user revocation extends over (`CLOCK_LEEWAY_SECONDS`). */
const LEEWAY = 5;
type Scope = "local" | "global" | "others";

interface TokenSpec {
  issuer: 0 | 1;
  user: 0 | 1;
  /** A Cognito-style session (origin_jti), or none. */
  session: 0 | 1 | null;
  /** Drawn from a small set, so ids repeat across issuers and users. */
  jti: "j1" | "j2" | null;
  /** Seconds before the real now; the store's clock starts 100 s back, so some are "later". */
  issuedAgo: number;
}

interface ModelToken extends TokenSpec {
  text: string;
  iat: number;
}

/** The model: what is revoked, in the plainest terms. */
class Model {
  private readonly revokedSessions = new Set<string>();
  private readonly users = new Map<string, { revokedBefore: number; kept: string | undefined }>();

  /** What the table's key identifies: the session, else the jti, else the token itself. */
  static sessionOf(token: ModelToken): string {
    if (token.session !== null) return `s/${token.issuer}/${token.session}`;
    return token.jti !== null ? `j/${token.issuer}/${token.jti}` : `t/${token.text}`;
  }

  isRevoked(token: ModelToken): boolean {
    const session = Model.sessionOf(token);
    if (this.revokedSessions.has(session)) return true;
    const user = this.users.get(`${token.issuer}/${token.user}`);
    return user !== undefined && user.kept !== session && token.iat <= user.revokedBefore;
  }

  /** The answer the endpoint owes, and the state after it. */
  logout(token: ModelToken, scope: Scope, now: number): 200 | 401 {
    const revoked = this.isRevoked(token);
    const session = Model.sessionOf(token);
    // A local logout records its session even when the answer is 401: revoked either way.
    if (scope === "local") this.revokedSessions.add(session);
    if (revoked) return 401;
    if (scope !== "local") {
      this.users.set(`${token.issuer}/${token.user}`, {
        revokedBefore: now + LEEWAY,
        kept: scope === "others" ? session : undefined,
      });
    }
    return 200;
  }
}

const tokenSpec: fc.Arbitrary<TokenSpec> = fc.record({
  issuer: fc.constantFrom(0 as const, 1 as const),
  user: fc.constantFrom(0 as const, 1 as const),
  session: fc.constantFrom(0 as const, 1 as const, null),
  jti: fc.constantFrom("j1" as const, "j2" as const, null),
  issuedAgo: fc.integer({ min: 0, max: 100 }),
});

const step = fc.record({
  token: fc.nat(),
  scope: fc.constantFrom<Scope>("local", "global", "others"),
  /** How far the store's clock moves before this logout. */
  advance: fc.integer({ min: 0, max: 15 }),
});

const bearer = (token: string, scope: Scope) =>
  eventFor("v2", { authorization: [`Bearer ${token}`], query: `scope=${scope}` });

it("the endpoint and the check agree with the model after every step", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(tokenSpec, { minLength: 2, maxLength: 6 }),
      fc.array(step, { minLength: 1, maxLength: 12 }),
      async (specs, steps) => {
        // Ids unique to this run, but shared by both issuers within it.
        const run = crypto.randomUUID();
        const realNow = Math.floor(Date.now() / 1000);
        const tokens: ModelToken[] = [];
        for (const spec of specs) {
          const iat = realNow - spec.issuedAgo;
          const identity = spec.issuer === 0 ? fixture.identity : fixture.partner;
          const text = await identity.mint("valid", {
            sub: `${run}/user-${spec.user}`,
            iat,
            jti: spec.jti === null ? undefined : `${run}/${spec.jti}`,
            ...(spec.session === null ? {} : { origin_jti: `${run}/session-${spec.session}` }),
          });
          tokens.push({ ...spec, text, iat });
        }
        const model = new Model();
        let storeNow = realNow - 100;

        for (const { token: index, scope, advance } of steps) {
          storeNow += advance;
          fixture.clock.pinned = storeNow;
          const token = tokens[index % tokens.length] as ModelToken;
          const expected = model.logout(token, scope, storeNow);
          const response = await fixture.logout.invoke(bearer(token.text, scope));
          expect(response.statusCode, `${scope} logout of token ${index % tokens.length}`).toBe(
            expected,
          );
          for (const [position, each] of tokens.entries()) {
            const checked = await fixture.otherFunction(bearer(each.text, "local"));
            expect(checked.statusCode, `check of token ${position}`).toBe(
              model.isRevoked(each) ? 401 : 200,
            );
          }
        }
      },
    ),
    { numRuns: 25 },
  );
});
