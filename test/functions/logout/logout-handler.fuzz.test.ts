import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { captureOutput } from "../../support/captured-output.js";
import { createLocalIdentity } from "../../support/kit.js";
import { createLogoutApp, eventFor, type LogoutApp } from "../../support/logout-app.js";

captureOutput();
let app: LogoutApp;
let validToken: string;

// Headers near the valid one (mangled real tokens, odd schemes, JWT-looking garbage) as well as
// arbitrary strings, so the search reaches the verifier and not only the header parser.
const jwtPart = fc.base64String({ minLength: 0, maxLength: 60 }).map((s) => s.replace(/=+$/, ""));
const authorizationValue = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc
    .tuple(fc.constantFrom("Bearer", "bearer", "Basic", "Token", ""), fc.string({ maxLength: 80 }))
    .map(([scheme, rest]) => `${scheme} ${rest}`),
  fc.tuple(jwtPart, jwtPart, jwtPart).map((parts) => `Bearer ${parts.join(".")}`),
  fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([at, insert]) => {
    const position = at % (validToken.length + 1);
    return `Bearer ${validToken.slice(0, position)}${insert}${validToken.slice(position + 1)}`;
  }),
);

// RS256 as Cognito signs, and ES256, whose verify throws where RSA's answers false.
describe.each(["RS256", "ES256"] as const)("random Authorization headers (%s)", (algorithm) => {
  beforeAll(async () => {
    app = await createLogoutApp({ identity: await createLocalIdentity({ algorithm }) });
    validToken = await app.identity.mint("valid");
  });

  it("never give a 200, nor a 5xx, nor anything outside the error envelope", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(authorizationValue, { maxLength: 3 }),
        fc.constantFrom("v1", "v2" as const),
        async (authorization, version) => {
          fc.pre(!authorization.some((value) => value.trim() === `Bearer ${validToken}`));
          const response = await app.invoke(eventFor(version as "v1" | "v2", { authorization }));
          expect(response.statusCode).toBe(401);
          const { error } = JSON.parse(response.body);
          expect(error.code).toBe("AUTHENTICATION_ERROR");
          expect(typeof error.details.reason).toBe("string");
          expect(response.body).not.toContain(validToken.split(".")[2]);
        },
      ),
      { numRuns: 400 },
    );
  });
});
