// Retention paths: the shortest chain of references from a GC root to an object (the `!gcroot` answer), found by
// one breadth-first walk from the roots that remembers, per node, the edge it was first reached by.
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
  /** Per node: the node it was first reached from (-1 for a root or an unreachable node). */
  readonly from: Int32Array;
  /** Per node that is a root: the index of its root entry (into g.roots / g.rootName), else -1. */
  readonly rootIndex: Int32Array;
}

export function shortestPaths(g: HeapGraph): ShortestPaths {
  const n = g.nodeCount;
  const via = new Int32Array(n).fill(-2);
  const from = new Int32Array(n).fill(-1);
  const rootIndex = new Int32Array(n).fill(-1);
  const queue = new Uint32Array(n);
  let head = 0;
  let tail = 0;
  for (let r = 0; r < g.roots.length; r++) {
    const v = g.roots[r]!;
    if (via[v] !== -2) continue;
    via[v] = -1;
    rootIndex[v] = r;
    queue[tail++] = v;
  }
  while (head < tail) {
    const v = queue[head++]!;
    for (let e = g.edgeStart[v]!, end = g.edgeStart[v + 1]!; e < end; e++) {
      const w = g.edgeTarget[e]!;
      if (via[w] !== -2) continue;
      via[w] = e;
      from[w] = v;
      queue[tail++] = w;
    }
  }
  return { via, from, rootIndex };
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
      const r = sp.rootIndex[v]!;
      steps.push({ type, edge: g.names[g.rootName[r] ?? -1] ?? "(root)" });
      rooted = true;
      break;
    }
    steps.push({ type, edge: edgeLabel(g, e) });
    v = sp.from[v]!;
  }
  // Cut at maxSteps: the part nearest the root is left out, and says so.
  if (!rooted) steps.push({ type: "…", edge: "…" });
  return steps.reverse();
}
