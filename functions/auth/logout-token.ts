/**
 * OpenID Connect Back-Channel Logout 1.0's logout token, validated as its section 2.6 says: the
 * stage issuer's keys and algorithms (the access tokens' verifier, by aws-jwt-verify), its `iss`,
 * an `aud` among the client ids the stage receives logout tokens for; then the checks below,
 * each a refusal with its own reason. A logout token is no access token (the access tokens'
 * checks refuse its `events`), and an access token is no logout token (it has none).
 */
import type { JwtHeader, JwtPayload } from "aws-jwt-verify/jwt-model";
import type { VerifierConfig } from "../config/config.js";
import { WAIT_BUDGETS } from "../config/wait-budgets.js";
import { type Clock, systemClock } from "../domain/clock.js";
import { InvalidTokenError } from "../domain/errors.js";
import { isRecord, nonEmptyString } from "../domain/values.js";
import { CLOCK_LEEWAY_SECONDS } from "../domain/verified-token.js";
import { createVerifier, verifyCanonical } from "./token-verifier.js";

/** The member of `events` that makes a JWT a logout token (section 2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout";

/**
 * How old a logout token may be (by its `iat`): the issuer's retries of one delivery fit in it,
 * and a token older than that is refused rather than remembered for ever.
 */
export const LOGOUT_TOKEN_MAX_AGE_SECONDS = 600;

/** What a valid logout token says: whose session ended, by whom, when, under which id. */
export interface LogoutTokenClaims {
  iss: string;
  /** At least one of `sub` and `sid`. */
  sub?: string;
  sid?: string;
  jti: string;
  iat: number;
}

export type VerifyLogoutToken = (token: string) => Promise<LogoutTokenClaims>;

/**
 * `typ`, where the issuer sends one: `logout+jwt` (section 2.4, explicit typing), or the generic
 * `JWT` that issuers before explicit typing send. Any other (`at+jwt`, `secevent+jwt`) is
 * another kind of token.
 */
const LOGOUT_TYPES = new Set(["logout+jwt", "application/logout+jwt", "jwt"]);

/** The checks of section 2.6 past the signature and `iss`/`aud`; `now` in epoch seconds. */
export function assertLogoutToken(
  header: JwtHeader,
  payload: JwtPayload,
  now: number,
): LogoutTokenClaims {
  if (header.typ !== undefined && !LOGOUT_TYPES.has(String(header.typ).toLowerCase())) {
    throw new InvalidTokenError("Not a logout token: its typ is another kind's");
  }
  const events = payload.events;
  if (!isRecord(events) || !isRecord(events[BACKCHANNEL_LOGOUT_EVENT])) {
    throw new InvalidTokenError("Not a logout token: no back-channel logout event");
  }
  if (payload.nonce !== undefined) throw new InvalidTokenError("Logout token has a nonce");
  const { sub, sid, jti, iat, iss } = payload;
  if ((sub !== undefined && !nonEmptyString(sub)) || (sid !== undefined && !nonEmptyString(sid))) {
    throw new InvalidTokenError("Invalid token claims");
  }
  if (sub === undefined && sid === undefined) {
    throw new InvalidTokenError("Logout token names neither sub nor sid");
  }
  if (!nonEmptyString(jti)) throw new InvalidTokenError("Logout token has no jti");
  if (typeof iat !== "number") throw new InvalidTokenError("Token has no issue time");
  if (iat > now + CLOCK_LEEWAY_SECONDS) throw new InvalidTokenError("Token issued in the future");
  if (iat < now - LOGOUT_TOKEN_MAX_AGE_SECONDS) {
    throw new InvalidTokenError("Logout token too old");
  }
  return {
    iss: iss as string,
    ...(sub === undefined ? {} : { sub }),
    ...(sid === undefined ? {} : { sid }),
    jti,
    iat,
  };
}

/** The stage's verifier of logout tokens: a generic issuer's, for `audience`'s client ids. */
export function createLogoutTokenVerifier(
  config: Extract<VerifierConfig, { kind: "jwt" }>,
  audience: string[],
  { clock = systemClock }: { clock?: Pick<Clock, "now"> } = {},
): VerifyLogoutToken {
  // The library hands the check the very payload it returns: its claims are kept by it.
  const checked = new WeakMap<JwtPayload, LogoutTokenClaims>();
  const verifier = createVerifier(config, WAIT_BUDGETS.jwksFetchMs, {
    audience,
    // Run by the library after the signature, `iss`, `aud`, `exp` and `nbf`.
    customJwtCheck: ({ header, payload }) => {
      checked.set(payload, assertLogoutToken(header, payload, clock.now()));
    },
  });
  return async (token) => checked.get(await verifyCanonical(verifier, token)) as LogoutTokenClaims;
}
