/**
 * How each function is bundled, in esbuild's own terms, written once: the stack hands them to
 * NodejsFunction (`bundled-function.ts`), the bench to esbuild, so the bench measures what is
 * deployed.
 */

export const BUNDLING = {
  format: "esm",
  // The runtime's own: Lambda's nodejs24.x.
  target: "node24",
  platform: "node",
  minify: true,
  // 7 KiB a bundle: errors name themselves (`domain/errors.ts`, `auth/verification-errors.ts`).
  keepNames: false,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ["module", "main"],
  // No `createRequire` banner: nothing bundled calls `require` (the bundle test runs each one).
  // No legal comments: the only ones found are Powertools' coverage hints, not licenses.
  legalComments: "none",
  // The runtime's own AWS SDK, loaded only on the paths that call Cognito.
  external: ["@aws-sdk/*"],
  // Errors only: its size report per file and per synth is noise in a synth's or a test's output.
  logLevel: "error",
} as const;
