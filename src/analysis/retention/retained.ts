// Retained sizes: what the GC would free if an object went away (its own size and everything it dominates), and
// per type the retained bytes of its instances, where an instance inside another instance of the same type counts
// once (a linked list's nodes retain the list once, not n(n+1)/2 times) — as DevTools' Summary and dotMemory do.
import type { HeapGraph } from "../../model/heap-graph.js";
import type { Dominators } from "./dominators.js";

/** Per node: retained bytes (0 for unreachable nodes beyond their own size). Index nodeCount: the whole heap. */
export function retainedSizes(g: HeapGraph, dom: Dominators): Float64Array {
  const retained = new Float64Array(g.nodeCount + 1);
  for (let i = 0; i < g.nodeCount; i++) retained[i] = g.nodeSize[i]!;
  // Reverse preorder: every node comes after its dominator, so children are summed before their parent is read.
  for (let k = dom.order.length - 1; k >= 1; k--) {
    const v = dom.order[k]!;
    retained[dom.idom[v]!]! += retained[v]!;
  }
  return retained;
}

export interface TypeRetention {
  /** Per type (index into typeNames): retained bytes of its outermost instances. */
  readonly bytes: Float64Array;
  /** Per type: instances reachable from the roots. */
  readonly reachable: Float64Array;
  /** Per type: its instance that retains the most (the lowest index among equals); -1 when none is reachable. */
  readonly largest: Int32Array;
  /** Bytes reachable from the roots: what the virtual root retains. */
  readonly total: number;
}

/** Children of each node in the dominator tree, in compressed sparse rows (virtual root included). */
export function dominatorChildren(g: HeapGraph, dom: Dominators): { start: Uint32Array; child: Uint32Array } {
  const total = g.nodeCount + 1;
  // Counts at [d + 2], prefix sums, then a forward fill with [d + 1] as d's cursor: afterwards d's children are
  // child[start[d] .. start[d + 1]), with no copy of the offsets (4 bytes per node less at the peak).
  const start = new Uint32Array(total + 2);
  for (let k = 1; k < dom.order.length; k++) start[dom.idom[dom.order[k]!]! + 2]!++;
  for (let i = 1; i < total + 2; i++) start[i]! += start[i - 1]!;
  // The dominators' scratch holds them (order.length - 1 ≤ nodeCount entries): no second array of nodeCount.
  const child = dom.scratch.subarray(0, Math.max(0, dom.order.length - 1));
  for (let k = 1; k < dom.order.length; k++) {
    const v = dom.order[k]!;
    child[start[dom.idom[v]! + 1]!++] = v;
  }
  return { start, child };
}

/**
 * Per type: the retained bytes of its outermost instances, its reachable instances and its largest instance, in one
 * walk of the dominator tree that sums each subtree as it leaves it. No per-object array of retained sizes (8 bytes an
 * object): only the sums of the nodes on the way down from the root are held, one per depth, so a linked list as long
 * as the heap is the worst case, and a usual tree touches a few pages.
 */
export function typeRetention(g: HeapGraph, dom: Dominators): TypeRetention {
  const types = g.typeNames.length;
  const bytes = new Float64Array(types);
  const reachable = new Float64Array(types);
  const largest = new Int32Array(types).fill(-1);
  const largestBytes = new Float64Array(types);
  // A walk of the dominator tree that knows, per type, how many instances of it are on the way down from the root.
  // No stack: a finished node returns to its immediate dominator. The offsets are the cursors: a node's children are
  // the run of entries whose immediate dominator is that node.
  const { start: cursor, child } = dominatorChildren(g, dom);
  const open = new Uint32Array(types);
  // sum[d]: the retained bytes so far of the node at depth d on the current way down (allocated whole; only the pages
  // as deep as the tree goes are written).
  const sum = new Float64Array(dom.order.length + 1);
  let depth = 0;
  let v = dom.virtualRoot;
  for (;;) {
    const c = cursor[v]!;
    if (c < child.length && dom.idom[child[c]!] === v) {
      cursor[v] = c + 1;
      const w = child[c]!;
      const t = g.nodeType[w]!;
      reachable[t]!++;
      open[t]!++;
      sum[++depth] = g.nodeSize[w]!;
      v = w;
      continue;
    }
    if (v === dom.virtualRoot) break;
    const t = g.nodeType[v]!;
    const r = sum[depth]!;
    // Outermost: no other instance of its type above it.
    const above = open[t]! - 1;
    open[t] = above;
    if (above === 0) bytes[t]! += r;
    if (r > largestBytes[t]! || largest[t] === -1 || (r === largestBytes[t] && v < largest[t]!)) {
      largest[t] = v;
      largestBytes[t] = r;
    }
    sum[--depth]! += r;
    v = dom.idom[v]!;
  }
  return { bytes, reachable, largest, total: sum[0]! };
}
