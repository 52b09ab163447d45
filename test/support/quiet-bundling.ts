/**
 * Keeps CDK's "Bundling asset …" lines, which it writes straight to stderr at every bundling
 * synth, out of the test report; every other line passes. (esbuild's own report is off by the
 * bundling options' log level.)
 */
const write = process.stderr.write.bind(process.stderr);
process.stderr.write = ((chunk: unknown, ...rest: unknown[]) =>
  typeof chunk === "string" && /^Bundling asset \S+\.\.\.\n$/.test(chunk)
    ? true
    : (write as (...args: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stderr.write;
