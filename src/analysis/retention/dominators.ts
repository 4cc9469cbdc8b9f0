// Immediate dominators of a heap graph, by the iterative algorithm of Cooper, Harvey and Kennedy ("A Simple, Fast
// Dominance Algorithm"), in its forward form: nodes in reverse postorder, each processed node folds itself into the
// dominator of each of its successors (the intersection of two nodes walks both up the current tree by postorder
// number), until nothing changes; after the first pass, only what a change can have unsettled. Unlike
// Lengauer–Tarjan it needs no predecessor lists: 12¼ bytes per node while it runs (postorder numbers, the order,
// idom, two bitmaps; the walk's stack lives inside them) and none per edge, which is what keeps a 7 M-object
// snapshot's analysis within a quarter of memlab's memory. Written here rather than taken from a library because the
// graphs are tens of millions of nodes in typed arrays: the graph libraries on npm keep an object per node and
// recurse, which neither fits in memory nor survives the depth of a long linked list (every loop below is iterative).
//
// A virtual root (index nodeCount) points at every GC root, so that objects held by several roots are dominated by
// the virtual root only. Unreachable nodes (a snapshot may hold garbage) have no dominator and retain only
// themselves.
import type { HeapGraph } from "../../model/heap-graph.js";

export interface Dominators {
  /** Per node: its immediate dominator (a node index, or `virtualRoot`); -1 when unreachable. */
  readonly idom: Int32Array;
  /** Nodes in depth-first preorder from the virtual root (first entry: the virtual root); reachable nodes only. */
  readonly order: Uint32Array;
  /** The index standing for "held by the GC roots together": nodeCount. */
  readonly virtualRoot: number;
  /**
   * nodeCount + 1 entries of working memory that are free once dominators() returned (the postorder numbers): a later
   * step may use them instead of allocating as much again while this is still garbage (dominatorTree does).
   * Whatever a step leaves there means nothing to the next.
   */
  readonly scratch: Uint32Array;
}

/** Bytes of working memory per node and per edge while dominators are computed (for the documented bound). */
export const DOMINATOR_BYTES_PER_NODE = 12.25;
export const DOMINATOR_BYTES_PER_EDGE = 0;

export function dominators(g: HeapGraph): Dominators {
  const n = g.nodeCount;
  const root = n;
  const total = n + 1;

  // 1. Postorder numbers by an iterative depth-first walk from the virtual root; po[v] = -1 while unvisited, -2
  // while on the stack. No array of its own for the stack: a node is either on the stack or already numbered, so
  // the stack grows down from the end of `order` (filled from the front), and its edge cursors live in `idom`
  // (filled only in step 2).
  const po = new Int32Array(total).fill(-1);
  // Two entries more than the nodes, as po has: the dominator tree's offsets afterwards (dominatorTree).
  const order = new Uint32Array(total + 2); // filled in postorder, reversed below
  const idom = new Int32Array(total);
  let count = 0;
  {
    let sp = 0;
    const push = (v: number): void => {
      po[v] = -2;
      order[total - 1 - sp] = v;
      idom[sp++] = 0;
    };
    push(root);
    while (sp > 0) {
      const v = order[total - sp]!;
      const start = v === root ? 0 : g.edgeStart[v]!;
      const end = v === root ? g.roots.length : g.edgeStart[v + 1]!;
      let i = start + idom[sp - 1]!;
      let next = -1;
      for (; i < end; i++) {
        const w = v === root ? g.roots[i]! : g.edgeTarget[i]!;
        if (po[w] === -1) {
          next = w;
          i++;
          break;
        }
      }
      idom[sp - 1] = i - start;
      if (next === -1) {
        sp--;
        po[v] = count;
        order[count++] = v; // count ≤ total - 1 - sp: never over a stack entry still needed
        continue;
      }
      push(next);
    }
  }
  order.subarray(0, count).reverse(); // reverse postorder: the virtual root first, every node after its dominator

  // 2. Forward iteration to the fixpoint. idom[v] = -1: not reached yet in this walk. The first pass processes
  // every node; on a heap it settles nearly all of them (an acyclic graph entirely: every node's predecessors come
  // before it in reverse postorder). Later passes are owed only to back edges, and a full pass each cost as much as
  // the first on a 10 M-object .NET heap that needed 5 (a dozen changes after the first). So the later passes visit
  // only what a change can have unsettled: an edge v → w stays settled (idom[w] an ancestor of v) until an ancestor
  // of v, or v, gets a new dominator (dominators only move up, so w's other edges stay settled when idom[w] moves).
  // `changed` marks nodes whose dominator changed since they were last visited, `dirty` the nodes visited in this
  // pass whose chain holds such a node; a node is visited after its dominator, so one look at the dominator's bit
  // tells. A change behind the current position (a back edge) is seen in the next pass, which starts at the
  // earliest such change; none left: done. Two bitmaps, N/4 bytes.
  idom.fill(-1);
  idom[root] = root;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (po[a]! < po[b]!) a = idom[a]!;
      while (po[b]! < po[a]!) b = idom[b]!;
    }
    return a;
  };
  const words = (total + 31) >>> 5;
  const changed = new Int32Array(words);
  const dirty = new Int32Array(words);
  const last = count - 1; // order position of w: last - po[w]
  for (let from = 0, pass = 0; from <= last; pass++) {
    let behind = count; // the earliest position changed behind the walk
    if (pass > 0) dirty.fill(0);
    for (let k = from; k < count; k++) {
      const v = order[k]!;
      const d = idom[v]!;
      if (d === -1) continue;
      const bit = 1 << (v & 31);
      const was = changed[v >>> 5]! & bit;
      if (was !== 0) changed[v >>> 5]! ^= bit;
      if (pass > 0) {
        if (was === 0 && (dirty[d >>> 5]! & (1 << (d & 31))) === 0) continue;
        dirty[v >>> 5]! |= bit;
      }
      const start = v === root ? 0 : g.edgeStart[v]!;
      const end = v === root ? g.roots.length : g.edgeStart[v + 1]!;
      for (let i = start; i < end; i++) {
        const w = v === root ? g.roots[i]! : g.edgeTarget[i]!;
        const old = idom[w]!;
        const nd = old === -1 ? v : intersect(v, old);
        if (nd === old) continue;
        idom[w] = nd;
        if (old === -1) continue; // a first dominator: w is ahead of the walk, visited in this pass
        changed[w >>> 5]! |= 1 << (w & 31);
        const at = last - po[w]!;
        if (at <= k && at < behind) behind = at;
      }
    }
    from = behind;
  }
  idom[root] = -1;
  return { idom, order: order.subarray(0, count), virtualRoot: root, scratch: new Uint32Array(po.buffer) };
}
