// The heap as a graph: what every runtime's graph reader (V8 snapshots, .NET heap dumps, HPROF) produces
// and what the retention analysis (dominators, retained sizes, paths, leaks grouped by owner) reads. Typed arrays in
// compressed sparse row form, never an object per heap object: a 20 M-object heap must fit in a few hundred MB.
//
// Only strong references are edges: a reader leaves out what does not retain (V8's weak edges, .NET weak handles),
// so every algorithm can follow every edge.
//
// Memory bound, per object N and per strong reference E (the readers + src/analysis/retention as analyseRetention
// runs it, measured in bench/retention/, bench/hprof/, bench/dotnet-graph/): the graph is 10 B per object (nodeType
// in 16 bits where the types fit, nodeSize in 32 bits unless an object reaches 4 GiB, edgeStart) and per reference
// 9 B for V8 (edgeTarget, edgeName, edgeRank), 8 B for HPROF, 4 B for .NET (its edge names are derived, not stored);
// dominators work in 12 B per object and none per reference and keep all 12 (idom, order, and a scratch array),
// and the dominator tree is laid out in the order and the scratch, type retention and leak grouping walk it with
// 12 B per level of its depth (never per object), and the path search without ranks (HPROF, .NET) runs in the tree's
// memory once the leaks are grouped; V8's ranked search adds 1 B and a queue of a few 4-byte entries per object.
// Peak ≈ 22 N + 4 E bytes for .NET, 22 N + 8 E for HPROF, ≈ 27 N + 9 E for V8 (+ 12 B per tree level): 10 M .NET
// objects and 14 M references, 0.28 GB; the measured peak RSS adds Node itself (~50 MB) and what a step let go that
// the collector has not freed yet. A reader holds more while it reads (see each reader).

export interface HeapGraph {
  readonly nodeCount: number;
  /** Per node: its type, an index into typeNames; 16 bits where the types are few enough (2 bytes an object less). */
  readonly nodeType: Uint16Array | Uint32Array;
  /**
   * Per node: its shallow size in bytes. A Uint32Array (4 bytes an object less) unless an object reaches 4 GiB: the
   * .NET and HPROF readers widen to a Float64Array for a heap that has one; V8 objects never do.
   */
  readonly nodeSize: Float64Array | Uint32Array;
  /** Per node i: its out-edges are edgeTarget[edgeStart[i] .. edgeStart[i + 1]); nodeCount + 1 entries. */
  readonly edgeStart: Uint32Array;
  readonly edgeTarget: Uint32Array;
  /**
   * Per edge: its name for retention paths. ≥ 0: an index into `names` (a property, field or variable name);
   * < 0: an element index, -1 - index (array or collection slot). Or, where the runtime logs no name per reference
   * (.NET), the rule that names each edge by the types at its ends (EdgeNamesByType): 4 bytes per reference less.
   */
  readonly edgeName: Int32Array | EdgeNamesByType;
  /**
   * Optional, per edge: how readable it is on a retention path, 0 (a property, element or closure variable the
   * program names) to 2 (runtime-internal, hidden). Paths prefer low ranks where a path exists; absent: all 0.
   */
  readonly edgeRank?: Uint8Array;
  /** The GC roots: the nodes nothing needs to hold (a synthetic root node, or every rooted object). */
  readonly roots: Uint32Array;
  /** Per root (same order as roots): what roots it, an index into `names` ("static field Foo.cache", "stack"). */
  readonly rootName: Int32Array;
  /**
   * Optional, per root: 1 where the root holds objects only for a moment (V8's handle scopes: whatever native code
   * had in hand when the snapshot was taken). Paths start from such a root only for what no other root reaches: the
   * way a leak is held, not what happened to be in hand. Absent: all 0.
   */
  readonly rootRank?: Uint8Array;
  readonly typeNames: readonly string[];
  readonly names: readonly string[];
}

/** EdgeNamesByType.fields: a field that can hold an object of any type (declared as object). */
export const ANY_FIELD_TYPE = 0xffffffff;

/**
 * Edge names derived rather than stored: an edge listed in `special` is named `specialName`; else an edge from an
 * instance of a type flagged in `elementTypes` (an array) is named `element`; any other by its field where `fields`
 * tells it, else `names[field + the type of its target]` (a field holding a T, its name unknown).
 */
export interface EdgeNamesByType {
  /** Per type: 1 where the references of its instances are elements. */
  readonly elementTypes: Uint8Array;
  readonly element: number;
  readonly field: number;
  /** Edge indices, ascending, named specialName (.NET: ConditionalWeakTable values). */
  readonly special: Uint32Array;
  readonly specialName: number;
  /**
   * Per referring type (start: typeCount + 1 offsets), its reference fields by the types on the heap each can hold:
   * that type (or ANY_FIELD_TYPE: any) and the field's name (in names). A reference is named by the field when exactly
   * one field of its source's type can hold its target's type, else by `field` + the target's type.
   */
  readonly fields?: { readonly start: Uint32Array; readonly type: Uint32Array; readonly name: Uint32Array };
}

/** The name of edge e, as a path shows it: `.name` for a property or field, `[i]` for an element. */
export function edgeLabel(g: HeapGraph, e: number): string {
  const n = edgeNameOf(g, e);
  if (n < 0) return `[${-1 - n}]`;
  return g.names[n] ?? "?";
}

/** The entry of edge e in g.edgeName, stored or derived. */
export function edgeNameOf(g: HeapGraph, e: number): number {
  const names = g.edgeName;
  if (ArrayBuffer.isView(names)) return names[e]!;
  if (sortedIndexOf(names.special, e) >= 0) return names.specialName;
  const v = edgeSource(g, e);
  const from = g.nodeType[v]!;
  if (names.elementTypes[from] === 1) return names.element;
  const to = g.nodeType[g.edgeTarget[e]!]!;
  const field = names.fields === undefined ? undefined : fieldOf(g, names.fields, v, to);
  return field ?? names.field + to;
}

/**
 * The field through which node v refers to an object of type `to` (EdgeNamesByType.fields), where it can be told:
 * exactly one field of v's type can hold a `to`, v refers to one `to` only, and the fields declared as object (which
 * can hold anything) are all needed for v's references that no other field can hold (a lock object, say).
 */
function fieldOf(g: HeapGraph, f: NonNullable<EdgeNamesByType["fields"]>, v: number, to: number): number | undefined {
  const from = g.nodeType[v]!;
  let typed = -1;
  let typedCount = 0;
  let any = -1;
  let anyCount = 0;
  for (let i = f.start[from]!; i < f.start[from + 1]!; i++) {
    if (f.type[i] === ANY_FIELD_TYPE) {
      anyCount++;
      any = f.name[i]!;
    } else if (f.type[i] === to) {
      typedCount++;
      typed = f.name[i]!;
    }
  }
  if (typedCount > 1 || typedCount + anyCount === 0) return undefined;
  // v's references to a `to`, and to what only an object field can hold.
  let same = 0;
  let others = 0;
  for (let k = g.edgeStart[v]!; k < g.edgeStart[v + 1]!; k++) {
    const t = g.nodeType[g.edgeTarget[k]!]!;
    if (t === to) same++;
    else if (!typedFieldHolds(f, from, t)) others++;
  }
  if (same !== 1) return undefined;
  if (typedCount === 1) return others >= anyCount ? typed : undefined;
  return anyCount === 1 && others === 0 ? any : undefined;
}

function typedFieldHolds(f: NonNullable<EdgeNamesByType["fields"]>, from: number, t: number): boolean {
  for (let i = f.start[from]!; i < f.start[from + 1]!; i++) if (f.type[i] === t) return true;
  return false;
}

/** The node whose out-edges hold edge e: the last node whose edges start at or before e (edgeStart is sorted; nodes
 * without edges share their start with the next node, so the last of them with start ≤ e is the one with e). */
export function edgeSource(g: HeapGraph, e: number): number {
  let lo = 0;
  let hi = g.nodeCount - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (g.edgeStart[mid]! <= e) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The buffers behind a graph's typed arrays, each once (two arrays may share one): a transfer list to a thread. */
export function graphBuffers(g: HeapGraph): ArrayBuffer[] {
  const f = ArrayBuffer.isView(g.edgeName) ? undefined : g.edgeName.fields;
  const names = ArrayBuffer.isView(g.edgeName) ? [g.edgeName] : [g.edgeName.elementTypes, g.edgeName.special, f?.start, f?.type, f?.name];
  const arrays = [g.nodeType, g.nodeSize, g.edgeStart, g.edgeTarget, ...names, g.roots, g.rootName, g.edgeRank, g.rootRank];
  const all = arrays.flatMap((a) => (a === undefined ? [] : [a.buffer]));
  return [...new Set(all)].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}

/** The position of v in an ascending array, or -1: for the places that keep a sorted list of indices, not a Map. */
export function sortedIndexOf(a: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const x = a[mid]!;
    if (x === v) return mid;
    if (x < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
