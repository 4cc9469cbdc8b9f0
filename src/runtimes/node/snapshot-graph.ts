// The heap graph of a V8 snapshot, collected while the streaming parser (snapshot.ts) reads "nodes" and "edges":
// per node its type key, size and edge count; per strong edge its target and name. Weak edges do not retain and
// are left out. 16 bytes per node and 8 per strong edge, plus the distinct edge-name strings (property names are
// interned by V8: thousands, not millions).
import type { HeapGraph } from "../../model/heap-graph.js";

function grownU32(a: Uint32Array<ArrayBuffer>, need: number): Uint32Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const b = new Uint32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}
function grownI32(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** Edge and node kinds as the snapshot's meta names them. */
export interface EdgeKinds {
  /** Kinds whose edges do not retain (V8: "weak"). */
  weak: ReadonlySet<number>;
  /** Kinds whose name_or_index is an index, not a string (V8: "element", "hidden"). */
  indexed: ReadonlySet<number>;
  /**
   * Kinds that are not essential references (V8: "shortcut"), kept only from the synthetic root (node 0), where
   * they mark the global objects — as DevTools' dominator tree does.
   */
  shortcut: ReadonlySet<number>;
  /** Per edge kind: its rank on a retention path (HeapGraph.edgeRank); kinds past the end rank 2. */
  rank: readonly number[];
  /** The node kind of V8's synthetic grouping nodes ("(GC roots)", "(Stack roots)", …), -1 when absent. */
  synthetic: number;
}

/** What names a V8 snapshot gives ephemeron (WeakMap) edges: "3 / part of key (K @1) -> value (V @2) pair in WeakMap (table @3)". */
const EPHEMERON = / part of key \(.*\) -> value \(.*\) pair in WeakMap/;

export class SnapshotGraphCollector {
  private nodes = 0;
  /** Per node: ≥ 0, a name slot of the parser; < 0, -1 - node kind (strings, code, …: bucketed by kind). */
  private key = new Int32Array(1024);
  /** V8 objects are below 4 GiB (its largest are around 1 GiB): 4 bytes per size. */
  private size = new Uint32Array(1024);
  private edgeCount = new Uint32Array(1024);
  private edgeStart = new Uint32Array(1025);
  private target = new Uint32Array(4096);
  private name = new Int32Array(4096);
  private rank = new Uint8Array(4096);
  private edges = 0;
  /** Synthetic nodes (V8's root groups): node index → name string index. A few dozen. */
  private readonly synthetic = new Map<number, number>();
  /** Per edge kind (the hot path wants no Set lookups): 1 weak, 2 shortcut; and its rank; 1 when indexed. */
  private readonly kindFlag: Uint8Array;
  private readonly kindRank: Uint8Array;
  private readonly kindIndexed: Uint8Array;
  /** Per string index: 1 when an edge is named by it (decoded at the end). Grows with the highest index seen. */
  private nameUsed = new Uint8Array(1 << 16);
  private built: HeapGraph | undefined;
  private edgesSeen = 0;
  /** The node whose edges are being read, and how many of its edges are still to come. */
  private from = 0;
  private left = 0;

  constructor(
    private readonly kinds: EdgeKinds,
    private readonly nodeFields: number,
    expectedNodes = 0,
    /** snapshot.edge_count: sized once, no doubling (a doubling holds old and new arrays at once: 3× the edges). */
    expectedEdges = 0,
  ) {
    const kinds1 = Math.max(16, ...kinds.weak, ...kinds.shortcut, ...kinds.indexed, kinds.rank.length) + 1;
    this.kindFlag = new Uint8Array(kinds1);
    this.kindRank = new Uint8Array(kinds1).fill(2);
    this.kindIndexed = new Uint8Array(kinds1);
    for (const k of kinds.weak) this.kindFlag[k] = 1;
    for (const k of kinds.shortcut) this.kindFlag[k] = 2;
    for (const k of kinds.indexed) this.kindIndexed[k] = 1;
    kinds.rank.forEach((r, k) => {
      this.kindRank[k] = r;
    });
    if (expectedEdges > 0) {
      this.target = new Uint32Array(expectedEdges);
      this.name = new Int32Array(expectedEdges);
      this.rank = new Uint8Array(expectedEdges);
    }
    if (expectedNodes > 0) {
      this.key = new Int32Array(expectedNodes);
      this.size = new Uint32Array(expectedNodes);
      this.edgeCount = new Uint32Array(expectedNodes);
    }
  }

  node(key: number, size: number, edgeCount: number, kind = -1, nameIndex = 0): void {
    const i = this.nodes++;
    if (kind === this.kinds.synthetic && kind >= 0) this.synthetic.set(i, nameIndex);
    if (i >= this.key.length) {
      this.key = grownI32(this.key, i + 1);
      this.size = grownU32(this.size, i + 1);
      this.edgeCount = grownU32(this.edgeCount, i + 1);
    }
    this.key[i] = key;
    this.size[i] = Math.min(size, 0xffffffff);
    this.edgeCount[i] = edgeCount;
  }

  /** Before the first edge: where each node's edges start once weak ones are dropped is filled in as they come. */
  startEdges(): void {
    this.edgeStart = new Uint32Array(this.nodes + 1);
    this.from = 0;
    this.left = this.nodes > 0 ? this.edgeCount[0]! : 0;
    this.skipEmpty();
  }

  /** One edge; returns an error text when it does not fit the nodes (the parser fails with it). */
  edge(kind: number, nameOrIndex: number, toNode: number): string | undefined {
    this.edgesSeen++;
    if (this.from >= this.nodes) return `more edges than the nodes' edge counts add up to`;
    if (toNode % this.nodeFields !== 0 || toNode / this.nodeFields >= this.nodes) return `edge to ${toNode}, not a node`;
    const flag = kind < this.kindFlag.length ? this.kindFlag[kind]! : 0;
    if (flag === 0 || (flag === 2 && this.from === 0)) {
      const e = this.edges++;
      if (e >= this.target.length) {
        this.target = grownU32(this.target, e + 1);
        this.name = grownI32(this.name, e + 1);
        const r = new Uint8Array(this.target.length);
        r.set(this.rank);
        this.rank = r;
      }
      this.target[e] = toNode / this.nodeFields;
      this.rank[e] = kind < this.kindRank.length ? this.kindRank[kind]! : 2;
      if (kind < this.kindIndexed.length && this.kindIndexed[kind] === 1) this.name[e] = -1 - Math.min(nameOrIndex, 0x7ffffffe);
      else {
        this.name[e] = nameOrIndex;
        if (nameOrIndex >= this.nameUsed.length) {
          const grown = new Uint8Array(Math.max(nameOrIndex + 1, this.nameUsed.length * 2));
          grown.set(this.nameUsed);
          this.nameUsed = grown;
        }
        this.nameUsed[nameOrIndex] = 1;
      }
    }
    this.left--;
    this.skipEmpty();
    return undefined;
  }

  /** Closes the edges of nodes whose edges are all read (and of nodes without edges). */
  private skipEmpty(): void {
    while (this.from < this.nodes && this.left === 0) {
      this.edgeStart[++this.from] = this.edges;
      if (this.from < this.nodes) this.left = this.edgeCount[this.from]!;
    }
  }

  /** An error text when the edges did not add up to the nodes' edge counts. */
  endEdges(): string | undefined {
    if (this.from < this.nodes) return `the edges end at node ${this.from} of ${this.nodes}; the nodes' edge counts say ${this.edgesSeen + this.left} or more`;
    return undefined;
  }

  /** String indices the graph needs decoded: the edge names. */
  stringIndices(): Iterable<number> {
    const out: number[] = [...this.synthetic.values()];
    for (let i = 0; i < this.nameUsed.length; i++) if (this.nameUsed[i] === 1) out.push(i);
    return out;
  }

  /**
   * The graph. `typeOf` gives a node key's type label (the same labels as the summary's rows), `str` a decoded
   * string by index. V8's node 0 is the synthetic root: the one GC root.
   */
  build(typeOf: (key: number) => string, str: (index: number) => string): HeapGraph {
    // Once: the names are rewritten in place.
    if (this.built !== undefined) return this.built;
    const n = this.nodes;
    const typeIndex = new Map<string, number>();
    const keyType = new Map<number, number>();
    // 16 bits while the types fit (2 bytes an object less), widened once if a 65 537th type appears.
    let nodeType: Uint16Array | Uint32Array = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      const k = this.key[i]!;
      let t = keyType.get(k);
      if (t === undefined) {
        const label = typeOf(k);
        t = typeIndex.get(label);
        if (t === undefined) typeIndex.set(label, (t = typeIndex.size));
        keyType.set(k, t);
        if (t > 0xffff && nodeType instanceof Uint16Array) nodeType = Uint32Array.from(nodeType);
      }
      nodeType[i] = t;
    }
    // Edge names: string index → position in `names` (a typed cache, not a Map: a Map's slot numbers alone are
    // 100 000s of distinct names). Purely numeric names (the slots of V8's internal arrays) become indices, `[i]`.
    const names: string[] = ["(GC roots)"];
    const UNSEEN = -0x80000000;
    const nameAt = new Int32Array(this.nameUsed.length).fill(UNSEEN);
    // Views, not copies: a copy would hold the edges twice at the peak (the few weak edges' slots stay unused).
    const edgeName = this.name.subarray(0, this.edges);
    for (let e = 0; e < edgeName.length; e++) {
      const s = edgeName[e]!;
      if (s < 0) continue;
      let at = nameAt[s]!;
      if (at === UNSEEN) {
        const text = str(s);
        if (/^\d{1,9}$/.test(text)) at = -1 - Number(text);
        // The edge from a WeakMap key to its value: V8 names it with both objects' ids; a path needs its role only.
        else at = names.push(EPHEMERON.test(text) ? "(WeakMap value)" : text) - 1;
        nameAt[s] = at;
      }
      edgeName[e] = at;
    }
    const edgeStart = this.edgeStart;
    const edgeTarget = this.target.subarray(0, this.edges);
    this.nameCollectionEntries(nodeType, [...typeIndex.keys()], edgeStart, edgeTarget, edgeName, names);
    const { roots, rootName, rootRank } = this.rootsBelowSynthetic(edgeStart, edgeTarget, str, names);
    // The per-node read state is not needed past here: let it go before the analysis allocates.
    this.key = new Int32Array(0);
    this.edgeCount = new Uint32Array(0);
    this.nameUsed = new Uint8Array(0);
    this.built = {
      nodeCount: n,
      nodeType,
      nodeSize: this.size.length === n ? this.size : this.size.slice(0, n),
      edgeStart,
      edgeTarget,
      edgeName,
      edgeRank: this.rank.subarray(0, this.edges),
      roots,
      rootName,
      rootRank,
      typeNames: [...typeIndex.keys()],
      names,
    };
    return this.built;
  }

  /**
   * A Map's or Set's entries hang off its hash table (reached by the internal edge "table") by slot numbers, which
   * mean nothing to a reader: they are named "(Map entry)" / "(Set entry)" instead. Keys stay unnamed on purpose:
   * they are program data (session ids, tokens), and paths are shown in the UI and the API.
   */
  private nameCollectionEntries(
    nodeType: Uint16Array | Uint32Array,
    typeNames: string[],
    start: Uint32Array,
    target: Uint32Array,
    edgeName: Int32Array,
    names: string[],
  ): void {
    const label = new Map<number, number>(); // collection type → name index of its entry label
    for (const kind of ["Map", "Set"]) {
      const t = typeNames.indexOf(kind);
      if (t >= 0) label.set(t, names.push(`(${kind} entry)`) - 1);
    }
    const table = names.indexOf("table");
    if (label.size === 0 || table < 0) return;
    for (let v = 0; v < nodeType.length; v++) {
      const entry = label.get(nodeType[v]!);
      if (entry === undefined) continue;
      for (let e = start[v]!; e < start[v + 1]!; e++) {
        if (edgeName[e] !== table) continue;
        const t = target[e]!;
        // The table's slots: numeric names, indices by now.
        for (let f = start[t]!; f < start[t + 1]!; f++) if (edgeName[f]! < 0) edgeName[f] = entry;
      }
    }
  }

  /**
   * V8's node 0 is a synthetic root over synthetic groups ("(GC roots)" → "(Stack roots)", "(Global handles)", …):
   * the graph's roots are the real objects below them, each named by its group path ("(GC roots) / (Global
   * handles)"), so that a path starts where a reader can act. Objects node 0 points at directly (the global
   * objects: DevTools' user roots) come first and are named "(user roots)".
   */
  private rootsBelowSynthetic(
    start: Uint32Array,
    target: Uint32Array,
    str: (index: number) => string,
    names: string[],
  ): { roots: Uint32Array; rootName: Int32Array; rootRank: Uint8Array } {
    if (this.nodes === 0) return { roots: new Uint32Array(0), rootName: new Int32Array(0), rootRank: new Uint8Array(0) };
    if (!this.synthetic.has(0)) return { roots: Uint32Array.of(0), rootName: Int32Array.of(0), rootRank: Uint8Array.of(0) };
    const userRoots: number[] = [];
    const rest: number[] = [];
    const restName: number[] = [];
    const user = names.push("(user roots)") - 1;
    const seen = new Set<number>([0]);
    const queue: { node: number; label: string }[] = [{ node: 0, label: "" }];
    const labelAt = new Map<string, number>();
    while (queue.length > 0) {
      const { node, label } = queue.shift()!;
      for (let e = start[node]!; e < start[node + 1]!; e++) {
        const w = target[e]!;
        const syntheticName = this.synthetic.get(w);
        if (syntheticName !== undefined) {
          if (seen.has(w)) continue;
          seen.add(w);
          const own = str(syntheticName) || "(root)";
          queue.push({ node: w, label: label === "" ? own : `${label} / ${own}` });
        } else if (node === 0) userRoots.push(w);
        else {
          let at = labelAt.get(label);
          if (at === undefined) labelAt.set(label, (at = names.push(label) - 1));
          rest.push(w);
          restName.push(at);
        }
      }
    }
    return {
      roots: Uint32Array.from([...userRoots, ...rest]),
      rootName: Int32Array.from([...userRoots.map(() => user), ...restName]),
      rootRank: Uint8Array.from([...userRoots.map(() => 0), ...restName.map((at) => (passingRootGroup(names[at]!) ? 1 : 0))]),
    };
  }
}

/**
 * Root groups that hold objects only for a moment (HeapGraph.rootRank 1): a handle scope holds what native code has
 * in hand at the moment of the snapshot (seen: a Map's table), the strong roots what the engine's own jobs hold —
 * seen on a busy machine: a program's Map, which the path then reached from there rather than through the variable
 * that keeps it.
 */
export function passingRootGroup(label: string): boolean {
  return label.endsWith("(Handle scope)") || label.endsWith("(Strong roots)");
}
