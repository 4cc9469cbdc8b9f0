// Runs the built `leakwatch` command as a user would.
import { execa, type ResultPromise } from "execa";
import path from "node:path";

export const BIN = path.resolve(__dirname, "../../bin/leakwatch.js");

/** stdin "pipe" keeps leakwatch's (and so a launched target's) stdin open: some targets exit at end of input. */
// The return type names the options so that stdout and stderr are typed as strings (execa's default is a union).
export function leakwatch(
  args: string[],
  opts: { env?: Record<string, string>; timeout?: number; stdin?: "ignore" | "pipe" } = {},
): ResultPromise<{ reject: false; stdin: "ignore" | "pipe" }> {
  return execa(process.execPath, [BIN, ...args], {
    reject: false,
    env: { LEAKWATCH_LOG_LEVEL: "warn", ...opts.env },
    timeout: opts.timeout ?? 30_000,
    stdin: opts.stdin ?? "ignore",
  });
}
