/**
 * Every wait a request may make, each bounded, in one place: the adapters take theirs from here
 * (a test passes shorter ones rather than wait), and the stack computes each function's timeout
 * from their sum on its slowest path, so a client gets the contract's 503 rather than API
 * Gateway's bare 503 or 504.
 */

export interface DynamoDbWaits {
  /** Attempts in all, the first included. */
  attempts: number;
  attemptMs: number;
  /** The backoff before attempt n + 1 is up to `baseDelayMs * 2^n` (full jitter). */
  baseDelayMs: number;
}

export interface WaitBudgets {
  /** One try at the issuer's JWKS; aws-jwt-verify tries twice. */
  jwksFetchMs: number;
  dynamoDb: DynamoDbWaits;
  /** One Cognito call, its SDK retry included (an abort, not the SDK's request timeout). */
  cognitoCallMs: number;
  /** The one read of the app clients' secrets, its SDK retries included. */
  secretReadMs: number;
}

export const WAIT_BUDGETS: WaitBudgets = {
  // The library's default is 2 x 3 s.
  jwksFetchMs: 1500,
  dynamoDb: { attempts: 3, attemptMs: 1000, baseDelayMs: 25 },
  cognitoCallMs: 3000,
  secretReadMs: 2000,
};

/** aws-jwt-verify's fetcher retries once, at once. */
const JWKS_TRIES = 2;
/**
 * The most an issuer's clock may run behind the functions' (MAX_ISSUER_CLOCK_LAG_MS): a global
 * logout answers that much after its second. More would not fit the logout's timeout under API
 * Gateway's 30 s.
 */
export const MAX_ISSUER_CLOCK_LAG_MS = 2000;
/** A global logout answers once the clock has passed its second, by the issuer's clock too. */
const NEXT_SECOND_MS = 1000 + MAX_ISSUER_CLOCK_LAG_MS;

/** The longest one DynamoDB call can take: every attempt times out, with the longest backoffs. */
export function dynamoDbCallMs({ attempts, attemptMs, baseDelayMs }: DynamoDbWaits): number {
  let backoff = 0;
  for (let attempt = 1; attempt < attempts; attempt++) backoff += baseDelayMs * 2 ** attempt;
  return attempts * attemptMs + backoff;
}

/**
 * The logout's slowest path. A global logout at Cognito: the JWKS, the store's replay check,
 * GlobalSignOut and its fallback AdminUserGlobalSignOut, the user item's read and write, the
 * next second. Or a local one with a refresh token: the JWKS, the check, the secret, RevokeToken,
 * the write. (A write that another logout of the user beat is read and written again: DynamoDB
 * refuses such a write at once, so those rounds take milliseconds.)
 */
export function logoutWaitMs(waits: WaitBudgets = WAIT_BUDGETS): number {
  const jwks = JWKS_TRIES * waits.jwksFetchMs;
  const store = dynamoDbCallMs(waits.dynamoDb);
  const global = jwks + store + 2 * waits.cognitoCallMs + 2 * store + NEXT_SECOND_MS;
  const local = jwks + store + waits.secretReadMs + waits.cognitoCallMs + store;
  return Math.max(global, local);
}

/** The authorizer's: the JWKS and one read of the store. */
export function authorizerWaitMs(waits: WaitBudgets = WAIT_BUDGETS): number {
  return JWKS_TRIES * waits.jwksFetchMs + dynamoDbCallMs(waits.dynamoDb);
}

/**
 * The identity provider's sign-outs: a logout token's keys and a session item's write; or a
 * Cognito user found by name, and the user item's read and write. No wait for the next second:
 * their instants are in the past.
 */
export function providerWaitMs(waits: WaitBudgets = WAIT_BUDGETS): number {
  const backchannel = JWKS_TRIES * waits.jwksFetchMs + dynamoDbCallMs(waits.dynamoDb);
  const cognito = waits.cognitoCallMs + 2 * dynamoDbCallMs(waits.dynamoDb);
  return Math.max(backchannel, cognito);
}

/** The operator's sign-out: AdminGetUser, AdminUserGlobalSignOut, the user item's read and write, the next second. */
export function operatorWaitMs(waits: WaitBudgets = WAIT_BUDGETS): number {
  return 2 * waits.cognitoCallMs + 2 * dynamoDbCallMs(waits.dynamoDb) + NEXT_SECOND_MS;
}
