// Arguments shared by the commands that read dump files (parse, diff): one option set, one format check.
import { parseArgs } from "node:util";
import type { HeapFormat } from "../model/summary.js";
import { FILE_FORMATS } from "./read-dump.js";
import { UsageError } from "./usage.js";

export const DUMP_FILE_OPTIONS = {
  format: { type: "string" },
  json: { type: "boolean" },
  top: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export function checkFormat(f: string | undefined): HeapFormat | undefined {
  if (f === undefined) return undefined;
  if (!FILE_FORMATS.includes(f as HeapFormat)) throw new UsageError(`--format: expected one of ${FILE_FORMATS.join(", ")}, got ${JSON.stringify(f)}`);
  return f as HeapFormat;
}

type OptionSpecs = Record<string, { type: "string" | "boolean"; short?: string }>;

export function parseArgsOrUsage(argv: string[], options: OptionSpecs): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (err) {
    throw new UsageError((err as Error).message.split(". ")[0]!);
  }
}
