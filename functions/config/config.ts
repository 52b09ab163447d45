/**
 * The function's configuration: read from the environment once, at cold start, and checked
 * there, so a bad deployment fails at once with a message naming the variable.
 */
import { COGNITO_POOL_ID, isEventBus, SECRET_ARN, TABLE_NAME } from "../domain/aws-identifiers.js";
import { ConfigurationError } from "../domain/errors.js";
import { MAX_ISSUER_CLOCK_LAG_MS } from "./wait-budgets.js";

export interface JwksDocument {
  keys: Record<string, unknown>[];
}

/** Settings of every verifier: what revocations rely on, since they are kept only that long. */
interface VerifierLimits {
  /** How long a token may live; longer ones are refused. */
  maxTokenLifetimeSeconds: number;
  /** How long ago a token's session may have begun (`auth_time`, else `iat`); older: refused. */
  maxSessionSeconds: number;
  /** Refuse tokens without `auth_time`, whose sessions a revocation by time cannot follow. */
  requireAuthTime: boolean;
}

export type VerifierConfig = VerifierLimits &
  (
    | {
        kind: "jwt";
        issuer: string;
        /** null: the deployment opted out of checking `aud` (JWT_AUDIENCE=*). */
        audience: string[] | null;
        jwksUri: string;
        jwks: JwksDocument | undefined;
        /** Only the inline JWKS is trusted: JWKS set and JWKS_URI unset. Nothing is fetched. */
        jwksPinned: boolean;
        /**
         * The client ids the issuer sends back-channel logout tokens for (their `aud`); undefined:
         * the stage receives none (BACKCHANNEL_LOGOUT_CLIENT_IDS unset).
         */
        backchannelLogoutAudience: string[] | undefined;
      }
    | {
        kind: "cognito";
        userPoolId: string;
        clientId: string[];
        tokenUse: "access" | "id";
        jwks: JwksDocument | undefined;
        /** Only the inline JWKS is trusted (JWKS set): the pool's JWKS is never fetched. */
        jwksPinned: boolean;
        /** Where the app clients' secrets are, for RevokeToken (Secrets Manager or SSM). */
        clientSecretArn: string | undefined;
      }
  );

/** The verifier's limits are the store's too: a record lives as long as a token it covers. */
export interface RevocationConfig {
  tableName: string;
  /** How long a session can mint tokens: how long its revocation is kept. */
  maxSessionSeconds: number;
  /** How long any token can live (longer ones are refused). */
  maxTokenLifetimeSeconds: number;
  /**
   * How far the issuer's clock may run behind this function's (MAX_ISSUER_CLOCK_LAG_MS): a
   * global logout answers that much after its second, so a sign-in after the answer is in.
   */
  issuerClockLagMs: number;
}

export interface Config {
  verifier: VerifierConfig;
  /** undefined: revocation is off (REVOCATION_TABLE_NAME unset). */
  revocation: RevocationConfig | undefined;
  /** The path of the API's base URL; `error.path` is relative to it. */
  apiBasePath: string;
}

export type Environment = Readonly<Record<string, string | undefined>>;

function read(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === "" ? undefined : value;
}

function list(env: Environment, name: string): string[] | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const items = value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  if (items.length === 0) throw new ConfigurationError(name, "must list at least one value");
  return items;
}

function httpsUrl(env: Environment, name: string): string | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(name, "must be an absolute https URL");
  }
  if (url.protocol !== "https:") throw new ConfigurationError(name, "must be an https URL");
  return value;
}

function jwksDocument(env: Environment): JwksDocument | undefined {
  const value = read(env, "JWKS");
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigurationError("JWKS", "must be a JSON Web Key Set (JSON)");
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.some((key) => typeof key !== "object")) {
    throw new ConfigurationError("JWKS", 'must be a JSON object with a non-empty "keys" array');
  }
  return { keys };
}

function issuerClockLag(env: Environment): number {
  const value = read(env, "MAX_ISSUER_CLOCK_LAG_MS");
  if (value === undefined) return DEFAULT_MAX_ISSUER_CLOCK_LAG_MS;
  const ms = Number(value);
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_ISSUER_CLOCK_LAG_MS) {
    throw new ConfigurationError(
      "MAX_ISSUER_CLOCK_LAG_MS",
      `must be a whole number of milliseconds from 0 to ${MAX_ISSUER_CLOCK_LAG_MS}`,
    );
  }
  return ms;
}

function positiveSeconds(env: Environment, name: string, fallback: number): number {
  const value = read(env, name);
  if (value === undefined) return fallback;
  const seconds = Number(value);
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new ConfigurationError(name, "must be a whole number of seconds above 0");
  }
  return seconds;
}

function flag(env: Environment, name: string, fallback: boolean): boolean {
  const value = read(env, name);
  if (value === undefined) return fallback;
  if (value !== "true" && value !== "false") {
    throw new ConfigurationError(name, 'must be "true" or "false"');
  }
  return value === "true";
}

export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;
/** Cognito's default refresh token validity: how long one sign-in can mint tokens. */
export const DEFAULT_MAX_SESSION_SECONDS = 30 * 24 * 3600;
/** The contract's server: `https://api.rinne.com.br/core`. */
export const DEFAULT_API_BASE_PATH = "/core";
/**
 * Lambda and Cognito both keep AWS's time (well within a millisecond of each other); 500 ms
 * covers an issuer elsewhere on NTP, at half a second more per global logout.
 */
export const DEFAULT_MAX_ISSUER_CLOCK_LAG_MS = 500;

function verifierLimits(env: Environment, cognito: boolean): VerifierLimits {
  const maxTokenLifetimeSeconds = positiveSeconds(
    env,
    "MAX_TOKEN_LIFETIME_SECONDS",
    DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  );
  const maxSessionSeconds = positiveSeconds(
    env,
    "MAX_SESSION_SECONDS",
    DEFAULT_MAX_SESSION_SECONDS,
  );
  if (maxSessionSeconds < maxTokenLifetimeSeconds) {
    throw new ConfigurationError(
      "MAX_SESSION_SECONDS",
      "must be at least MAX_TOKEN_LIFETIME_SECONDS (a session outlives each of its tokens)",
    );
  }
  // Every Cognito token carries auth_time; a generic issuer may not, so there it is a choice.
  return {
    maxTokenLifetimeSeconds,
    maxSessionSeconds,
    requireAuthTime: flag(env, "REQUIRE_AUTH_TIME", cognito),
  };
}

/** The explicit opt-out of the `aud` check, as aws-jwt-verify asks for `audience: null`. */
export const ANY_AUDIENCE = "*";

/**
 * Required with a generic issuer: an issuer serves several applications, and a token it issued
 * for another one must not be accepted here.
 */
function audience(env: Environment): string[] | null {
  const audiences = list(env, "JWT_AUDIENCE");
  if (audiences === undefined) {
    throw new ConfigurationError(
      "JWT_AUDIENCE",
      `is required with JWT_ISSUER (the allowed "aud" values; "${ANY_AUDIENCE}" to accept any)`,
    );
  }
  if (audiences.includes(ANY_AUDIENCE)) {
    if (audiences.length > 1) {
      throw new ConfigurationError("JWT_AUDIENCE", `cannot list "${ANY_AUDIENCE}" with audiences`);
    }
    return null;
  }
  return audiences;
}

function verifierConfig(env: Environment): VerifierConfig {
  const userPoolId = read(env, "COGNITO_USER_POOL_ID");
  const issuer = httpsUrl(env, "JWT_ISSUER");
  if (userPoolId !== undefined && issuer !== undefined) {
    throw new ConfigurationError("JWT_ISSUER", "cannot be set together with COGNITO_USER_POOL_ID");
  }
  if (userPoolId !== undefined) {
    if (read(env, "BACKCHANNEL_LOGOUT_CLIENT_IDS") !== undefined) {
      // Cognito sends no logout tokens: its own sign-outs reach the stage through CloudTrail.
      throw new ConfigurationError(
        "BACKCHANNEL_LOGOUT_CLIENT_IDS",
        "is for a generic issuer (JWT_ISSUER): Cognito sends no back-channel logout tokens",
      );
    }
    if (!COGNITO_POOL_ID.test(userPoolId)) {
      throw new ConfigurationError("COGNITO_USER_POOL_ID", "must look like <region>_<id>");
    }
    const clientId = list(env, "COGNITO_CLIENT_ID");
    if (clientId === undefined) {
      throw new ConfigurationError("COGNITO_CLIENT_ID", "is required with COGNITO_USER_POOL_ID");
    }
    const tokenUse = read(env, "COGNITO_TOKEN_USE") ?? "access";
    if (tokenUse !== "access" && tokenUse !== "id") {
      throw new ConfigurationError("COGNITO_TOKEN_USE", 'must be "access" or "id"');
    }
    const jwks = jwksDocument(env);
    const clientSecretArn = read(env, "COGNITO_CLIENT_SECRET_ARN");
    if (clientSecretArn !== undefined && !SECRET_ARN.test(clientSecretArn)) {
      throw new ConfigurationError(
        "COGNITO_CLIENT_SECRET_ARN",
        "must be a Secrets Manager secret ARN or an SSM parameter ARN under rinne/",
      );
    }
    return {
      kind: "cognito",
      ...verifierLimits(env, true),
      userPoolId,
      clientId,
      tokenUse,
      jwks,
      jwksPinned: jwks !== undefined,
      clientSecretArn,
    };
  }
  if (issuer === undefined) {
    throw new ConfigurationError("JWT_ISSUER", "or COGNITO_USER_POOL_ID is required");
  }
  const jwksUri = httpsUrl(env, "JWKS_URI");
  const jwks = jwksDocument(env);
  return {
    kind: "jwt",
    ...verifierLimits(env, false),
    issuer,
    audience: audience(env),
    jwksUri: jwksUri ?? `${issuer.replace(/\/+$/, "")}/.well-known/jwks.json`,
    jwks,
    jwksPinned: jwks !== undefined && jwksUri === undefined,
    backchannelLogoutAudience: list(env, "BACKCHANNEL_LOGOUT_CLIENT_IDS"),
  };
}

export function loadConfig(env: Environment): Config {
  const tableName = read(env, "REVOCATION_TABLE_NAME");
  if (tableName?.startsWith("arn:")) {
    // Another account's table: its items name users, and no local emulator can hold the
    // resource policy it would take. The stage's authorizer decides there (`fromArn`).
    throw new ConfigurationError(
      "REVOCATION_TABLE_NAME",
      "is a table's ARN: the in-process check reads its own account's table only; from another account, protect the route with the stage's authorizer (RevocationAwareAuthorizer.fromArn, docs/protecting-routes.md)",
    );
  }
  if (tableName !== undefined && !TABLE_NAME.test(tableName)) {
    throw new ConfigurationError("REVOCATION_TABLE_NAME", "is not a valid DynamoDB table name");
  }
  const apiBasePath = read(env, "API_BASE_PATH") ?? DEFAULT_API_BASE_PATH;
  if (!apiBasePath.startsWith("/")) {
    throw new ConfigurationError("API_BASE_PATH", 'must start with "/"');
  }
  const verifier = verifierConfig(env);
  return {
    verifier,
    revocation:
      tableName === undefined
        ? undefined
        : {
            tableName,
            maxSessionSeconds: verifier.maxSessionSeconds,
            maxTokenLifetimeSeconds: verifier.maxTokenLifetimeSeconds,
            issuerClockLagMs: issuerClockLag(env),
          },
    apiBasePath: apiBasePath.replace(/\/+$/, ""),
  };
}

/** What the revocation events' publisher reads: the bus it puts on. */
export interface PublisherConfig {
  /** A bus name, or a bus's ARN (a bus of another account or stack). */
  eventBusName: string;
}

export function loadPublisherConfig(env: Environment): PublisherConfig {
  const eventBusName = read(env, "EVENT_BUS_NAME");
  if (eventBusName === undefined || !isEventBus(eventBusName)) {
    throw new ConfigurationError("EVENT_BUS_NAME", "must be an event bus's name or ARN");
  }
  return { eventBusName };
}
