// Immediate dominators of a heap graph, by Lengauer–Tarjan (the simple version, with path compression:
// O(E log N)) over typed arrays. Written here rather than taken from a library because the graphs are tens of
// millions of nodes in typed arrays: the graph libraries on npm keep an object per node and recurse, which neither
// fits in memory nor survives the depth of a long linked list (every loop below is iterative).
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
}

/** Bytes of working memory per node and per edge while dominators are computed (for the documented bound). */
export const DOMINATOR_BYTES_PER_NODE = 36;
export const DOMINATOR_BYTES_PER_EDGE = 4;

export function dominators(g: HeapGraph): Dominators {
  const n = g.nodeCount;
  const root = n;
  const total = n + 1;
  const succ = (v: number, visit: (w: number) => void): void => {
    if (v === root) {
      for (let i = 0; i < g.roots.length; i++) visit(g.roots[i]!);
      return;
    }
    for (let e = g.edgeStart[v]!, end = g.edgeStart[v + 1]!; e < end; e++) visit(g.edgeTarget[e]!);
  };

  // 1. Depth-first numbering from the virtual root. dfnum[v] = -1 while unvisited.
  const dfnum = new Int32Array(total).fill(-1);
  const vertex = new Uint32Array(total); // dfnum → node
  const parent = new Int32Array(total); // by dfnum: the DFS parent's dfnum
  let count = 0;
  {
    // Explicit stack of (node, next edge cursor); the virtual root's cursor walks g.roots.
    const stackNode = new Uint32Array(total);
    const stackCursor = new Float64Array(total);
    let sp = 0;
    dfnum[root] = count;
    vertex[count++] = root;
    parent[0] = -1;
    stackNode[sp] = root;
    stackCursor[sp++] = 0;
    while (sp > 0) {
      const v = stackNode[sp - 1]!;
      const cursor = stackCursor[sp - 1]!;
      const start = v === root ? 0 : g.edgeStart[v]!;
      const end = v === root ? g.roots.length : g.edgeStart[v + 1]!;
      let i = start + cursor;
      let next = -1;
      for (; i < end; i++) {
        const w = v === root ? g.roots[i]! : g.edgeTarget[i]!;
        if (dfnum[w] === -1) {
          next = w;
          i++;
          break;
        }
      }
      stackCursor[sp - 1] = i - start;
      if (next === -1) {
        sp--;
        continue;
      }
      dfnum[next] = count;
      vertex[count] = next;
      parent[count] = dfnum[v]!;
      count++;
      stackNode[sp] = next;
      stackCursor[sp++] = 0;
    }
  }

  // 2. Predecessors in dfnum space, reachable nodes only (compressed sparse rows).
  const predStart = new Uint32Array(count + 1);
  for (let d = 0; d < count; d++) {
    succ(vertex[d]!, (w) => {
      const dw = dfnum[w]!;
      if (dw >= 0) predStart[dw + 1]!++;
    });
  }
  for (let d = 0; d < count; d++) predStart[d + 1]! += predStart[d]!;
  const pred = new Uint32Array(predStart[count]!);
  {
    const fill = predStart.slice(0, count);
    for (let d = 0; d < count; d++) {
      succ(vertex[d]!, (w) => {
        const dw = dfnum[w]!;
        if (dw >= 0) pred[fill[dw]!++] = d;
      });
    }
  }

  // 3. Semidominators and (implicitly defined) immediate dominators, everything in dfnum space.
  const semi = new Int32Array(count);
  const label = new Int32Array(count);
  const ancestor = new Int32Array(count).fill(-1);
  const idomD = new Int32Array(count);
  const bucketHead = new Int32Array(count).fill(-1);
  const bucketNext = new Int32Array(count).fill(-1);
  const compressStack = new Int32Array(count);
  for (let d = 0; d < count; d++) {
    semi[d] = d;
    label[d] = d;
  }
  const evaluate = (v: number): number => {
    if (ancestor[v] === -1) return v;
    // Path compression without recursion: a chain of 20 M list nodes would overflow the call stack.
    let x = v;
    let sp = 0;
    while (ancestor[ancestor[x]!] !== -1) {
      compressStack[sp++] = x;
      x = ancestor[x]!;
    }
    while (sp > 0) {
      const y = compressStack[--sp]!;
      const a = ancestor[y]!;
      if (semi[label[a]!]! < semi[label[y]!]!) label[y] = label[a]!;
      ancestor[y] = ancestor[a]!;
    }
    return label[v]!;
  };
  for (let w = count - 1; w >= 1; w--) {
    for (let p = predStart[w]!, end = predStart[w + 1]!; p < end; p++) {
      const u = evaluate(pred[p]!);
      if (semi[u]! < semi[w]!) semi[w] = semi[u]!;
    }
    const s = semi[w]!;
    bucketNext[w] = bucketHead[s]!;
    bucketHead[s] = w;
    const pw = parent[w]!;
    ancestor[w] = pw;
    for (let v = bucketHead[pw]!; v !== -1; v = bucketNext[v]!) {
      const u = evaluate(v);
      idomD[v] = semi[u]! < semi[v]! ? u : pw;
    }
    bucketHead[pw] = -1;
  }
  for (let w = 1; w < count; w++) {
    if (idomD[w] !== semi[w]) idomD[w] = idomD[idomD[w]!]!;
  }

  const idom = new Int32Array(total).fill(-1);
  for (let d = 1; d < count; d++) idom[vertex[d]!] = vertex[idomD[d]!]!;
  return { idom, order: vertex.slice(0, count), virtualRoot: root };
}
