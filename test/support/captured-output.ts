/** Captures what the function writes to stdout/stderr (where Powertools logs go) in a test. */
import { afterEach, beforeEach, vi } from "vitest";

export function captureOutput(): {
  text(): string;
  lines(): Record<string, unknown>[];
  /** Forgets what was written so far in this test. */
  clear(): void;
} {
  let chunks: string[] = [];
  beforeEach(() => {
    chunks = [];
    const keep = (chunk: unknown) => {
      chunks.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, "write").mockImplementation(keep);
    vi.spyOn(process.stderr, "write").mockImplementation(keep);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return {
    clear: () => {
      chunks = [];
    },
    text: () => chunks.join(""),
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
