// The heap as a graph: what every runtime's graph reader (V8 snapshots, .NET heap dumps, HPROF) produces
// and what the retention analysis (dominators, retained sizes, paths, leaks grouped by owner) reads. Typed arrays in
// compressed sparse row form, never an object per heap object: a 20 M-object heap must fit in a few hundred MB.
//
// Only strong references are edges: a reader leaves out what does not retain (V8's weak edges, .NET weak handles),
// so every algorithm can follow every edge.

export interface HeapGraph {
  readonly nodeCount: number;
  /** Per node: its type, an index into typeNames. */
  readonly nodeType: Uint32Array;
  /** Per node: its shallow size in bytes (a Float64Array: .NET and JVM arrays may exceed 4 GiB). */
  readonly nodeSize: Float64Array;
  /** Per node i: its out-edges are edgeTarget[edgeStart[i] .. edgeStart[i + 1]); nodeCount + 1 entries. */
  readonly edgeStart: Uint32Array;
  readonly edgeTarget: Uint32Array;
  /**
   * Per edge: its name for retention paths. ≥ 0: an index into `names` (a property, field or variable name);
   * < 0: an element index, -1 - index (array or collection slot).
   */
  readonly edgeName: Int32Array;
  /**
   * Optional, per edge: how readable it is on a retention path, 0 (a property, element or closure variable the
   * program names) to 2 (runtime-internal, hidden). Paths prefer low ranks where a path exists; absent: all 0.
   */
  readonly edgeRank?: Uint8Array;
  /** The GC roots: the nodes nothing needs to hold (a synthetic root node, or every rooted object). */
  readonly roots: Uint32Array;
  /** Per root (same order as roots): what roots it, an index into `names` ("static field Foo.cache", "stack"). */
  readonly rootName: Int32Array;
  readonly typeNames: readonly string[];
  readonly names: readonly string[];
}

/** The name of edge e, as a path shows it: `.name` for a property or field, `[i]` for an element. */
export function edgeLabel(g: HeapGraph, e: number): string {
  const n = g.edgeName[e]!;
  if (n < 0) return `[${-1 - n}]`;
  return g.names[n] ?? "?";
}
