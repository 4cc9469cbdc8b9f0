// Runs the built `leakwatch` command as a user would.
import { execa, type ResultPromise } from "execa";
import path from "node:path";

export const BIN = path.resolve(__dirname, "../../bin/leakwatch.js");

export function leakwatch(args: string[], opts: { env?: Record<string, string>; timeout?: number } = {}): ResultPromise {
  return execa(process.execPath, [BIN, ...args], {
    reject: false,
    env: { LEAKWATCH_LOG_LEVEL: "warn", ...opts.env },
    timeout: opts.timeout ?? 30_000,
    stdin: "ignore",
  });
}
