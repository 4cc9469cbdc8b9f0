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
function grownF64(a: Float64Array<ArrayBuffer>, need: number): Float64Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const b = new Float64Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** Edge kinds as the snapshot's meta names them. */
export interface EdgeKinds {
  /** Kinds whose edges do not retain (V8: "weak"). */
  weak: ReadonlySet<number>;
  /** Kinds whose name_or_index is an index, not a string (V8: "element", "hidden"). */
  indexed: ReadonlySet<number>;
}

export class SnapshotGraphCollector {
  private nodes = 0;
  /** Per node: ≥ 0, a name slot of the parser; < 0, -1 - node kind (strings, code, …: bucketed by kind). */
  private key = new Int32Array(1024);
  private size = new Float64Array(1024);
  private edgeCount = new Uint32Array(1024);
  private edgeStart = new Uint32Array(1025);
  private target = new Uint32Array(4096);
  private name = new Int32Array(4096);
  private edges = 0;
  private edgesSeen = 0;
  /** The node whose edges are being read, and how many of its edges are still to come. */
  private from = 0;
  private left = 0;
  private readonly edgeNames = new Set<number>();

  constructor(
    private readonly kinds: EdgeKinds,
    private readonly nodeFields: number,
    expectedNodes = 0,
  ) {
    if (expectedNodes > 0) {
      this.key = new Int32Array(expectedNodes);
      this.size = new Float64Array(expectedNodes);
      this.edgeCount = new Uint32Array(expectedNodes);
    }
  }

  node(key: number, size: number, edgeCount: number): void {
    const i = this.nodes++;
    if (i >= this.key.length) {
      this.key = grownI32(this.key, i + 1);
      this.size = grownF64(this.size, i + 1);
      this.edgeCount = grownU32(this.edgeCount, i + 1);
    }
    this.key[i] = key;
    this.size[i] = size;
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
    if (!this.kinds.weak.has(kind)) {
      const e = this.edges++;
      if (e >= this.target.length) {
        this.target = grownU32(this.target, e + 1);
        this.name = grownI32(this.name, e + 1);
      }
      this.target[e] = toNode / this.nodeFields;
      if (this.kinds.indexed.has(kind)) this.name[e] = -1 - Math.min(nameOrIndex, 0x7ffffffe);
      else {
        this.name[e] = nameOrIndex;
        this.edgeNames.add(nameOrIndex);
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
    return this.edgeNames;
  }

  /**
   * The graph. `typeOf` gives a node key's type label (the same labels as the summary's rows), `str` a decoded
   * string by index. V8's node 0 is the synthetic root: the one GC root.
   */
  build(typeOf: (key: number) => string, str: (index: number) => string): HeapGraph {
    const n = this.nodes;
    const typeIndex = new Map<string, number>();
    const keyType = new Map<number, number>();
    const nodeType = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const k = this.key[i]!;
      let t = keyType.get(k);
      if (t === undefined) {
        const label = typeOf(k);
        t = typeIndex.get(label);
        if (t === undefined) typeIndex.set(label, (t = typeIndex.size));
        keyType.set(k, t);
      }
      nodeType[i] = t;
    }
    // Edge names: string index → position in `names`.
    const names: string[] = ["(GC roots)"];
    const nameAt = new Map<number, number>();
    const edgeName = this.name.slice(0, this.edges);
    for (let e = 0; e < edgeName.length; e++) {
      const s = edgeName[e]!;
      if (s < 0) continue;
      let at = nameAt.get(s);
      if (at === undefined) {
        nameAt.set(s, (at = names.length));
        names.push(str(s));
      }
      edgeName[e] = at;
    }
    return {
      nodeCount: n,
      nodeType,
      nodeSize: this.size.slice(0, n),
      edgeStart: this.edgeStart,
      edgeTarget: this.target.slice(0, this.edges),
      edgeName,
      roots: n > 0 ? Uint32Array.of(0) : new Uint32Array(0),
      rootName: n > 0 ? Int32Array.of(0) : new Int32Array(0),
      typeNames: [...typeIndex.keys()],
      names,
    };
  }
}
