// `leakwatch diff A B`: which types grew between two dumps — the compare-two-snapshots step of the manual method.
import { diffDumps } from "../analysis/index.js";
import { readDumpFile } from "./read-dump.js";
import { DUMP_FILE_OPTIONS, checkFormat, parseArgsOrUsage } from "./dump-args.js";
import { fmtInt, renderTable, signed } from "./table.js";
import { UsageError } from "./usage.js";

export const DIFF_HELP = `Usage: leakwatch diff OLDER NEWER [--format FORMAT] [--json] [--top N]

Ranks types by growth in bytes between two dumps of any supported format (they may differ in format).
Shows the top 30 by default.`;

export async function diffCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgsOrUsage(argv, DUMP_FILE_OPTIONS);
  if (values.help) {
    process.stdout.write(DIFF_HELP + "\n");
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError("diff takes two files, OLDER and NEWER (see leakwatch diff --help)");
  const format = checkFormat(values.format as string | undefined);
  const [a, b] = await Promise.all(positionals.map((f) => readDumpFile(f, { format, progress: true })));
  const rows = diffDumps(a!.types, b!.types);
  const top = values.top ? Number(values.top) : 30;
  if (values.json) {
    process.stdout.write(JSON.stringify({ older: positionals[0], newer: positionals[1], rows: rows.slice(0, top) }, null, 2) + "\n");
    return 0;
  }
  const table = rows
    .slice(0, top)
    .map((r) => [signed(r.deltaBytes), signed(r.deltaCount), fmtInt(r.bytesA), fmtInt(r.bytesB), r.status === "both" ? r.type : `${r.type} (${r.status})`]);
  const estimates = !a!.bytesExact || !b!.bytesExact ? "\n(bytes per type are estimates in at least one dump)" : "";
  process.stdout.write(renderTable(["Δbytes", "Δobjects", "bytes before", "bytes after", "type"], table, [true, true, true, true, false]) + estimates + "\n");
  return 0;
}
