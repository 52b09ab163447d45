/**
 * Signs the session out at Amazon Cognito too, so no refresh token of it can mint new tokens:
 * RevokeToken for a refresh token the client sends, GlobalSignOut (or AdminUserGlobalSignOut)
 * for `scope=global`. The Cognito client is imported on first use: only these paths pay for it.
 */
import type { VerifiedToken } from "../auth/verified-token.js";
import { userPoolRegion } from "../config.js";
import { ServiceUnavailableError } from "../http/problems.js";
import type { ClientSecretLookup } from "./client-secrets.js";

/** Each throws a 503 when Cognito cannot be reached or refuses for reasons not the session's. */
export interface UpstreamSignOut {
  /** Ends every session of the token's user: no refresh token of theirs mints tokens again. */
  signOutEverywhere(token: VerifiedToken): Promise<void>;
  /** Revokes one refresh token of the token's app client. */
  revokeRefreshToken(token: VerifiedToken, refreshToken: string): Promise<void>;
}

export interface CognitoSignOutOptions {
  userPoolId: string;
  clientSecret: ClientSecretLookup;
}

/** The scope a Cognito access token needs to call GlobalSignOut with itself. */
const ADMIN_SCOPE = "aws.cognito.signin.user.admin";

// Cognito's answers that mean the work is already done: the token or user is gone or revoked.
const ALREADY_SIGNED_OUT = new Set([
  "NotAuthorizedException",
  "UnsupportedTokenTypeException",
  "UserNotFoundException",
]);

type CognitoModule = typeof import("@aws-sdk/client-cognito-identity-provider");

/**
 * The most one Cognito call may take, its SDK retry included: an abort, not the SDK's request
 * timeout, which only warns unless told otherwise and may differ in the runtime's SDK.
 */
export const COGNITO_CALL_BUDGET_MS = 3000;

export function createCognitoSignOut({
  userPoolId,
  clientSecret,
}: CognitoSignOutOptions): UpstreamSignOut {
  const region = userPoolRegion(userPoolId);
  let loaded:
    | Promise<{
        sdk: CognitoModule;
        client: InstanceType<CognitoModule["CognitoIdentityProviderClient"]>;
      }>
    | undefined;
  const cognito = () => {
    // AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, the SDK's standard override, still applies.
    loaded ??= import("@aws-sdk/client-cognito-identity-provider").then((sdk) => ({
      sdk,
      client: new sdk.CognitoIdentityProviderClient({ region, maxAttempts: 2 }),
    }));
    return loaded;
  };

  async function call(
    operation: string,
    send: (
      module: Awaited<ReturnType<typeof cognito>>,
      options: { abortSignal: AbortSignal },
    ) => Promise<unknown>,
  ) {
    try {
      await send(await cognito(), { abortSignal: AbortSignal.timeout(COGNITO_CALL_BUDGET_MS) });
    } catch (error) {
      if (error instanceof ServiceUnavailableError) throw error;
      if (ALREADY_SIGNED_OUT.has((error as Error).name)) return;
      throw new ServiceUnavailableError("Identity provider unavailable", {
        cause: Object.assign(new Error(`Cognito ${operation}: ${(error as Error).name}`), {
          name: "CognitoError",
        }),
      });
    }
  }

  return {
    async signOutEverywhere(token) {
      const { claims } = token;
      const scopes = typeof claims.scope === "string" ? claims.scope.split(" ") : [];
      if (claims.token_use === "access" && scopes.includes(ADMIN_SCOPE)) {
        await call("GlobalSignOut", ({ sdk, client }, options) =>
          client.send(new sdk.GlobalSignOutCommand({ AccessToken: token.reveal() }), options),
        );
        return;
      }
      const username = claims.username ?? claims["cognito:username"];
      await call("AdminUserGlobalSignOut", ({ sdk, client }, options) =>
        client.send(
          new sdk.AdminUserGlobalSignOutCommand({
            UserPoolId: userPoolId,
            Username: String(username ?? claims.sub),
          }),
          options,
        ),
      );
    },

    async revokeRefreshToken(token, refreshToken) {
      const { claims } = token;
      // The app client the session belongs to: an access token's client_id, an ID token's aud.
      const clientId = String(claims.client_id ?? claims.aud);
      const secret = await clientSecret(clientId);
      await call("RevokeToken", ({ sdk, client }, options) =>
        client.send(
          new sdk.RevokeTokenCommand({
            Token: refreshToken,
            ClientId: clientId,
            ...(secret ? { ClientSecret: secret } : {}),
          }),
          options,
        ),
      );
    },
  };
}
