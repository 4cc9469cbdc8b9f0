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

/**
 * The dominator tree in compressed sparse rows: the children of d are child[start[d] .. start[d + 1]), the virtual
 * root's included.
 */
export interface DominatorTree {
  readonly idom: Int32Array;
  readonly virtualRoot: number;
  /** nodeCount + 2 offsets (and one more of slack), in the dominators' order array. */
  readonly start: Uint32Array;
  /** The reachable nodes but the virtual root, grouped by immediate dominator (each group in index order), in the
   * dominators' scratch. */
  readonly child: Uint32Array;
}

/**
 * The dominator tree, built in the memory dominators() leaves rather than in two new arrays of nodeCount: a counting
 * sort of the reachable nodes by immediate dominator, reading them in index order (not the dominators' order, so that
 * the order's array is free to hold the offsets) and writing the child lists into their scratch. `dom.order` and
 * `dom.scratch` mean nothing afterwards (retainedSizes needs the order: call it first).
 */
export function dominatorTree(g: HeapGraph, dom: Dominators): DominatorTree {
  const n = g.nodeCount;
  const total = n + 1;
  const idom = dom.idom;
  // Counts at [d + 2], prefix sums, then [d + 1] is d's cursor: when all are placed, d's children are
  // child[start[d] .. start[d + 1]) with no copy of the offsets.
  const start = new Uint32Array(dom.order.buffer, 0, total + 2).fill(0);
  for (let v = 0; v < n; v++) if (idom[v]! >= 0) start[idom[v]! + 2]!++;
  for (let i = 1; i < total + 2; i++) start[i]! += start[i - 1]!;
  const child = dom.scratch.subarray(0, dom.order.length - 1);
  for (let v = 0; v < n; v++) if (idom[v]! >= 0) child[start[idom[v]! + 1]!++] = v;
  return { idom, virtualRoot: dom.virtualRoot, start, child };
}

/**
 * Walks the dominator tree from the virtual root, depth first: enter(v, depth) on the way down to each node (depth ≥
 * 1), leave(v, depth) on the way back up. No stack: a finished node returns to its immediate dominator, and each
 * node's offset in `start` serves as its cursor (set back when the walk ends), so a chain as long as the heap costs
 * nothing more.
 */
export function walkDominatorTree(tree: DominatorTree, enter: (v: number, depth: number) => void, leave?: (v: number, depth: number) => void): void {
  const { idom, start: cursor, child, virtualRoot } = tree;
  let depth = 0;
  let v = virtualRoot;
  for (;;) {
    const c = cursor[v]!;
    // v's children run until the first entry of another dominator (v's end is the next node's cursor, moving).
    if (c < child.length && idom[child[c]!] === v) {
      cursor[v] = c + 1;
      v = child[c]!;
      enter(v, ++depth);
      continue;
    }
    if (v === virtualRoot) break;
    leave?.(v, depth);
    depth--;
    v = idom[v]!;
  }
  // Each cursor ended at its node's end, the next node's start: moved back by one place.
  for (let d = virtualRoot; d >= 1; d--) cursor[d] = cursor[d - 1]!;
  cursor[0] = 0;
}

/**
 * Per type: the retained bytes of its outermost instances, its reachable instances and its largest instance, in one
 * walk of the dominator tree that sums each subtree as it leaves it. No per-object array of retained sizes (8 bytes an
 * object): only the sums of the nodes on the way down from the root are held, one per depth, so a linked list as long
 * as the heap is the worst case, and a usual tree touches a few pages.
 */
export function typeRetention(g: HeapGraph, tree: DominatorTree): TypeRetention {
  const types = g.typeNames.length;
  const bytes = new Float64Array(types);
  const reachable = new Float64Array(types);
  const largest = new Int32Array(types).fill(-1);
  const largestBytes = new Float64Array(types);
  // Per type, how many instances of it are on the way down from the root.
  const open = new Uint32Array(types);
  // sum[d]: the retained bytes so far of the node at depth d on the current way down (allocated whole; only the pages
  // as deep as the tree goes are written).
  const sum = new Float64Array(tree.child.length + 2);
  const { nodeType, nodeSize } = g;
  walkDominatorTree(
    tree,
    (w, depth) => {
      const t = nodeType[w]!;
      reachable[t]!++;
      open[t]!++;
      sum[depth] = nodeSize[w]!;
    },
    (v, depth) => {
      const t = nodeType[v]!;
      const r = sum[depth]!;
      // Outermost: no other instance of its type above it.
      const above = open[t]! - 1;
      open[t] = above;
      if (above === 0) bytes[t]! += r;
      if (r > largestBytes[t]! || largest[t] === -1 || (r === largestBytes[t] && v < largest[t]!)) {
        largest[t] = v;
        largestBytes[t] = r;
      }
      sum[depth - 1]! += r;
    },
  );
  return { bytes, reachable, largest, total: sum[0]! };
}
