/**
 * The test run's own temporary folder: every suite's `mkdtemp` under `os.tmpdir()` lands in it
 * (the workers inherit TMPDIR), and it is removed when the run ends, so a run leaves nothing
 * behind in the machine's /tmp (synths, assemblies, bundles: megabytes a run).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup() {
  const folder = mkdtempSync(join(tmpdir(), "rinne-auth-tests-"));
  process.env.TMPDIR = folder;
  return () => rmSync(folder, { recursive: true, force: true });
}
