/** Captures what the function writes to stdout/stderr (where Powertools logs go) in a test. */
import { afterEach, beforeEach, vi } from "vitest";

export function captureOutput(): { text(): string; lines(): Record<string, unknown>[] } {
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
    text: () => chunks.join(""),
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
