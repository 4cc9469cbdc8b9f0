// `leakwatch parse FILE`: the normalised per-type table of one dump of any supported format.
import { readDumpFile, FILE_FORMATS } from "./read-dump.js";
import { fmtInt, renderTable } from "./table.js";
import { formatBytes } from "../util/units.js";
import { UsageError } from "./usage.js";
import { DUMP_FILE_OPTIONS, checkFormat, parseArgsOrUsage } from "./dump-args.js";

export const PARSE_HELP = `Usage: leakwatch parse FILE [--format FORMAT] [--json] [--top N]

Prints the per-type table (objects, bytes, type) of a heap dump or histogram, with type names normalised.
Formats (detected when --format is not given): ${FILE_FORMATS.join(", ")}.`;

export async function parseCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgsOrUsage(argv, DUMP_FILE_OPTIONS);
  if (values.help) {
    process.stdout.write(PARSE_HELP + "\n");
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("parse takes one FILE (see leakwatch parse --help)");
  const format = checkFormat(values.format as string | undefined);
  const summary = await readDumpFile(positionals[0]!, { format, progress: true });
  if (values.json) {
    process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
    return 0;
  }
  const top = values.top ? Number(values.top) : Infinity;
  const rows = summary.types.slice(0, top).map((r) => [fmtInt(r.count), fmtInt(r.bytes), r.type]);
  process.stdout.write(
    `${summary.format}: ${fmtInt(summary.totalObjects)} objects, ${formatBytes(summary.totalBytes)}, ${summary.types.length} types` +
      `${summary.bytesExact ? "" : " (bytes per type are ESTIMATES)"}\n` +
      summary.notes.map((n) => `note: ${n}\n`).join("") +
      "\n" +
      renderTable(["objects", "bytes", "type"], rows, [true, true, false]) +
      "\n",
  );
  return 0;
}
