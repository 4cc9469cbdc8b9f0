// One heap graph in, what the daemon keeps of it out: per type, the retained bytes of its instances (nested
// instances once), and the leaks — growing types grouped by owner, each with its path from a GC root. The graph is
// let go once this returns; the result is small (bounded by MAX_RETAINED_TYPES and MAX_LEAKS).
//
// Who is growing comes from the verdicts over the dumps so far: `suspects` (proven by shallow or retained bytes) and
// `candidates`, types whose instance count rises without their own bytes being enough to prove it (an owner such as
// `Session` is small; what it holds is not). A candidate becomes a leak's root only when it owns a suspect: a leak
// is kept when its root or one of its members is a suspect.
import type { HeapGraph } from "../../model/heap-graph.js";
import { dominators } from "./dominators.js";
import { type GraphLeak, groupLeaks, withPaths } from "./leaks.js";
import { type ShortestPaths, shortestPaths } from "./paths.js";
import { type DominatorTree, dominatorTree, typeRetention } from "./retained.js";

/** Types whose retained bytes are kept per analysis: the largest, plus every growing type. */
export const MAX_RETAINED_TYPES = 200;
/** Leaks kept per analysis, the largest first (a bound on the leak metrics' cardinality). */
export const MAX_LEAKS = 10;

export interface RetainedType {
  type: string;
  /** Reachable instances. */
  instances: number;
  /** Retained bytes of its instances, an instance inside another of the same type counted once. */
  retainedBytes: number;
}

export interface RetentionResult {
  /** The largest types by retained bytes and every growing type, largest first. */
  types: RetainedType[];
  leaks: GraphLeak[];
  nodes: number;
  edges: number;
  /** Bytes reachable from the roots (what the GC keeps). */
  reachableBytes: number;
}

/**
 * growth: by how many bytes each growing type grew over the verdict's window, when known: a member's share is judged
 * on its growth, not on all its bytes (a heap also holds the instances from before the leak).
 */
export function analyseRetention(
  g: HeapGraph,
  suspects: ReadonlySet<string>,
  candidates: ReadonlySet<string> = new Set(),
  growth?: ReadonlyMap<string, number>,
): RetentionResult {
  // The steps reuse each other's memory: the dominator tree is laid out in what the dominators leave (their order and
  // scratch), and the path search, once the leaks are grouped, in the tree's.
  const tree = dominatorTree(g, dominators(g));
  const types = typeRetention(g, tree);
  const index = new Map<string, number>();
  for (let i = 0; i < g.typeNames.length; i++) index.set(g.typeNames[i]!, i);
  const suspectIdx = new Set<number>();
  for (const t of suspects) if (index.has(t)) suspectIdx.add(index.get(t)!);
  const growing = new Set(suspectIdx);
  for (const t of candidates) if (index.has(t)) growing.add(index.get(t)!);

  let leaks: GraphLeak[] = [];
  if (suspectIdx.size > 0) {
    let growthBytes: Map<number, number> | undefined;
    if (growth !== undefined) {
      growthBytes = new Map();
      for (const [t, bytes] of growth) if (index.has(t) && bytes > 0) growthBytes.set(index.get(t)!, bytes);
    }
    const groups = groupLeaks(g, tree, types, growing, growthBytes)
      .filter((l) => suspects.has(l.root) || l.members.some((m) => suspects.has(m.type)))
      .slice(0, MAX_LEAKS);
    leaks = withPaths(g, groups, pathsInTree(g, tree));
  }

  const order = [...g.typeNames.keys()].sort((a, b) => types.bytes[b]! - types.bytes[a]!);
  const kept = new Set(order.slice(0, MAX_RETAINED_TYPES));
  for (const t of growing) kept.add(t);
  const rows: RetainedType[] = [...kept]
    .filter((t) => types.reachable[t]! > 0)
    .map((t) => ({ type: g.typeNames[t]!, instances: types.reachable[t]!, retainedBytes: types.bytes[t]! }))
    .sort((a, b) => b.retainedBytes - a.retainedBytes);
  return { types: rows, leaks, nodes: g.nodeCount, edges: g.edgeTarget.length, reachableBytes: types.total };
}

/**
 * The leaks of one graph, every growing type's (analyseRetention's steps, without its filter by suspects or its
 * bound): for the commands and tests that ask of a graph alone. growing: type indices; growthBytes as groupLeaks.
 */
export function leaksIn(g: HeapGraph, growing: ReadonlySet<number>, growthBytes?: ReadonlyMap<number, number>): GraphLeak[] {
  const tree = dominatorTree(g, dominators(g));
  const groups = groupLeaks(g, tree, typeRetention(g, tree), growing, growthBytes);
  return withPaths(g, groups, pathsInTree(g, tree));
}

/** The path search in the dominator tree's arrays (the tree is done with once the leaks are grouped). */
function pathsInTree(g: HeapGraph, tree: DominatorTree): ShortestPaths {
  return shortestPaths(g, new Int32Array(tree.start.buffer), new Uint32Array(tree.child.buffer));
}
