/**
 * A private npm registry on loopback, as the team's would answer: verdaccio, with no uplink (a
 * name it does not hold is a 404, never fetched from the public registry) and anyone allowed to
 * publish (the token a workflow sends is not checked here; GitHub Packages checks it there).
 */
import { mkdtempSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runServer } from "verdaccio";

export interface LocalRegistry {
  url: string;
  stop(): Promise<void>;
}

export async function startLocalRegistry(): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "registry-"));
  const app = await runServer({
    self_path: dir,
    storage: join(dir, "storage"),
    uplinks: {},
    packages: { "**": { access: "$all", publish: "$all", unpublish: "$all" } },
    auth: { htpasswd: { file: join(dir, "htpasswd"), max_users: -1 } },
    log: { type: "stdout", format: "pretty", level: "fatal" },
  } as never);
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
