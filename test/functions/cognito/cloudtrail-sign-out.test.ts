/**
 * Reading a Cognito pool's CloudTrail event, as EventBridge delivers it: which user, when, by
 * whom, or why it changes nothing. The shapes vary by call (the `Admin…` calls name the pool;
 * the user's own calls carry only hidden tokens or codes), so each field's every form is here.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  COGNITO_SIGN_OUTS,
  cognitoSignOutOf,
} from "../../../functions/cognito/cloudtrail-sign-out.js";

const POOL = "sa-east-1_AbC123";
const TIME = "2026-12-07T09:00:00Z";
const AT = Date.parse(TIME) / 1000;
const HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS";

/** A delivered event of `eventName`, its detail changed as given. */
function event(eventName: string, detail: Record<string, unknown> = {}, envelope = {}) {
  return {
    version: "0",
    id: "e-1",
    "detail-type": "AWS API Call via CloudTrail",
    source: "aws.cognito-idp",
    time: "2026-12-07T09:00:07Z",
    ...envelope,
    detail: {
      eventTime: TIME,
      eventSource: "cognito-idp.amazonaws.com",
      eventName,
      requestParameters: { userPoolId: POOL, username: HIDDEN },
      additionalEventData: { sub: "sub-1" },
      ...detail,
    },
  };
}

describe("a sign-out it applies", () => {
  it.each(Object.entries(COGNITO_SIGN_OUTS))("%s, begun by the %s, by its sub", (action, who) => {
    expect(cognitoSignOutOf(event(action), POOL)).toEqual({
      at: AT,
      sub: "sub-1",
      origin: { initiator: who, reason: `Cognito ${action}` },
    });
  });

  it("each sample of events/ reads as its action, at its time", () => {
    for (const action of ["admin-disable-user", "global-sign-out", "confirm-forgot-password"]) {
      const sample = JSON.parse(
        readFileSync(`events/cognito-cloudtrail/${action}.json`, "utf8")
          .replaceAll("sa-east-1_LocalPool1", POOL)
          .replaceAll("{{sub}}", "sub-2")
          .replaceAll("{{now}}", TIME),
      );
      expect(cognitoSignOutOf(sample, POOL)).toMatchObject({ at: AT, sub: "sub-2" });
    }
  });

  it("the sub under either name Cognito has logged it by", () => {
    const bySub = event("AdminDisableUser", { additionalEventData: { userSub: "sub-3" } });
    expect(cognitoSignOutOf(bySub, POOL)).toMatchObject({ sub: "sub-3" });
  });

  it("a user name where Cognito did not hide it, and no sub: resolved later through the pool", () => {
    const named = event("AdminDisableUser", {
      requestParameters: { userPoolId: POOL, username: "maria" },
      additionalEventData: {},
    });
    expect(cognitoSignOutOf(named, POOL)).toEqual({
      at: AT,
      username: "maria",
      origin: { initiator: "admin", reason: "Cognito AdminDisableUser" },
    });
  });

  it.each([
    ["hidden", HIDDEN],
    ["empty", ""],
    ["not a string", 42],
  ])("no user at all where the name is %s and no sub is given", (_, username) => {
    const hidden = event("AdminDisableUser", {
      requestParameters: { userPoolId: POOL, username },
      additionalEventData: { sub: "" },
    });
    expect(cognitoSignOutOf(hidden, POOL)).toEqual({
      at: AT,
      origin: { initiator: "admin", reason: "Cognito AdminDisableUser" },
    });
  });

  it("the pool from the event's resources, where its parameters name none", () => {
    const resources = (arn: string) => [{ type: "AWS::Cognito::UserPool", ARN: arn }];
    const arn = (pool: string) => `arn:aws:cognito-idp:sa-east-1:111111111111:userpool/${pool}`;
    const withResources = (pool: string) =>
      event("GlobalSignOut", {
        requestParameters: { accessToken: HIDDEN },
        resources: resources(arn(pool)),
      });
    expect(cognitoSignOutOf(withResources(POOL), POOL)).toMatchObject({ sub: "sub-1" });
    expect(cognitoSignOutOf(withResources("sa-east-1_Other1"), POOL)).toBe("another user pool");
    // A pool named in the event's own data counts as well.
    const named = event("GlobalSignOut", {
      requestParameters: { accessToken: HIDDEN },
      additionalEventData: { sub: "sub-1", userPoolId: "sa-east-1_Other1" },
    });
    expect(cognitoSignOutOf(named, POOL)).toBe("another user pool");
  });

  it("a call that names no pool at all is taken as the stage's", () => {
    const anonymous = event("ChangePassword", {
      requestParameters: { accessToken: HIDDEN },
      resources: [{ type: "AWS::Other", ARN: "arn:aws:s3:::bucket" }, "not an object"],
    });
    expect(cognitoSignOutOf(anonymous, POOL)).toMatchObject({ sub: "sub-1", at: AT });
  });

  it("the envelope's time where the detail has none, in seconds", () => {
    const undated = event("AdminDisableUser", { eventTime: undefined });
    expect(cognitoSignOutOf(undated, POOL)).toMatchObject({ at: AT + 7 });
  });
});

describe("an event it leaves alone, saying why", () => {
  it.each([
    [
      "another pool's call",
      event("AdminDisableUser", { requestParameters: { userPoolId: "sa-east-1_Other1" } }),
      "another user pool",
    ],
    [
      "a call Cognito refused",
      event("AdminDisableUser", { errorCode: "UserNotFoundException" }),
      "a failed call",
    ],
    ["another call", event("AdminGetUser"), "not a Cognito sign-out"],
    [
      "another service's",
      event("AdminDisableUser", { eventSource: "s3.amazonaws.com" }),
      "not a Cognito sign-out",
    ],
    ["a name no action has", event("toString"), "not a Cognito sign-out"],
    ["no detail", { "detail-type": "AWS API Call via CloudTrail" }, "not a Cognito sign-out"],
    ["a detail that is a list", { detail: [] }, "not a Cognito sign-out"],
    ["no event", null, "not a Cognito sign-out"],
  ])("%s", (_, delivered, why) => {
    expect(cognitoSignOutOf(delivered, POOL)).toBe(why);
  });

  it.each([
    ["null", null],
    ["empty", ""],
  ])("but applies a call whose errorCode is %s (no error)", (_, errorCode) => {
    expect(cognitoSignOutOf(event("AdminDisableUser", { errorCode }), POOL)).toMatchObject({
      sub: "sub-1",
    });
  });
});

it("any event, of any shape, is read without a crash: a sign-out with its time, a reason, or the one throw (property)", () => {
  const detail = fc.record(
    {
      eventSource: fc.constantFrom("cognito-idp.amazonaws.com", "s3.amazonaws.com", 7, null),
      eventName: fc.oneof(fc.constantFrom(...Object.keys(COGNITO_SIGN_OUTS)), fc.anything()),
      // An object whose toString is no function cannot even be made a string.
      eventTime: fc.oneof(fc.constant(TIME), fc.constant({ toString: "x" }), fc.anything()),
      errorCode: fc.anything(),
      requestParameters: fc.anything(),
      additionalEventData: fc.anything(),
      resources: fc.anything(),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(fc.oneof(fc.anything(), fc.record({ detail, time: fc.anything() })), (event) => {
      let read: ReturnType<typeof cognitoSignOutOf>;
      try {
        read = cognitoSignOutOf(event, POOL);
      } catch (error) {
        expect((error as Error).message).toBe("The CloudTrail event has no time");
        return;
      }
      if (typeof read === "string") {
        expect(["not a Cognito sign-out", "a failed call", "another user pool"]).toContain(read);
      } else {
        expect(Number.isFinite(read.at)).toBe(true);
        expect(Object.keys(COGNITO_SIGN_OUTS)).toContain(
          read.origin.reason.slice("Cognito ".length),
        );
      }
    }),
    { numRuns: 500 },
  );
});

it("an event with no time anywhere is thrown, to be parked: dated now it could reach a later sign-in", () => {
  const timeless = event("AdminDisableUser", { eventTime: undefined }, { time: undefined });
  expect(() => cognitoSignOutOf(timeless, POOL)).toThrow("The CloudTrail event has no time");
});
