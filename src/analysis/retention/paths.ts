// Retention paths: the chain of references from a GC root to an object (the `!gcroot` answer). The shortest
// chain, where an edge a program names (a property, an element, a closure variable) costs 1 and a runtime-internal
// one more (HeapGraph.edgeRank): a path through the program's own names wins over an equally short one through
// V8's internals, as DevTools' retainers view skips internal links. One Dial's-algorithm pass from the roots
// (a shortest-path search with a ring of buckets, for small integer costs) remembers per node the edge it was
// reached by.
import { type HeapGraph, edgeLabel } from "../../model/heap-graph.js";

export interface PathStep {
  /** The type of the object at this step. */
  type: string;
  /** The reference from the previous step to this one (for the first step: what roots it). */
  edge: string;
}

export interface ShortestPaths {
  /** Per node: the edge index it was first reached by; -1 for a root, -2 when unreachable. */
  readonly via: Int32Array;
}

/** Cost of an edge on a path, by its rank (HeapGraph.edgeRank): names the program wrote are cheapest. */
export const EDGE_COST: readonly number[] = [1, 2, 4];
const MAX_COST = 4;

/**
 * Bytes per node of the path search: `via` is kept (4), the distances only while it runs (4), and the queue holds a
 * few entries per node (4 each). The edge's source and a root's entry are found when a path is drawn, not stored.
 */
export const PATH_BYTES_PER_NODE = 16;

export function shortestPaths(g: HeapGraph): ShortestPaths {
  const n = g.nodeCount;
  const via = new Int32Array(n).fill(-2);
  const dist = new Uint32Array(n).fill(0xffffffff);
  const rank = g.edgeRank;
  // A ring of MAX_COST + 1 buckets, each a growable stack of nodes; stale entries (a node reached again more
  // cheaply) are skipped when popped. A node is queued at most once per cost it improves to: a handful of times.
  const ring = MAX_COST + 1;
  const bucket: Uint32Array[] = [];
  const fill = new Uint32Array(ring);
  for (let b = 0; b < ring; b++) bucket.push(new Uint32Array(1024));
  const push = (b: number, v: number): void => {
    let a = bucket[b]!;
    if (fill[b]! >= a.length) {
      const grown = new Uint32Array(a.length * 2);
      grown.set(a);
      bucket[b] = a = grown;
    }
    a[fill[b]!++] = v;
  };
  let queued = 0;
  for (let r = 0; r < g.roots.length; r++) {
    const v = g.roots[r]!;
    if (via[v] !== -2) continue;
    via[v] = -1;
    dist[v] = 0;
    push(0, v);
    queued++;
  }
  // Within a bucket, first in first out keeps ties in root order (the roots a reader knows first).
  const head = new Uint32Array(ring);
  for (let d = 0; queued > 0; d++) {
    const b = d % ring;
    while (head[b]! < fill[b]!) {
      const v = bucket[b]![head[b]!++]!;
      queued--;
      if (dist[v] !== d) continue;
      for (let e = g.edgeStart[v]!, end = g.edgeStart[v + 1]!; e < end; e++) {
        const w = g.edgeTarget[e]!;
        const nd = d + (rank === undefined ? 1 : EDGE_COST[rank[e]!]!);
        if (nd >= dist[w]!) continue;
        dist[w] = nd;
        via[w] = e;
        push(nd % ring, w);
        queued++;
      }
    }
    head[b] = 0;
    fill[b] = 0;
  }
  return { via };
}

/** The node whose out-edges hold edge e: the last node whose edges start at or before e (edgeStart is sorted). */
function sourceOf(g: HeapGraph, e: number): number {
  let lo = 0;
  let hi = g.nodeCount - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (g.edgeStart[mid]! <= e) lo = mid;
    else hi = mid - 1;
  }
  // Nodes without edges share their start with the next node: the last of them with start ≤ e is the one with e.
  return lo;
}

/** The path from a root to node, root first; undefined when the node is unreachable. Bounded by maxSteps. */
export function pathTo(g: HeapGraph, sp: ShortestPaths, node: number, maxSteps = 64): PathStep[] | undefined {
  if (sp.via[node] === -2) return undefined;
  const steps: PathStep[] = [];
  let v = node;
  let rooted = false;
  while (v >= 0 && steps.length < maxSteps) {
    const e = sp.via[v]!;
    const type = g.typeNames[g.nodeType[v]!] ?? "?";
    if (e === -1) {
      const r = g.roots.indexOf(v);
      steps.push({ type, edge: g.names[g.rootName[r] ?? -1] ?? "(root)" });
      rooted = true;
      break;
    }
    steps.push({ type, edge: edgeLabel(g, e) });
    v = sourceOf(g, e);
  }
  // Cut at maxSteps: the part nearest the root is left out, and says so.
  if (!rooted) steps.push({ type: "…", edge: "…" });
  return steps.reverse();
}
