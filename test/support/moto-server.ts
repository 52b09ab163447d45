/**
 * moto's server (`moto_server`, on this kind of machine, not a user's): an independent
 * implementation of AWS's APIs for cross-checks and attack tests. A suite that needs it skips,
 * saying so, where it is absent.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";

export const MOTO_INSTALLED =
  spawnSync("moto_server", ["--help"], { stdio: "ignore" }).status === 0;

export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
}

/** moto on loopback, on a port of its own (`base` + the process id), once it answers. */
export async function startMotoServer(base: number): Promise<MotoServer> {
  const port = base + (process.pid % 20_000);
  const endpoint = `http://127.0.0.1:${port}`;
  const moto: ChildProcess = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: "ignore",
  });
  let exited: number | null | undefined;
  moto.once("exit", (code) => {
    exited = code;
  });
  // Python's start is slow on a busy machine (a CI run saw it past 10 s): up to 45 s, unless it
  // has exited (its port taken), which is said at once.
  for (let tries = 0; ; tries++) {
    try {
      await fetch(endpoint);
      break;
    } catch (error) {
      if (exited !== undefined) throw new Error(`moto_server exited (${exited}) on port ${port}`);
      if (tries > 450) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    endpoint,
    async stop() {
      const exited = once(moto, "exit");
      moto.kill();
      await exited;
    },
  };
}
