// The one place that turns a failure into leakwatch's exit code and the line printed before exiting, whichever
// subcommand failed: 2 when the user must change the command line or configuration, 1 when leakwatch itself failed.
import { ConfigError } from "../config/load.js";
import { ListenError } from "../daemon.js";
import { ParseError } from "../model/parse-error.js";
import { TargetError } from "../targets/manager.js";
import { UsageError } from "./usage.js";

export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

/** Errors naming something the user gave: a flag, a config value, a target that is not there. */
const USAGE_ERRORS = [UsageError, ConfigError, TargetError];
/** Errors of leakwatch's own work, whose message already says what failed. */
const RUNTIME_ERRORS = [ListenError, ParseError];
/** Node's codes for a file that cannot be read as given; reported as "cannot read FILE: CODE". */
const FILE_CODES = new Set(["ENOENT", "EACCES", "EISDIR"]);
/** Only failures to read: a directory leakwatch cannot create keeps Node's own message, which names the operation. */
const READ_SYSCALLS = new Set(["open", "read", "stat", "lstat", "fstat", "scandir"]);

export interface Failure {
  code: number;
  /** Printed after "leakwatch: ". One line, except the no-target hint, which lists examples. */
  message: string;
}

export function failureOf(err: unknown): Failure {
  if (USAGE_ERRORS.some((c) => err instanceof c)) return { code: EXIT_USAGE, message: (err as Error).message };
  if (RUNTIME_ERRORS.some((c) => err instanceof c)) return { code: EXIT_RUNTIME, message: (err as Error).message };
  const e = err as NodeJS.ErrnoException;
  if (e instanceof Error && e.path && FILE_CODES.has(e.code ?? "") && READ_SYSCALLS.has(e.syscall ?? "")) {
    return { code: EXIT_RUNTIME, message: `cannot read ${e.path}: ${e.code}` };
  }
  return { code: EXIT_RUNTIME, message: err instanceof Error ? err.message : String(err) };
}

/** Prints the failure as `leakwatch: MESSAGE` on stderr and exits with its code. */
export function exitWith(err: unknown): never {
  const { code, message } = failureOf(err);
  process.stderr.write(`leakwatch: ${message}\n`);
  process.exit(code);
}
