/**
 * How the local commands refuse what a user typed: one line that names it and how to fix it
 * (the usage after it, where given), exit code 2, and no stack trace.
 */
export function refuse(message: string, usage?: string): never {
  console.error(usage === undefined ? message : `${message}\n${usage}`);
  process.exit(2);
}
