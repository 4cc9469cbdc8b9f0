// Retention paths: the chain of references from a GC root to an object (the `!gcroot` answer). The shortest
// chain, where an edge a program names (a property, an element, a closure variable) costs 1 and a runtime-internal
// one more (HeapGraph.edgeRank): a path through the program's own names wins over an equally short one through
// V8's internals, as DevTools' retainers view skips internal links. One Dial's-algorithm pass from the roots
// (a shortest-path search with a ring of buckets, for small integer costs) remembers per node the edge it was
// reached by.
import { type HeapGraph, edgeLabel, edgeSource } from "../../model/heap-graph.js";

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
 * Bytes per node of the ranked path search: `via` is kept (4; analyseRetention gives it the dominator tree's
 * arrays), the distances only while it runs (1), and the queue holds a few entries per node (4 each). Without
 * ranks, the breadth-first search needs only `via` and a queue of one entry per node (both in the tree's arrays).
 * The edge's source and a root's entry are found when a path is drawn, not stored.
 */
export const PATH_BYTES_PER_NODE = 9;

/**
 * into: nodeCount entries to hold `via` (working memory a previous step let go), instead of a new array. queue: as
 * many more for a graph whose edges all cost the same (no edgeRank): the search is then a plain breadth-first one in
 * that queue, with nothing else per node.
 */
export function shortestPaths(g: HeapGraph, into?: Int32Array, queue?: Uint32Array): ShortestPaths {
  const n = g.nodeCount;
  const via = (into === undefined ? new Int32Array(n) : into.subarray(0, n)).fill(-2);
  if (g.edgeRank === undefined && queue !== undefined && queue.length >= n) return breadthFirst(g, via, queue);
  // Per reached node: its distance modulo 128 (a tentative one is at most MAX_COST above the bucket being emptied,
  // so the low bits say which), and SETTLED once it is popped: 1 byte per node instead of a 4-byte distance.
  const SETTLED = 0x80;
  const dm = new Uint8Array(n);
  const rank = g.edgeRank;
  // A ring of MAX_COST + 1 buckets of nodes; an entry whose node was settled meanwhile (it was reached again more
  // cheaply) is skipped when popped. A node enters a bucket at most once per round (its distance only falls), so n
  // entries each suffice: allocated whole, only the pages written become resident, and no growing leaves garbage.
  const ring = MAX_COST + 1;
  const bucket: Uint32Array[] = [];
  const fill = new Uint32Array(ring);
  for (let b = 0; b < ring; b++) bucket.push(new Uint32Array(Math.max(n, 1)));
  const push = (b: number, v: number): void => {
    bucket[b]![fill[b]!++] = v;
  };
  let queued = 0;
  // Roots that hold objects only for a moment (HeapGraph.rootRank) start a second round, for what the first left
  // unreached.
  const seed = (passing: number, d: number): void =>
    seedRoots(g, via, passing, (v) => {
      dm[v] = d & 0x7f;
      push(d % ring, v);
      queued++;
    });
  seed(0, 0);
  // Within a bucket, first in first out keeps ties in root order (the roots a reader knows first).
  const head = new Uint32Array(ring);
  let second = g.rootRank?.includes(1) === true;
  for (let d = 0; queued > 0 || second; d++) {
    if (queued === 0) {
      second = false;
      seed(1, d);
      if (queued === 0) break;
    }
    const b = d % ring;
    while (head[b]! < fill[b]!) {
      const v = bucket[b]![head[b]!++]!;
      queued--;
      if ((dm[v]! & SETTLED) !== 0) continue;
      dm[v] = (d & 0x7f) | SETTLED;
      for (let e = g.edgeStart[v]!, end = g.edgeStart[v + 1]!; e < end; e++) {
        const w = g.edgeTarget[e]!;
        const nd = d + (rank === undefined ? 1 : EDGE_COST[rank[e]!]!);
        if (via[w] !== -2) {
          const m = dm[w]!;
          if ((m & SETTLED) !== 0 || nd >= d + ((m - d) & 0x7f)) continue;
        }
        dm[w] = nd & 0x7f;
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
/** Starts the search at the roots of a rank (0 lasting, 1 passing) not reached yet: each marked a root, then visited. */
function seedRoots(g: HeapGraph, via: Int32Array, passing: number, visit: (v: number) => void): void {
  for (let r = 0; r < g.roots.length; r++) {
    const v = g.roots[r]!;
    if (via[v] !== -2 || (g.rootRank?.[r] ?? 0) !== passing) continue;
    via[v] = -1;
    visit(v);
  }
}

/**
 * The search when every edge costs 1: breadth first from the lasting roots, then from the passing ones for what
 * those left unreached. Each node enters the queue once, when first reached, which is the edge it keeps; first in,
 * first out keeps ties in root order, as the ring of buckets does.
 */
function breadthFirst(g: HeapGraph, via: Int32Array, queue: Uint32Array): ShortestPaths {
  let head = 0;
  let tail = 0;
  for (const passing of [0, 1]) {
    seedRoots(g, via, passing, (v) => {
      queue[tail++] = v;
    });
    while (head < tail) {
      const v = queue[head++]!;
      for (let e = g.edgeStart[v]!, end = g.edgeStart[v + 1]!; e < end; e++) {
        const w = g.edgeTarget[e]!;
        if (via[w] !== -2) continue;
        via[w] = e;
        queue[tail++] = w;
      }
    }
  }
  return { via };
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
      // Named by a lasting root that holds it, where one does (the search started there first).
      let r = -1;
      for (let k = 0; k < g.roots.length; k++) {
        if (g.roots[k] !== v) continue;
        if (r < 0) r = k;
        if ((g.rootRank?.[k] ?? 0) === 0) {
          r = k;
          break;
        }
      }
      steps.push({ type, edge: g.names[g.rootName[r] ?? -1] ?? "(root)" });
      rooted = true;
      break;
    }
    steps.push({ type, edge: edgeLabel(g, e) });
    v = edgeSource(g, e);
  }
  // Cut at maxSteps: the part nearest the root is left out, and says so.
  if (!rooted) steps.push({ type: "…", edge: "…" });
  return steps.reverse();
}
