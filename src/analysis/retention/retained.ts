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
  const start = new Uint32Array(total + 1);
  for (let k = 1; k < dom.order.length; k++) start[dom.idom[dom.order[k]!]! + 1]!++;
  for (let i = 0; i < total; i++) start[i + 1]! += start[i]!;
  const fill = start.slice(0, total);
  const child = new Uint32Array(Math.max(0, dom.order.length - 1));
  for (let k = 1; k < dom.order.length; k++) {
    const v = dom.order[k]!;
    child[fill[dom.idom[v]!]!++] = v;
  }
  return { start, child };
}

export function typeRetention(g: HeapGraph, dom: Dominators, retained: Float64Array): TypeRetention {
  const types = g.typeNames.length;
  const bytes = new Float64Array(types);
  const reachable = new Float64Array(types);
  // A walk of the dominator tree that knows, per type, how many instances of it are on the way down from the root.
  const { start, child } = dominatorChildren(g, dom);
  const open = new Uint32Array(types);
  const stack = new Uint32Array(dom.order.length);
  const cursor = new Uint32Array(dom.order.length);
  let sp = 0;
  stack[sp] = dom.virtualRoot;
  cursor[sp++] = start[dom.virtualRoot]!;
  while (sp > 0) {
    const v = stack[sp - 1]!;
    const c = cursor[sp - 1]!;
    if (c < start[v + 1]!) {
      cursor[sp - 1] = c + 1;
      const w = child[c]!;
      const t = g.nodeType[w]!;
      reachable[t]!++;
      if (open[t] === 0) bytes[t]! += retained[w]!;
      open[t]!++;
      stack[sp] = w;
      cursor[sp++] = start[w]!;
      continue;
    }
    sp--;
    if (v !== dom.virtualRoot) open[g.nodeType[v]!]!--;
  }
  return { bytes, reachable };
}
