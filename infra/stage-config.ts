/**
 * A stage's settings, read from `cdk.json` context (`stages.<name>`) and checked before any
 * resource is made, so a missing value fails the synth naming its context key.
 */
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { closest } from "fastest-levenshtein";
import { loadConfig } from "../functions/config/config.js";
import { COGNITO_POOL_ID, EVENT_BUS_ARN, SECRET_ARN } from "../functions/domain/aws-identifiers.js";
import { ConfigurationError } from "../functions/domain/errors.js";

/** The retentions CloudWatch Logs accepts; any other number fails only at deploy time. */
const LOG_RETENTIONS: ReadonlySet<unknown> = new Set(
  Object.values(RetentionDays).filter((days) => typeof days === "number"),
);

export interface StageConfig {
  /** Where the stage lives: a deploy with another account's credentials fails. */
  account: string;
  region: string;
  stageName: string;
  /** Production keeps its stateful resources and protects them from deletion. */
  isProduction: boolean;
  auth:
    | {
        issuer: string;
        audience: string[];
        jwksUri?: string;
        /** The client ids the issuer sends back-channel logout tokens for: the route exists then. */
        backchannelLogoutClientIds?: string[];
      }
    | {
        cognitoUserPoolId: string;
        cognitoClientIds: string[];
        tokenUse?: "access" | "id";
        /** Secrets Manager secret or SSM parameter ARN: JSON of app client id → client secret. */
        clientSecretArn?: string;
      };
  corsAllowedOrigins: string[];
  /** The Rinne API's host: this API is mapped at its `/core`, the contract's base path. */
  customDomain?: { domainName: string; certificateArn: string };
  logRetentionDays: number;
  throttling: { rateLimit: number; burstLimit: number };
  /**
   * Each function's reserved concurrency, where any (docs/design.md says why and how much);
   * unset, a function shares the account's unreserved pool.
   */
  reservedConcurrency: {
    logout?: number;
    authorizer?: number;
    operator?: number;
    /** The identity provider's sign-outs: its route is open to anyone, so its cap matters. */
    provider?: number;
  };
  /**
   * The account's concurrent executions quota in the stage's region (new accounts often start
   * far below the usual 1,000): the reservations must leave Lambda's 100 unreserved of it.
   */
  accountConcurrencyQuota: number;
  /** An existing SNS topic for the alarms; unset, the stack creates one. */
  alarmTopicArn?: string;
  /** Addresses subscribed to the created topic (each confirms by email once). */
  alarmEmails: string[];
  /**
   * IAM principals (role or user ARNs) that may call the operator's sign-out. Others of the
   * account may too where their own IAM policy allows `lambda:InvokeFunctionUrl` on it.
   */
  operators: string[];
  /**
   * Other accounts of the organisation whose API Gateway APIs may call this stage's authorizer
   * (each attaches it with `RevocationAwareAuthorizer.fromArn`); default none.
   */
  authorizerConsumerAccounts: string[];
  /**
   * An existing event bus (its ARN) for the revocation events; unset, the stack creates the
   * stage's own. A bus of another account must let this one put events on it.
   */
  eventBusArn?: string;
  /**
   * Other accounts of the organisation that receive the revocation events on their default
   * bus (each subscribes with `RevocationEventsSubscription`); the stage's own bus only.
   */
  revocationEventConsumerAccounts: string[];
  /**
   * Why this stage accepts tokens without `auth_time` although a refresh then passes for a new
   * session (`acceptRefreshedSessionsAsNew`): the stack carries it in its template's metadata.
   * Unset, the stage must require `auth_time`.
   */
  refreshedSessionsAsNew?: string;
  /**
   * The functions' own settings, as the variables the stack gives them (`MAX_SESSION_SECONDS`…),
   * from the stage's keys of `FUNCTION_SETTINGS`; checked by the functions' own `loadConfig`.
   */
  functionSettings: Record<string, string>;
}

/**
 * The stage keys that are the functions' settings, and the variable each becomes. The stage
 * does not check them itself: `loadConfig` does, at synth as at cold start, and its refusal
 * names the key. Unset, the functions' own default holds.
 */
export const FUNCTION_SETTINGS = {
  /** How long a session can mint tokens (the refresh token's validity); older ones are refused. */
  maxSessionSeconds: "MAX_SESSION_SECONDS",
  /** How long any access token can live; longer ones are refused. */
  maxTokenLifetimeSeconds: "MAX_TOKEN_LIFETIME_SECONDS",
  /** Refuse tokens without `auth_time` (unset: required of Cognito tokens only). */
  requireAuthTime: "REQUIRE_AUTH_TIME",
  /** How far the issuer's clock may run behind the functions', in ms (unset: 500). */
  maxIssuerClockLagMs: "MAX_ISSUER_CLOCK_LAG_MS",
  logLevel: "LOG_LEVEL",
} as const;

export class StageConfigError extends Error {
  constructor(stageName: string, key: string, problem: string) {
    super(`cdk.json context "stages.${stageName}${key ? `.${key}` : ""}" ${problem}`);
    this.name = "StageConfigError";
  }
}

type Raw = Record<string, unknown>;

/** A production stage's alarms must reach someone: a topic named, or an address subscribed. */
function assertAlarmsReachSomeone(stageName: string, config: StageConfig): StageConfig {
  if (
    config.isProduction &&
    config.alarmTopicArn === undefined &&
    config.alarmEmails.length === 0
  ) {
    throw new StageConfigError(
      stageName,
      "alarmEmails",
      'lists no one and "alarmTopicArn" names no topic: a production stage\'s alarms would reach nobody',
    );
  }
  return config;
}

export function readStageConfig(stageName: string, raw: unknown): StageConfig {
  const stage = assertAlarmsReachSomeone(stageName, readStageSettings(stageName, raw));
  assertReservationsFit(stage);
  assertFunctionAccepts(stage);
  assertSessionsDated(stage);
  return stage;
}

/**
 * Whether the stage's functions refuse tokens without `auth_time`: the functions' own default
 * (required with Cognito, not with a generic issuer) unless the stage says otherwise.
 */
export function requiresAuthTime({ auth, functionSettings }: StageConfig): boolean {
  const setting = functionSettings[FUNCTION_SETTINGS.requireAuthTime];
  return setting === undefined ? "cognitoUserPoolId" in auth : setting === "true";
}

/**
 * The stage's promises (a fresh sign-in always wins; the owner's `global` ends every older
 * session, refreshes included) hold only where a session's start cannot move: a token without
 * `auth_time` dates its session by `iat`, which every refresh moves, so a refresh-token thief
 * outlives the owner's `global` and can keep the owner out. Such a stage does not synthesize
 * unless it says why it accepts that, in a key its template then carries.
 */
function assertSessionsDated(stage: StageConfig): void {
  if (requiresAuthTime(stage) || stage.refreshedSessionsAsNew !== undefined) return;
  throw new StageConfigError(
    stage.stageName,
    "requireAuthTime",
    'is not true: without auth_time a refreshed token passes for a new session, so a stolen refresh token outlives the owner\'s global logout and can keep the owner out. Set it true once the issuer puts auth_time in access tokens (docs/deploying.md, "What each stage requires of its issuer"), or say why not in "acceptRefreshedSessionsAsNew"',
  );
}

/** Lambda's usual quota of concurrent executions per account and region. */
const DEFAULT_ACCOUNT_CONCURRENCY = 1000;
/** What Lambda keeps unreserved in every account: a reservation past it fails at deploy. */
export const MINIMUM_UNRESERVED = 100;

/** A first deploy to the stage's account must not fail on its reservations: refuse them here. */
function assertReservationsFit({
  stageName,
  reservedConcurrency,
  accountConcurrencyQuota,
}: StageConfig): void {
  const reserved = Object.values(reservedConcurrency).reduce((sum, count) => sum + count, 0);
  if (reserved > 0 && reserved > accountConcurrencyQuota - MINIMUM_UNRESERVED) {
    throw new StageConfigError(
      stageName,
      "reservedConcurrency",
      `reserves ${reserved} of the account's ${accountConcurrencyQuota} concurrent executions ("accountConcurrencyQuota"), leaving fewer than the ${MINIMUM_UNRESERVED} Lambda keeps unreserved: reserve less, or raise the quota first`,
    );
  }
}

function functionSettings(stage: Raw, fail: (key: string, problem: string) => never) {
  const settings: Record<string, string> = { LOG_LEVEL: "INFO" };
  for (const [key, variable] of Object.entries(FUNCTION_SETTINGS)) {
    const value = stage[key];
    if (value === undefined || value === null) continue;
    if (!["string", "number", "boolean"].includes(typeof value)) {
      fail(key, "must be a string, a number or true/false");
    }
    settings[variable] = String(value);
  }
  return settings;
}

/** The variables the functions get from the stage: its issuer's, and its own settings. */
export function functionEnvironment({
  auth,
  functionSettings,
}: StageConfig): Record<string, string> {
  const issuer: Record<string, string> =
    "cognitoUserPoolId" in auth
      ? {
          COGNITO_USER_POOL_ID: auth.cognitoUserPoolId,
          COGNITO_CLIENT_ID: auth.cognitoClientIds.join(","),
          COGNITO_TOKEN_USE: auth.tokenUse ?? "access",
          ...(auth.clientSecretArn ? { COGNITO_CLIENT_SECRET_ARN: auth.clientSecretArn } : {}),
        }
      : {
          JWT_ISSUER: auth.issuer,
          JWT_AUDIENCE: auth.audience.join(","),
          ...(auth.jwksUri ? { JWKS_URI: auth.jwksUri } : {}),
        };
  return { ...issuer, ...functionSettings };
}

/**
 * The functions' own configuration check, run on the variables the stage gives them: one
 * validator for both, so a stage that synthesizes is one whose functions start. A refusal
 * names the stage's key where the variable is one of its settings.
 */
function assertFunctionAccepts(stage: StageConfig): void {
  try {
    // The table's name is a deploy-time token; any valid name stands in for it here.
    loadConfig({ ...functionEnvironment(stage), REVOCATION_TABLE_NAME: "synth-time-check" });
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    const key = Object.entries(FUNCTION_SETTINGS).find(
      ([, variable]) => variable === error.variable,
    )?.[0];
    throw new StageConfigError(
      stage.stageName,
      key ?? "",
      `would not start the functions: ${error.message}`,
    );
  }
}

/** The stage's bus for revocation events: its own, with rules to other accounts, or one named. */
function eventBus(
  stage: Raw,
  consumers: string[],
  fail: (key: string, problem: string) => never,
): Pick<StageConfig, "eventBusArn" | "revocationEventConsumerAccounts"> {
  if (stage.eventBusArn === undefined || stage.eventBusArn === null) {
    return { revocationEventConsumerAccounts: consumers };
  }
  if (!EVENT_BUS_ARN.test(String(stage.eventBusArn))) {
    fail("eventBusArn", "must be an EventBridge event bus ARN");
  }
  if (consumers.length > 0) {
    fail(
      "revocationEventConsumerAccounts",
      'needs the stage\'s own bus: with "eventBusArn", whoever owns that bus forwards its events',
    );
  }
  return { eventBusArn: String(stage.eventBusArn), revocationEventConsumerAccounts: [] };
}

/** Every key a stage's settings may hold, by where: an unknown one is a typo, refused. */
const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  "": [
    "account",
    "region",
    "production",
    "auth",
    "corsAllowedOrigins",
    "customDomain",
    "logRetentionDays",
    "throttling",
    "reservedConcurrency",
    "accountConcurrencyQuota",
    "alarmTopicArn",
    "alarmEmails",
    "authorizerConsumerAccounts",
    "eventBusArn",
    "revocationEventConsumerAccounts",
    "operators",
    "acceptRefreshedSessionsAsNew",
    ...Object.keys(FUNCTION_SETTINGS),
  ],
  auth: [
    "issuer",
    "audience",
    "jwksUri",
    "backchannelLogoutClientIds",
    "cognitoUserPoolId",
    "cognitoClientIds",
    "tokenUse",
    "clientSecretArn",
  ],
  customDomain: ["domainName", "certificateArn", "mappingKey"],
  throttling: ["rateLimit", "burstLimit"],
  reservedConcurrency: ["logout", "authorizer", "operator", "provider"],
};

/** A stage's own settings, the keys of `context.stages.<name>`: what the deploy guide lists. */
export const KNOWN_STAGE_SETTINGS: readonly string[] = KNOWN_KEYS[""] ?? [];

/** Refuses the first key the settings do not know, naming the known key it is nearest to. */
function assertKnownKeys(stage: Raw, fail: (key: string, problem: string) => never): void {
  for (const [section, known] of Object.entries(KNOWN_KEYS)) {
    const settings = section === "" ? stage : stage[section];
    if (typeof settings !== "object" || settings === null || Array.isArray(settings)) continue;
    for (const key of Object.keys(settings)) {
      if (known.includes(key)) continue;
      const path = section === "" ? key : `${section}.${key}`;
      fail(path, `is not a setting: did you mean "${closest(key, [...known])}"?`);
    }
  }
}

function readStageSettings(stageName: string, raw: unknown): StageConfig {
  const fail = (key: string, problem: string): never => {
    throw new StageConfigError(stageName, key, problem);
  };
  if (typeof raw !== "object" || raw === null) return fail("", "is missing");
  const stage = raw as Raw;
  assertKnownKeys(stage, fail);

  const strings = (key: string, value: unknown): string[] => {
    if (!Array.isArray(value) || value.some((item) => typeof item !== "string" || item === "")) {
      return fail(key, "must be a list of non-empty strings");
    }
    return value as string[];
  };
  const positive = (key: string, value: unknown): number => {
    if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
      return fail(key, "must be a whole number above 0");
    }
    return value;
  };
  const https = (key: string, value: unknown): string => {
    if (typeof value !== "string" || !value.startsWith("https://")) {
      return fail(key, "must be an https URL");
    }
    return value;
  };

  const accounts = (key: string) =>
    strings(key, stage[key] ?? []).map((account) =>
      /^\d{12}$/.test(account)
        ? account
        : fail(key, `must list 12-digit account ids ("${account}" is not one)`),
    );
  const auth = (stage.auth ?? fail("auth", "is missing")) as Raw;
  let parsedAuth: StageConfig["auth"];
  if (auth.cognitoUserPoolId !== undefined) {
    if (auth.backchannelLogoutClientIds !== undefined) {
      fail(
        "auth.backchannelLogoutClientIds",
        "is for a generic issuer: Cognito sends no logout tokens (its own sign-outs reach the stage through CloudTrail)",
      );
    }
    // The function's own checks: a stage the synth accepts is one the function accepts.
    if (
      typeof auth.cognitoUserPoolId !== "string" ||
      !COGNITO_POOL_ID.test(auth.cognitoUserPoolId)
    ) {
      return fail("auth.cognitoUserPoolId", "must be a user pool id (<region>_<id>)");
    }
    const tokenUse = auth.tokenUse ?? "access";
    if (tokenUse !== "access" && tokenUse !== "id")
      return fail("auth.tokenUse", 'must be "access" or "id"');
    const secretArn = auth.clientSecretArn;
    if (secretArn != null && !SECRET_ARN.test(String(secretArn))) {
      fail(
        "auth.clientSecretArn",
        "must be a Secrets Manager secret or SSM parameter ARN under rinne/ (the roles' permissions boundary reads no other)",
      );
    }
    parsedAuth = {
      cognitoUserPoolId: auth.cognitoUserPoolId,
      cognitoClientIds: strings("auth.cognitoClientIds", auth.cognitoClientIds),
      tokenUse,
      ...(secretArn ? { clientSecretArn: String(secretArn) } : {}),
    };
  } else {
    parsedAuth = {
      issuer: https("auth.issuer", auth.issuer),
      // Required, as by the function: ["*"] is the explicit opt-out.
      audience: strings("auth.audience", auth.audience ?? fail("auth.audience", "is missing")),
      ...(auth.jwksUri !== undefined ? { jwksUri: https("auth.jwksUri", auth.jwksUri) } : {}),
      ...(auth.backchannelLogoutClientIds !== undefined
        ? {
            backchannelLogoutClientIds: strings(
              "auth.backchannelLogoutClientIds",
              auth.backchannelLogoutClientIds,
            ),
          }
        : {}),
    };
  }

  const domain = stage.customDomain as Raw | undefined | null;
  const throttling = (stage.throttling ?? fail("throttling", "is missing")) as Raw;
  const reserved = (stage.reservedConcurrency ?? {}) as Raw;
  const reservation = (name: string) =>
    reserved[name] === undefined || reserved[name] === null
      ? {}
      : { [name]: positive(`reservedConcurrency.${name}`, reserved[name]) };
  if (stage.alarmTopicArn != null && !/^arn:aws[\w-]*:sns:/.test(String(stage.alarmTopicArn))) {
    fail("alarmTopicArn", "must be an SNS topic ARN");
  }

  return {
    account: /^\d{12}$/.test(String(stage.account))
      ? String(stage.account)
      : fail("account", "must be the stage's 12-digit AWS account id"),
    region: /^[a-z]{2}(-[a-z]+)+-\d$/.test(String(stage.region))
      ? String(stage.region)
      : fail("region", 'must be an AWS region ("sa-east-1")'),
    stageName,
    isProduction: stage.production === true,
    auth: parsedAuth,
    corsAllowedOrigins: strings("corsAllowedOrigins", stage.corsAllowedOrigins ?? []),
    ...(domain
      ? {
          customDomain: {
            domainName: String(domain.domainName ?? fail("customDomain.domainName", "is missing")),
            certificateArn: /^arn:aws[\w-]*:acm:/.test(String(domain.certificateArn))
              ? String(domain.certificateArn)
              : fail("customDomain.certificateArn", "must be an ACM certificate ARN"),
            ...(domain.mappingKey === undefined || domain.mappingKey === "core"
              ? {}
              : fail("customDomain.mappingKey", 'can only be "core", the contract\'s base path')),
          },
        }
      : {}),
    logRetentionDays: LOG_RETENTIONS.has(stage.logRetentionDays)
      ? (stage.logRetentionDays as number)
      : fail(
          "logRetentionDays",
          "must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, …)",
        ),
    throttling: {
      rateLimit: positive("throttling.rateLimit", throttling.rateLimit),
      burstLimit: positive("throttling.burstLimit", throttling.burstLimit),
    },
    reservedConcurrency: {
      ...reservation("logout"),
      ...reservation("authorizer"),
      ...reservation("operator"),
      ...reservation("provider"),
    },
    accountConcurrencyQuota: positive(
      "accountConcurrencyQuota",
      stage.accountConcurrencyQuota ?? DEFAULT_ACCOUNT_CONCURRENCY,
    ),
    ...(stage.alarmTopicArn ? { alarmTopicArn: String(stage.alarmTopicArn) } : {}),
    alarmEmails: strings("alarmEmails", stage.alarmEmails ?? []).map((email) =>
      /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)
        ? email
        : fail("alarmEmails", `must list email addresses ("${email}" is not one)`),
    ),
    authorizerConsumerAccounts: accounts("authorizerConsumerAccounts"),
    ...eventBus(stage, accounts("revocationEventConsumerAccounts"), fail),
    operators: strings("operators", stage.operators ?? []).map((arn) =>
      /^arn:aws[\w-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/.test(arn)
        ? arn
        : fail("operators", `must list IAM role or user ARNs ("${arn}" is not one)`),
    ),
    functionSettings: functionSettings(stage, fail),
    ...(stage.acceptRefreshedSessionsAsNew === undefined ||
    stage.acceptRefreshedSessionsAsNew === null
      ? {}
      : {
          refreshedSessionsAsNew:
            typeof stage.acceptRefreshedSessionsAsNew === "string" &&
            stage.acceptRefreshedSessionsAsNew.trim().length >= 20
              ? stage.acceptRefreshedSessionsAsNew.trim()
              : fail(
                  "acceptRefreshedSessionsAsNew",
                  "must say why, in a sentence (20 characters or more)",
                ),
        }),
  };
}
