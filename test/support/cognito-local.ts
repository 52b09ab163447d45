/**
 * cognito-local (an offline Cognito emulator) started on 127.0.0.1 in a temporary directory,
 * holding one user pool and app client, with helpers to add users and sign in for real.
 *
 * cognito-local names every pool `local_…`, which aws-jwt-verify rightly refuses as a Cognito
 * pool id (it derives the issuer from the region). So the pool is made through the API, the
 * emulator stopped, the pool renamed to a real-format id in its data files, and the emulator
 * started again with the matching issuer domain: the function then verifies the emulator's
 * tokens with its ordinary Cognito configuration.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";

const PASSWORD = "Correct-Horse-9";

export const POOL_REGION = "us-east-1";

export interface CognitoLocal {
  endpoint: string;
  client: CognitoIdentityProviderClient;
  userPoolId: string;
  clientId: string;
  /** The pool's JWKS document, fetched from the emulator (which serves it over plain HTTP). */
  jwks: string;
  createUser(email: string): Promise<void>;
  signIn(email: string): Promise<{ accessToken: string; refreshToken: string }>;
  refresh(refreshToken: string): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function startEmulator(directory: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [join(process.cwd(), "node_modules/cognito-local/lib/bin/start.js")],
    {
      cwd: directory,
      env: { ...process.env, PORT: String(port), HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes("Cognito Local running")) resolve(child);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`cognito-local exited ${code}: ${output}`)));
  });
}

async function stopEmulator(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill();
  await exited;
}

function renamePool(database: string, from: string, to: string): void {
  const rewrite = (file: string) =>
    readFileSync(file, "utf8").replaceAll(from, to).replaceAll(":local:", `:${POOL_REGION}:`);
  writeFileSync(join(database, `${to}.json`), rewrite(join(database, `${from}.json`)));
  rmSync(join(database, `${from}.json`));
  writeFileSync(join(database, "clients.json"), rewrite(join(database, "clients.json")));
}

export async function startCognitoLocal(): Promise<CognitoLocal> {
  const directory = mkdtempSync(join(tmpdir(), "cognito-local-"));
  mkdirSync(join(directory, ".cognito"));
  writeFileSync(
    join(directory, ".cognito", "config.json"),
    JSON.stringify({
      TokenConfig: { IssuerDomain: `https://cognito-idp.${POOL_REGION}.amazonaws.com` },
    }),
  );
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new CognitoIdentityProviderClient({
    region: POOL_REGION,
    endpoint,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });

  let child = await startEmulator(directory, port);
  const { UserPool } = await client.send(new CreateUserPoolCommand({ PoolName: "rinne" }));
  const localId = UserPool?.Id as string;
  const { UserPoolClient } = await client.send(
    new CreateUserPoolClientCommand({ UserPoolId: localId, ClientName: "web" }),
  );
  await stopEmulator(child);
  const userPoolId = `${POOL_REGION}_${localId.slice("local_".length)}`;
  renamePool(join(directory, ".cognito", "db"), localId, userPoolId);
  child = await startEmulator(directory, port);
  const jwks = await (await fetch(`${endpoint}/${userPoolId}/.well-known/jwks.json`)).text();
  const clientId = UserPoolClient?.ClientId as string;

  return {
    endpoint,
    client,
    userPoolId,
    clientId,
    jwks,
    async createUser(email) {
      await client.send(
        new AdminCreateUserCommand({
          UserPoolId: userPoolId,
          Username: email,
          TemporaryPassword: PASSWORD,
          MessageAction: "SUPPRESS",
          UserAttributes: [{ Name: "email", Value: email }],
        }),
      );
      await client.send(
        new AdminSetUserPasswordCommand({
          UserPoolId: userPoolId,
          Username: email,
          Password: PASSWORD,
          Permanent: true,
        }),
      );
    },
    async signIn(email) {
      const { AuthenticationResult } = await client.send(
        new InitiateAuthCommand({
          ClientId: clientId,
          AuthFlow: "USER_PASSWORD_AUTH",
          AuthParameters: { USERNAME: email, PASSWORD },
        }),
      );
      return {
        accessToken: AuthenticationResult?.AccessToken as string,
        refreshToken: AuthenticationResult?.RefreshToken as string,
      };
    },
    async refresh(refreshToken) {
      const { AuthenticationResult } = await client.send(
        new InitiateAuthCommand({
          ClientId: clientId,
          AuthFlow: "REFRESH_TOKEN_AUTH",
          AuthParameters: { REFRESH_TOKEN: refreshToken },
        }),
      );
      return AuthenticationResult?.AccessToken as string;
    },
    async stop() {
      await stopEmulator(child);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
