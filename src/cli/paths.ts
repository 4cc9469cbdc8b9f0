// `leakwatch paths FILE --type TYPE`: what keeps a type's instances alive — the `!gcroot` step of the manual method.
// Without --type: the types that retain the most, as DevTools' Summary sorts by retained size.
import { pathTo, shortestPaths } from "../analysis/retention/paths.js";
import { GRAPH_SUFFIXES, graphFormat, readRetention } from "./graph-file.js";
import { parseArgsOrUsage } from "./dump-args.js";
import { fmtInt, renderTable } from "./table.js";
import { UsageError } from "./usage.js";

export const PATHS_HELP = `Usage: leakwatch paths FILE [--type TYPE] [--paths N] [--top N] [--json]

Reads a heap dump that holds the references between objects (${GRAPH_SUFFIXES.join(", ")}) and says what keeps
objects alive: with --type, the retained bytes of TYPE's instances and, for its N largest instances (default 3),
the shortest chain of references from a GC root; without --type, the top N types (default 20) by retained
bytes (an instance inside another instance of the same type counted once).`;

const OPTIONS = {
  type: { type: "string" },
  paths: { type: "string" },
  top: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

function count(v: string | boolean | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new UsageError(`--${name}: expected a whole number from 1 to 10000, got ${JSON.stringify(v)}`);
  return n;
}

export async function pathsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgsOrUsage(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(PATHS_HELP + "\n");
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("paths takes one FILE (see leakwatch paths --help)");
  const file = positionals[0]!;
  const format = graphFormat(file, "paths");
  const wanted = values.type as string | undefined;
  const nPaths = count(values.paths, "paths", 3);
  const top = count(values.top, "top", 20);

  const { graph, idom, retained, types } = await readRetention(file, format);
  const shallow = new Float64Array(graph.typeNames.length);
  for (let i = 0; i < graph.nodeCount; i++) shallow[graph.nodeType[i]!]! += graph.nodeSize[i]!;

  if (wanted === undefined) {
    const order = [...graph.typeNames.keys()].sort((a, b) => types.bytes[b]! - types.bytes[a]!).slice(0, top);
    const rows = order.map((t) => ({ type: graph.typeNames[t]!, instances: types.reachable[t]!, shallowBytes: shallow[t]!, retainedBytes: types.bytes[t]! }));
    if (values.json) process.stdout.write(`${JSON.stringify({ file, types: rows }, null, 2)}\n`);
    else {
      const table = rows.map((r) => [fmtInt(r.retainedBytes), fmtInt(r.shallowBytes), fmtInt(r.instances), r.type]);
      process.stdout.write(`${renderTable(["retained bytes", "shallow bytes", "objects", "type"], table, [true, true, true, false])}\n`);
    }
    return 0;
  }

  const t = graph.typeNames.indexOf(wanted);
  if (t < 0) throw new UsageError(`--type: no type named ${JSON.stringify(wanted)} in ${file} (leakwatch paths ${file} lists the largest)`);
  const instances: number[] = [];
  for (let i = 0; i < graph.nodeCount; i++) if (graph.nodeType[i] === t && idom[i] !== -1) instances.push(i);
  instances.sort((a, b) => retained[b]! - retained[a]!);
  const sp = shortestPaths(graph);
  const shown = instances.slice(0, nPaths).map((node) => ({ retainedBytes: retained[node]!, path: pathTo(graph, sp, node) ?? [] }));
  const result = { file, type: wanted, instances: types.reachable[t]!, shallowBytes: shallow[t]!, retainedBytes: types.bytes[t]!, paths: shown };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  const out = [
    `${wanted}: ${fmtInt(result.instances)} reachable objects, ${fmtInt(result.shallowBytes)} bytes shallow, ${fmtInt(result.retainedBytes)} bytes retained`,
  ];
  shown.forEach((s, k) => {
    out.push("", `#${k + 1}: retains ${fmtInt(s.retainedBytes)} bytes`);
    for (const step of s.path) out.push(`  ${step.edge} → ${step.type}`);
  });
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}
