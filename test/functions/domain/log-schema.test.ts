/**
 * No token material in a log line, whoever typed it: whatever text surrounds a token, a key or
 * any 20-character piece of one, the redacted text holds no 20 characters of it in a row.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactTokenLike } from "../../../functions/domain/log-schema.js";
import { createLocalIdentity } from "../../support/kit.js";

const identity = await createLocalIdentity({ algorithm: "ES256" });
const jwt = await identity.mint("valid", { sub: "someone" });
/** Credentials as they are written: a JWT, base64url, standard base64, hex. */
const credential = fc.oneof(
  fc.constant(jwt),
  fc.uint8Array({ minLength: 15, maxLength: 200 }).map((bytes) => {
    const buffer = Buffer.from(bytes);
    return [buffer.toString("base64url"), buffer.toString("base64"), buffer.toString("hex")][
      (bytes[0] ?? 0) % 3
    ] as string;
  }),
);
/** Any 20 characters or more of it, in a row. */
const piece = credential.chain((text) =>
  fc
    .integer({ min: 0, max: text.length - 20 })
    .chain((start) =>
      fc.integer({ min: start + 20, max: text.length }).map((end) => text.slice(start, end)),
    ),
);
const windows = (text: string) =>
  Array.from({ length: Math.max(0, text.length - 19) }, (_, i) => text.slice(i, i + 20));

describe("redactTokenLike", () => {
  it("leaves no 20 characters of a pasted token in a row, whatever surrounds it (property)", () => {
    fc.assert(
      fc.property(fc.string(), piece, fc.string(), (before, pasted, after) => {
        const logged = redactTokenLike(`${before}${pasted}${after}`);
        for (const window of windows(pasted)) expect(logged).not.toContain(window);
      }),
      { numRuns: 2000 },
    );
  });

  it("keeps what a person writes: words, ticket ids, UUIDs, short paths", () => {
    for (const text of [
      "Account takeover, ticket INC-1234, user 5f0c2a4e-8b1d-4c3e-9f7a-0123456789ab",
      "/v1/auth/logout",
      "Support request 77: customer lost their phone",
    ]) {
      expect(redactTokenLike(text)).toBe(text);
    }
    expect(redactTokenLike(`token ${jwt} pasted`)).toBe("token [redacted] pasted");
    // A UUID is kept only whole: one at either end of a longer run is no excuse for it.
    const uuid = "5f0c2a4e-8b1d-4c3e-9f7a-0123456789ab";
    expect(redactTokenLike(`x ${jwt.slice(0, 30)}${uuid} y`)).toBe("x [redacted] y");
    expect(redactTokenLike(`x ${uuid}${jwt.slice(0, 30)} y`)).toBe("x [redacted] y");
  });
});
