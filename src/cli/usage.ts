/** Bad usage of a subcommand: printed as one line, exit 2. */
export class UsageError extends Error {}
