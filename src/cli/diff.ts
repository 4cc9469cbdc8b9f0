// `leakwatch diff A B`: which types grew between two dumps — the compare-two-snapshots step of the manual method.
import { diffDumps } from "../analysis/index.js";
import { GRAPH_SUFFIXES, graphFormat, readRetention } from "./graph-file.js";
import { readDumpFile } from "./read-dump.js";
import { DUMP_FILE_OPTIONS, checkFormat, parseArgsOrUsage } from "./dump-args.js";
import { fmtInt, renderTable, signed } from "./table.js";
import { UsageError } from "./usage.js";

export const DIFF_HELP = `Usage: leakwatch diff OLDER NEWER [--format FORMAT] [--retained] [--json] [--top N]

Ranks types by growth in bytes between two dumps of any supported format (they may differ in format).
Shows the top 30 by default. With --retained, both must be heap dumps with references
(${GRAPH_SUFFIXES.join(", ")}): types are ranked by the growth of what their
instances keep alive (retained bytes, an instance inside another of the same type counted once), which puts
an owner that holds the growth (Session) above what it holds.`;

/** Per type: reachable instances and retained bytes of one heap dump with references (read, analysed, let go). */
async function retainedByType(file: string): Promise<Map<string, { count: number; bytes: number }>> {
  const { graph, types } = await readRetention(file, graphFormat(file, "--retained"));
  const out = new Map<string, { count: number; bytes: number }>();
  graph.typeNames.forEach((name, t) => {
    if (types.reachable[t]! > 0) out.set(name, { count: types.reachable[t]!, bytes: types.bytes[t]! });
  });
  return out;
}

export async function diffCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgsOrUsage(argv, { ...DUMP_FILE_OPTIONS, retained: { type: "boolean" } });
  if (values.help) {
    process.stdout.write(DIFF_HELP + "\n");
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError("diff takes two files, OLDER and NEWER (see leakwatch diff --help)");
  const top = values.top ? Number(values.top) : 30;
  if (values.retained) {
    // One graph at a time: two 10 M-object graphs need not be in memory together.
    const before = await retainedByType(positionals[0]!);
    const after = await retainedByType(positionals[1]!);
    const rows = diffDumps(
      [...before].map(([type, r]) => ({ type, ...r })),
      [...after].map(([type, r]) => ({ type, ...r })),
    );
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ older: positionals[0], newer: positionals[1], retained: true, rows: rows.slice(0, top) }, null, 2)}\n`);
      return 0;
    }
    const table = rows
      .slice(0, top)
      .map((r) => [signed(r.deltaBytes), signed(r.deltaCount), fmtInt(r.bytesA), fmtInt(r.bytesB), r.status === "both" ? r.type : `${r.type} (${r.status})`]);
    process.stdout.write(`${renderTable(["Δretained", "Δobjects", "retained before", "retained after", "type"], table, [true, true, true, true, false])}\n`);
    return 0;
  }
  const format = checkFormat(values.format as string | undefined);
  const [a, b] = await Promise.all(positionals.map((f) => readDumpFile(f, { format, progress: true })));
  const rows = diffDumps(a!.types, b!.types);
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
