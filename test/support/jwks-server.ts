/**
 * A JWKS endpoint over real HTTPS on 127.0.0.1, whose answer a test sets: the issuer's keys, or
 * the nonsense a broken endpoint serves. Its self-signed certificate is trusted by this test
 * process only (Node's global HTTPS agent), as a real issuer's is by the public CAs.
 */
import https from "node:https";
import type { AddressInfo } from "node:net";
import selfsigned from "selfsigned";

export interface JwksServer {
  uri: string;
  /** Its certificate (PEM), for a child process to trust (NODE_EXTRA_CA_CERTS). */
  certificate: string;
  /** What the endpoint answers from now on: a status and a body (or none), after `delayMs`. */
  answer(status: number, body: string | undefined, contentType?: string, delayMs?: number): void;
  /** How many times the keys were fetched. */
  fetches(): number;
  close(): Promise<void>;
}

export async function startJwksServer(): Promise<JwksServer> {
  const pems = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
  });
  const trusted = https.globalAgent.options.ca;
  https.globalAgent.options.ca = [pems.cert];
  let status = 200;
  let body: string | undefined = '{"keys":[]}';
  let contentType = "application/json";
  let count = 0;
  let delay = 0;
  const server = https.createServer({ key: pems.private, cert: pems.cert }, (request, response) => {
    count++;
    request.resume();
    setTimeout(() => {
      if (response.destroyed) return;
      response.writeHead(status, { "Content-Type": contentType });
      response.end(body);
    }, delay);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    uri: `https://127.0.0.1:${port}/.well-known/jwks.json`,
    certificate: pems.cert,
    answer(nextStatus, nextBody, nextType = "application/json", delayMs = 0) {
      [status, body, contentType, delay] = [nextStatus, nextBody, nextType, delayMs];
    },
    fetches: () => count,
    close: () =>
      new Promise((resolve) => {
        https.globalAgent.options.ca = trusted;
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
