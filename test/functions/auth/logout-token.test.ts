/**
 * The checks of a logout token past its signature (OpenID Connect Back-Channel Logout 1.0,
 * section 2.6), as a pure function: each rule at its boundary, each with its own reason. The
 * receiver's suite holds the same rules through real signed tokens and the deployed handler.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assertLogoutToken,
  BACKCHANNEL_LOGOUT_EVENT,
  LOGOUT_TOKEN_MAX_AGE_SECONDS,
} from "../../../functions/auth/logout-token.js";

const NOW = 1_800_000_000;
const header = { alg: "RS256", kid: "k1", typ: "logout+jwt" };
const payload = {
  iss: "https://issuer.example",
  aud: "client",
  sub: "user-1",
  sid: "session-1",
  jti: "logout-1",
  iat: NOW,
  events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
};
const reasonOf = (h: object, p: object) => {
  try {
    assertLogoutToken(h as never, p as never, NOW);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
};

describe("accepts", () => {
  it("a logout token, saying only whose session ended, when, under which id", () => {
    expect(assertLogoutToken(header, { ...payload, typ: "Logout" } as never, NOW)).toEqual({
      iss: "https://issuer.example",
      sub: "user-1",
      sid: "session-1",
      jti: "logout-1",
      iat: NOW,
    });
  });

  it.each([
    ["sub alone", { sid: undefined }, { sub: "user-1" }],
    ["sid alone", { sub: undefined }, { sid: "session-1" }],
  ])("%s, and names nothing else", (_, change, named) => {
    const claims = assertLogoutToken(header, { ...payload, ...change } as never, NOW);
    expect(claims).toEqual({ iss: payload.iss, jti: "logout-1", iat: NOW, ...named });
  });

  it.each([undefined, "logout+jwt", "application/logout+jwt", "JWT", "jwt", "Logout+JWT"])(
    "typ %s",
    (typ) => {
      expect(reasonOf({ ...header, typ }, payload)).toBeUndefined();
    },
  );

  it("an iat up to the leeway ahead, and up to the window behind", () => {
    expect(reasonOf(header, { ...payload, iat: NOW + 5 })).toBeUndefined();
    expect(
      reasonOf(header, { ...payload, iat: NOW - LOGOUT_TOKEN_MAX_AGE_SECONDS }),
    ).toBeUndefined();
  });
});

describe("refuses, each for its own reason", () => {
  it.each([
    [
      "typ at+jwt",
      { ...header, typ: "at+jwt" },
      payload,
      "Not a logout token: its typ is another kind's",
    ],
    [
      "typ secevent+jwt",
      { ...header, typ: "secevent+jwt" },
      payload,
      "Not a logout token: its typ is another kind's",
    ],
    [
      "no events",
      header,
      { ...payload, events: undefined },
      "Not a logout token: no back-channel logout event",
    ],
    [
      "events as a list",
      header,
      { ...payload, events: [BACKCHANNEL_LOGOUT_EVENT] },
      "Not a logout token: no back-channel logout event",
    ],
    [
      "another event only",
      header,
      { ...payload, events: { "https://example/other": {} } },
      "Not a logout token: no back-channel logout event",
    ],
    [
      "the event as a string",
      header,
      { ...payload, events: { [BACKCHANNEL_LOGOUT_EVENT]: "yes" } },
      "Not a logout token: no back-channel logout event",
    ],
    [
      "the event as null",
      header,
      { ...payload, events: { [BACKCHANNEL_LOGOUT_EVENT]: null } },
      "Not a logout token: no back-channel logout event",
    ],
    ["a nonce", header, { ...payload, nonce: "n" }, "Logout token has a nonce"],
    ["a null nonce", header, { ...payload, nonce: null }, "Logout token has a nonce"],
    ["an empty sub", header, { ...payload, sub: "" }, "Invalid token claims"],
    ["a sub that is a number", header, { ...payload, sub: 7 }, "Invalid token claims"],
    ["an empty sid", header, { ...payload, sid: "" }, "Invalid token claims"],
    [
      "neither sub nor sid",
      header,
      { ...payload, sub: undefined, sid: undefined },
      "Logout token names neither sub nor sid",
    ],
    ["no jti", header, { ...payload, jti: undefined }, "Logout token has no jti"],
    ["an empty jti", header, { ...payload, jti: "" }, "Logout token has no jti"],
    ["no iat", header, { ...payload, iat: undefined }, "Token has no issue time"],
    ["an iat as text", header, { ...payload, iat: String(NOW) }, "Token has no issue time"],
    [
      "an iat past the leeway ahead",
      header,
      { ...payload, iat: NOW + 6 },
      "Token issued in the future",
    ],
    [
      "an iat past the window",
      header,
      { ...payload, iat: NOW - LOGOUT_TOKEN_MAX_AGE_SECONDS - 1 },
      "Logout token too old",
    ],
  ])("%s", (_, h, p, reason) => {
    expect(reasonOf(h, p)).toBe(reason);
  });

  it("any iat outside [now - window, now + leeway], and none inside (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -3 * LOGOUT_TOKEN_MAX_AGE_SECONDS, max: 60 }), (offset) => {
        const reason = reasonOf(header, { ...payload, iat: NOW + offset });
        const inside = offset >= -LOGOUT_TOKEN_MAX_AGE_SECONDS && offset <= 5;
        expect(reason === undefined).toBe(inside);
      }),
    );
  });
});
