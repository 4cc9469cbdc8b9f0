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
}

/** Children of each node in the dominator tree, in compressed sparse rows (virtual root included). */
export function dominatorChildren(g: HeapGraph, dom: Dominators): { start: Uint32Array; child: Uint32Array } {
  const total = g.nodeCount + 1;
  // Counts at [d + 2], prefix sums, then a forward fill with [d + 1] as d's cursor: afterwards d's children are
  // child[start[d] .. start[d + 1]), with no copy of the offsets (4 bytes per node less at the peak).
  const start = new Uint32Array(total + 2);
  for (let k = 1; k < dom.order.length; k++) start[dom.idom[dom.order[k]!]! + 2]!++;
  for (let i = 1; i < total + 2; i++) start[i]! += start[i - 1]!;
  const child = new Uint32Array(Math.max(0, dom.order.length - 1));
  for (let k = 1; k < dom.order.length; k++) {
    const v = dom.order[k]!;
    child[start[dom.idom[v]! + 1]!++] = v;
  }
  return { start, child };
}

export function typeRetention(g: HeapGraph, dom: Dominators, retained: Float64Array): TypeRetention {
  const types = g.typeNames.length;
  const bytes = new Float64Array(types);
  const reachable = new Float64Array(types);
  // A walk of the dominator tree that knows, per type, how many instances of it are on the way down from the root.
  // No stack: a finished node returns to its immediate dominator.
  // The offsets are the cursors: a node's children are the run of entries whose immediate dominator is that node.
  const { start: cursor, child } = dominatorChildren(g, dom);
  const open = new Uint32Array(types);
  let v = dom.virtualRoot;
  for (;;) {
    const c = cursor[v]!;
    if (c < child.length && dom.idom[child[c]!] === v) {
      cursor[v] = c + 1;
      const w = child[c]!;
      const t = g.nodeType[w]!;
      reachable[t]!++;
      if (open[t] === 0) bytes[t]! += retained[w]!;
      open[t]!++;
      v = w;
      continue;
    }
    if (v === dom.virtualRoot) break;
    open[g.nodeType[v]!]!--;
    v = dom.idom[v]!;
  }
  return { bytes, reachable };
}
