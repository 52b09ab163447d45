/**
 * Every failure the functions name, one class each, and none with an HTTP status: callers decide
 * by class (as aws-jwt-verify's errors are used), and `http/problems.ts` holds the one table
 * that turns them into statuses, codes and headers. A message is safe to show a client: it
 * never holds a token, a claim's value or a dependency's words (those go in `cause`). Each class
 * writes its name: a minified bundle renames classes (esbuild's keepNames costs 7 KiB a bundle).
 */

/** No bearer token was presented at all (RFC 6750 §3.1: the challenge carries no error code). */
export class CredentialsMissingError extends Error {
  override name = "CredentialsMissingError";
}

/** A token was presented and is refused: its message says why. */
export class InvalidTokenError extends Error {
  override name = "InvalidTokenError";
}

/** A revocation covers the token: it must be refused, everywhere. */
export class TokenRevokedError extends InvalidTokenError {
  override name = "TokenRevokedError";

  constructor() {
    super("Token has been revoked");
  }
}

/** The token cannot be revoked for all of a user's sessions: it names no user (`sub`). */
export class NoSubjectError extends InvalidTokenError {
  override name = "NoSubjectError";

  constructor() {
    super("Token has no subject to sign out");
  }
}

/** A parameter, header or body of the request is not one the endpoint accepts. */
export class InvalidRequestError extends Error {
  override name = "InvalidRequestError";
}

/**
 * Signing out the other sessions needs to know when this one began (`auth_time`): by `iat`,
 * which every refresh moves, an old session would pass for a new one.
 */
export class SessionStartUnknownError extends InvalidRequestError {
  override name = "SessionStartUnknownError";

  constructor() {
    super("Token has no auth_time: signing out the other sessions needs its session's start");
  }
}

/**
 * The user has a logout waiting already (its answer waits until a sign-in after it is safe):
 * this one would wait too, so it is not carried out; the client may ask again once that answer
 * has gone. A user keeps at most one logout waiting, whatever tokens and keys they send.
 */
export class LogoutInProgressError extends Error {
  override name = "LogoutInProgressError";

  constructor(
    /** Whole seconds until the waiting logout has answered. */
    readonly retryAfterSeconds: number,
  ) {
    super("Another logout of this user is completing: retry after it");
  }
}

/** The identity provider knows no user of the name an operator gave. */
export class UnknownUserError extends Error {
  override name = "UnknownUserError";

  constructor() {
    super("No such user at the identity provider");
  }
}

/**
 * The identity provider's event names its user neither by `sub` nor by a name the provider
 * still knows: nothing can be revoked, and the event is kept for a person to look at.
 */
export class UnresolvedUserError extends Error {
  override name = "UnresolvedUserError";

  constructor() {
    super("The identity provider's event names no user that can be found");
  }
}

/** The request does not say who sent it (an operator's call without its IAM identity). */
export class CallerUnknownError extends Error {
  override name = "CallerUnknownError";

  constructor() {
    super("The caller's IAM identity is required");
  }
}

/**
 * A dependency could not answer (unreachable, throttled, slow, or its answer made no sense):
 * nothing may be assumed, and a retry may succeed.
 */
export abstract class DependencyUnavailableError extends Error {
  override name = "DependencyUnavailableError";
}

/** The issuer's signing keys cannot be had or cannot be used. */
export class SigningKeysUnavailableError extends DependencyUnavailableError {
  override name = "SigningKeysUnavailableError";
}

/**
 * The token names a key the issuer's JWKS did not hold when it was fetched a moment ago; the
 * JWKS is not fetched again until `retryAfterSeconds` have passed. A key just rotated in is
 * known then, so this is no verdict on the token.
 */
export class SigningKeyNotYetKnownError extends DependencyUnavailableError {
  override name = "SigningKeyNotYetKnownError";

  constructor(
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super("Signing key not yet known", options);
  }
}

export class RevocationStoreUnavailableError extends DependencyUnavailableError {
  override name = "RevocationStoreUnavailableError";

  constructor(options: { cause: unknown }) {
    super("Revocation store unavailable", options);
  }
}

export class IdentityProviderUnavailableError extends DependencyUnavailableError {
  override name = "IdentityProviderUnavailableError";

  constructor(options: { cause: unknown }) {
    super("Identity provider unavailable", options);
  }
}

export class ClientSecretUnavailableError extends DependencyUnavailableError {
  override name = "ClientSecretUnavailableError";

  constructor(options: { cause: unknown }) {
    super("Client secret unavailable", options);
  }
}

/**
 * A dependency refuses what this deployment asks of it (no such table, no permission, a
 * feature turned off): no retry can help, so someone must fix the deployment.
 */
export abstract class DependencyMisconfiguredError extends Error {
  override name = "DependencyMisconfiguredError";
}

export class RevocationStoreMisconfiguredError extends DependencyMisconfiguredError {
  override name = "RevocationStoreMisconfiguredError";

  constructor(options: { cause: unknown }) {
    super("Revocation store misconfigured", options);
  }
}

export class IdentityProviderMisconfiguredError extends DependencyMisconfiguredError {
  override name = "IdentityProviderMisconfiguredError";

  constructor(options: { cause: unknown }) {
    super("Identity provider misconfigured", options);
  }
}

/** The environment is not one the functions can run with: raised at cold start, naming it. */
export class ConfigurationError extends Error {
  override name = "ConfigurationError";

  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}
