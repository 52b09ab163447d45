/**
 * Signs the session out at Amazon Cognito too, so no refresh token of it can mint new tokens:
 * RevokeToken for a refresh token the client sends, GlobalSignOut (or AdminUserGlobalSignOut)
 * for `scope=global`. The Cognito client is imported on first use: only these paths pay for it.
 * `scope=others` has no call here: Cognito cannot end every session but one (see `logout.ts`).
 * The operator's and the pool's own sign-outs use the other side: a user by name
 * (`createCognitoUserAdmin`), with no client secrets.
 */
import type { Environment, VerifierConfig } from "../config/config.js";
import { type SdkClientSettings, sdkClientSettings } from "../config/sdk-client-settings.js";
import { WAIT_BUDGETS, type WaitBudgets } from "../config/wait-budgets.js";
import { userPoolRegion } from "../domain/aws-identifiers.js";
import {
  IdentityProviderMisconfiguredError,
  IdentityProviderUnavailableError,
} from "../domain/errors.js";
import type { UpstreamSignOut, UpstreamUserAdmin } from "../domain/ports.js";
import { type ClientSecretLookup, clientSecretsFrom } from "./client-secrets.js";

/** Where the pool is and how its calls are made. */
export interface CognitoOptions {
  userPoolId: string;
  /** The most one call may take, its SDK retry included. */
  callBudgetMs?: number;
  /** The client's endpoint and credentials, from the function's environment. */
  sdk?: SdkClientSettings;
}

export interface CognitoSignOutOptions extends CognitoOptions {
  clientSecret: ClientSecretLookup;
}

/** The scope a Cognito access token needs to call GlobalSignOut with itself. */
const ADMIN_SCOPE = "aws.cognito.signin.user.admin";

/**
 * Per call, Cognito's answers that mean its work is already done. GlobalSignOut has none: its
 * NotAuthorizedException says only that this access token is expired or revoked at Cognito,
 * while the user's other sessions may be alive, so it falls back to AdminUserGlobalSignOut.
 */
const ALREADY_DONE = {
  GlobalSignOut: new Set<string>(),
  AdminUserGlobalSignOut: new Set(["UserNotFoundException"]),
  // Not "done", but an answer: the user is unknown (read by `subjectOf`).
  AdminGetUser: new Set<string>(),
  RevokeToken: new Set(["NotAuthorizedException", "UnsupportedTokenTypeException"]),
} as const;

type Operation = keyof typeof ALREADY_DONE;

/** Cognito's answers that no retry fixes: the pool or app client is set up otherwise. */
const MISCONFIGURED = new Set(["UnsupportedOperationException", "ResourceNotFoundException"]);

type CognitoModule = typeof import("@aws-sdk/client-cognito-identity-provider");

/** Cognito's calls, each bounded, with its refusals in the domain's terms. */
function cognitoCalls({
  userPoolId,
  callBudgetMs = WAIT_BUDGETS.cognitoCallMs,
  sdk: sdkSettings = {},
}: CognitoOptions) {
  const region = userPoolRegion(userPoolId);
  let loaded:
    | Promise<{
        sdk: CognitoModule;
        client: InstanceType<CognitoModule["CognitoIdentityProviderClient"]>;
      }>
    | undefined;
  const cognito = () => {
    loaded ??= import("@aws-sdk/client-cognito-identity-provider").then((sdk) => ({
      sdk,
      client: new sdk.CognitoIdentityProviderClient({ ...sdkSettings, region, maxAttempts: 2 }),
    }));
    return loaded;
  };

  /** One call; Cognito's refusal as the name of its exception, for the caller to decide on. */
  async function attempt(
    operation: Operation,
    send: (
      module: Awaited<ReturnType<typeof cognito>>,
      options: { abortSignal: AbortSignal },
    ) => Promise<unknown>,
  ): Promise<string | undefined> {
    try {
      await send(await cognito(), { abortSignal: AbortSignal.timeout(callBudgetMs) });
      return undefined;
    } catch (error) {
      const name = (error as Error).name;
      return ALREADY_DONE[operation].has(name) ? undefined : name;
    }
  }

  /**
   * Cognito's refusal, to retry; or, where the pool is set up so that no retry can succeed
   * (token revocation off on the app client), a misconfiguration that someone must fix.
   */
  const unavailable = (operation: Operation, name: string) => {
    const options = {
      cause: Object.assign(new Error(`Cognito ${operation}: ${name}`), { name: "CognitoError" }),
    };
    return MISCONFIGURED.has(name)
      ? new IdentityProviderMisconfiguredError(options)
      : new IdentityProviderUnavailableError(options);
  };

  async function call(operation: Operation, send: Parameters<typeof attempt>[1]): Promise<void> {
    const refused = await attempt(operation, send);
    if (refused !== undefined) throw unavailable(operation, refused);
  }

  /** Cognito's Username is the user name, an alias, or the `sub` of a local user. */
  const signOutUser = (username: string) =>
    call("AdminUserGlobalSignOut", ({ sdk, client }, options) =>
      client.send(
        new sdk.AdminUserGlobalSignOutCommand({ UserPoolId: userPoolId, Username: username }),
        options,
      ),
    );

  return { attempt, call, unavailable, signOutUser };
}

/** The logout's side: the token's sessions, or one refresh token, ended at Cognito. */
export function createCognitoSignOut({
  clientSecret,
  ...options
}: CognitoSignOutOptions): UpstreamSignOut {
  const { attempt, call, unavailable, signOutUser } = cognitoCalls(options);
  return {
    async signOutEverywhere(token) {
      const { claims } = token;
      const scopes = typeof claims.scope === "string" ? claims.scope.split(" ") : [];
      if (claims.token_use === "access" && scopes.includes(ADMIN_SCOPE)) {
        const refused = await attempt("GlobalSignOut", ({ sdk, client }, callOptions) =>
          client.send(new sdk.GlobalSignOutCommand({ AccessToken: token.reveal() }), callOptions),
        );
        if (refused === undefined) return;
        // Only "this access token is no good at Cognito" has a fallback; a fault is a fault.
        if (refused !== "NotAuthorizedException") throw unavailable("GlobalSignOut", refused);
      }
      const username = claims.username ?? claims["cognito:username"];
      await signOutUser(String(username ?? claims.sub));
    },

    async revokeRefreshToken(token, refreshToken) {
      const { claims } = token;
      // The app client the session belongs to: an access token's client_id, an ID token's aud.
      const clientId = String(claims.client_id ?? claims.aud);
      const secret = await clientSecret(clientId);
      await call("RevokeToken", ({ sdk, client }, callOptions) =>
        client.send(
          new sdk.RevokeTokenCommand({
            Token: refreshToken,
            ClientId: clientId,
            ...(secret ? { ClientSecret: secret } : {}),
          }),
          callOptions,
        ),
      );
    },
  };
}

/** The administrator's side: a user signed out, or found, by name (operator, CloudTrail). */
export function createCognitoUserAdmin(options: CognitoOptions): UpstreamUserAdmin {
  const { userPoolId } = options;
  const { attempt, unavailable, signOutUser } = cognitoCalls(options);
  return {
    signOutUser,

    async subjectOf(username) {
      let sub: string | undefined;
      const refused = await attempt("AdminGetUser", async ({ sdk, client }, callOptions) => {
        const user = await client.send(
          new sdk.AdminGetUserCommand({ UserPoolId: userPoolId, Username: username }),
          callOptions,
        );
        sub = user.UserAttributes?.find((attribute) => attribute.Name === "sub")?.Value;
      });
      if (refused === "UserNotFoundException") return undefined;
      if (refused !== undefined) throw unavailable("AdminGetUser", refused);
      return sub;
    },
  };
}

/** The deployment's Cognito sign-out, with its budgets; undefined where no pool is configured. */
export function cognitoSignOutFor(
  verifier: VerifierConfig,
  waits: WaitBudgets = WAIT_BUDGETS,
  env: Environment = {},
): UpstreamSignOut | undefined {
  if (verifier.kind !== "cognito") return undefined;
  return createCognitoSignOut({
    ...cognitoOptions(verifier.userPoolId, waits, env),
    clientSecret: clientSecretsFrom(verifier.clientSecretArn, waits.secretReadMs, env),
  });
}

/** The deployment's Cognito user administration; undefined where no pool is configured. */
export function cognitoUserAdminFor(
  verifier: VerifierConfig,
  waits: WaitBudgets = WAIT_BUDGETS,
  env: Environment = {},
): UpstreamUserAdmin | undefined {
  if (verifier.kind !== "cognito") return undefined;
  return createCognitoUserAdmin(cognitoOptions(verifier.userPoolId, waits, env));
}

function cognitoOptions(userPoolId: string, waits: WaitBudgets, env: Environment): CognitoOptions {
  return {
    userPoolId,
    callBudgetMs: waits.cognitoCallMs,
    sdk: sdkClientSettings(env, "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"),
  };
}
