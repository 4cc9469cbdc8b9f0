// A heap dump with references, for the commands that ask what keeps objects alive (`paths`, `diff --retained`):
// its format by suffix (a one-line usage error for a file without references), then the graph with its dominators,
// retained sizes and per-type retention.
import { dominators } from "../analysis/retention/dominators.js";
import { dominatorTree, retainedSizes, type TypeRetention, typeRetention } from "../analysis/retention/retained.js";
import type { HeapGraph } from "../model/heap-graph.js";
import type { FormatDef } from "../runtime-kit/runtime.js";
import { GRAPH_FORMATS, graphFormatFor } from "../runtimes/index.js";
import { UsageError } from "./usage.js";

export const GRAPH_SUFFIXES = GRAPH_FORMATS.flatMap((f) => f.suffixes ?? []);

/** The format that reads file's graph; `what` (the command or option) starts the error when there is none. */
export function graphFormat(file: string, what: string): FormatDef & Required<Pick<FormatDef, "readGraph">> {
  const format = graphFormatFor(file);
  if (format?.readGraph === undefined) throw new UsageError(`${what} reads heap dumps with references (${GRAPH_SUFFIXES.join(", ")}); ${file} is not one`);
  return format as FormatDef & Required<Pick<FormatDef, "readGraph">>;
}

export interface FileRetention {
  graph: HeapGraph;
  /** Per node: its immediate dominator; -1 when unreachable. */
  idom: Int32Array;
  retained: Float64Array;
  types: TypeRetention;
}

/** Reads the file's graph and analyses what each object and type retains. */
export async function readRetention(file: string, format: Required<Pick<FormatDef, "readGraph">>): Promise<FileRetention> {
  const { graph } = await format.readGraph(file);
  const dom = dominators(graph);
  // Before the tree is laid out in the dominators' memory (their order is gone then).
  const retained = retainedSizes(graph, dom);
  return { graph, idom: dom.idom, retained, types: typeRetention(graph, dominatorTree(graph, dom)) };
}
