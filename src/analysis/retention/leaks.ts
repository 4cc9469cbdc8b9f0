// Leaks = growing types grouped by owner. A growing type whose instances lie mostly (≥ 80 % of their bytes) under
// instances of another growing type is a member of that type's leak, not a leak of its own. Containers are not
// owners: where the instances of a growing type pile up under one or a few objects (the array behind a List, a
// Map's table), those objects are the leak's accumulation point, named on its path, and the leak's root is the type
// of what piles up there (`Session`, not the Map's backing array).
import type { HeapGraph } from "../../model/heap-graph.js";
import type { Dominators } from "./dominators.js";
import { type PathStep, pathTo, type ShortestPaths } from "./paths.js";
import type { TypeRetention } from "./retained.js";

/** Share of a type's bytes under one owner type that makes it a member of that owner's leak. */
export const MEMBER_SHARE = 0.8;
/** At most this many objects holding ≥ MEMBER_SHARE of a type's instances make an accumulation point. */
export const ACCUMULATION_HOLDERS = 3;

export interface LeakMember {
  type: string;
  /** The member's share of its bytes that lies under the leak's root instances. */
  share: number;
}

export interface GraphLeak {
  /** The type whose instances pile up: the owner to fix. */
  root: string;
  /** Retained bytes of the root type's instances (members included, nested instances counted once). */
  retainedBytes: number;
  instances: number;
  members: LeakMember[];
  /** From a GC root to one instance of the root type: through the accumulation point when there is one (an instance
   * held there), else the largest instance. */
  path: PathStep[];
  /** The type of the object(s) the root's instances pile up in, when they do. */
  accumulationPoint: string | null;
}

/**
 * growing: the type indices the verdict flags. growthBytes (optional): per such type, by how many bytes it grew over
 * the verdict's window; without it a type's share is judged against all its bytes in this snapshot.
 */
export function groupLeaks(
  g: HeapGraph,
  dom: Dominators,
  types: TypeRetention,
  paths: ShortestPaths,
  growing: ReadonlySet<number>,
  growthBytes?: ReadonlyMap<number, number>,
): GraphLeak[] {
  const n = g.nodeCount;
  const isGrowing = (v: number): boolean => v < n && growing.has(g.nodeType[v]!);

  // 1. Accumulation points: per growing type, the few objects that immediately dominate most of its instances.
  const holders = new Map<number, Map<number, number>>(); // type → idom node → instances
  const instances = new Map<number, number>();
  for (let k = 1; k < dom.order.length; k++) {
    const v = dom.order[k]!;
    if (!isGrowing(v)) continue;
    const t = g.nodeType[v]!;
    instances.set(t, (instances.get(t) ?? 0) + 1);
    let m = holders.get(t);
    if (m === undefined) holders.set(t, (m = new Map()));
    // Bounded: past a few thousand distinct holders a type is spread out and has no accumulation point.
    if (m.size < 4096 || m.has(dom.idom[v]!)) m.set(dom.idom[v]!, (m.get(dom.idom[v]!) ?? 0) + 1);
  }
  const container = new Uint8Array(n + 1);
  const accumulation = new Map<number, number[]>(); // type → its holder nodes
  const pilesUp = new Map<number, number>(); // holder node → the type that piles up in it
  for (const [t, m] of holders) {
    const top = [...m].sort((a, b) => b[1] - a[1]).slice(0, ACCUMULATION_HOLDERS);
    const held = top.reduce((s, [, c]) => s + c, 0);
    const total = instances.get(t) ?? 0;
    if (total < 2 || held < MEMBER_SHARE * total) continue;
    const nodes = top.map(([node]) => node).filter((node) => node !== dom.virtualRoot);
    if (nodes.length === 0) continue;
    accumulation.set(t, nodes);
    for (const node of nodes) {
      container[node] = 1;
      pilesUp.set(node, t);
    }
  }

  // 2. Each object's owner type: that of the nearest dominator above it that is an instance of a growing type and not
  // a container; an object under an accumulation point (a Map's keys, beside its values) belongs to what piles up
  // there, because it grows with it.
  const ownerType = new Int32Array(n + 1).fill(-1);
  for (let k = 1; k < dom.order.length; k++) {
    const v = dom.order[k]!;
    const d = dom.idom[v]!;
    if (d === dom.virtualRoot) continue;
    const piled = pilesUp.get(d);
    // An instance inside another instance of its own type (a cons string's parts) has that instance's owner.
    ownerType[v] = piled !== undefined ? piled : isGrowing(d) && g.nodeType[d] !== g.nodeType[v] ? g.nodeType[d]! : ownerType[d]!;
  }

  // 3. Per growing type, its bytes by owner type. ≥ MEMBER_SHARE under other growing types makes it a member: of the
  // one owner type that holds it, or of each owner type holding a fair part of it (a Buffer in every Session and
  // every Upload belongs to both leaks, and is no leak of its own).
  const byOwner = new Map<number, Map<number, number>>();
  const bytes = new Map<number, number>();
  for (let k = 1; k < dom.order.length; k++) {
    const v = dom.order[k]!;
    if (!isGrowing(v)) continue;
    const t = g.nodeType[v]!;
    bytes.set(t, (bytes.get(t) ?? 0) + g.nodeSize[v]!);
    // A growing container belongs to the leak of what piles up in it (the Map's table grows with the sessions).
    const ot = pilesUp.get(v) ?? ownerType[v]!;
    if (ot < 0 || ot === t) continue;
    let m = byOwner.get(t);
    if (m === undefined) byOwner.set(t, (m = new Map()));
    m.set(ot, (m.get(ot) ?? 0) + g.nodeSize[v]!);
  }
  const memberOf = new Map<number, { owner: number; share: number }[]>();
  for (const [t, m] of byOwner) {
    // The share is of the type's growth where the caller knows it: a snapshot also holds the instances that were
    // there before the leak (V8's internalized strings, a JVM's class data), which must not outvote it.
    const all = bytes.get(t) ?? 0;
    const grew = growthBytes?.get(t);
    const total = grew !== undefined && grew > 0 ? Math.min(all, grew) : all;
    if (total <= 0) continue;
    let held = 0;
    for (const b of m.values()) held += b;
    if (held < MEMBER_SHARE * total) continue;
    const owners = [...m]
      .filter(([, b]) => b >= (1 - MEMBER_SHARE) * total)
      .sort((a, b) => b[1] - a[1])
      .map(([owner, b]) => ({ owner, share: Math.min(1, b / total) }));
    if (owners.length > 0) memberOf.set(t, owners);
  }
  // A growing container holding an accumulation point grows with what piles up in it (one snapshot cannot say where
  // a type's growth lies, so the container's other instances, an Object[] everywhere in a JVM, do not outvote it).
  for (const [node, piled] of pilesUp) {
    const ct = g.nodeType[node]!;
    if (ct !== piled && growing.has(ct) && !memberOf.has(ct)) memberOf.set(ct, [{ owner: piled, share: g.nodeSize[node]! / (bytes.get(ct) || 1) }]);
  }
  // Members of members belong to the outermost owner (a cycle of "members" keeps each type its own leak).
  const rootOf = (t: number): number => {
    const seen = new Set<number>([t]);
    let r = t;
    for (let next = memberOf.get(r)?.[0]; next !== undefined && !seen.has(next.owner); next = memberOf.get(r)?.[0]) {
      seen.add(next.owner);
      r = next.owner;
    }
    return memberOf.has(r) ? t : r;
  };

  // 4. One leak per root type, with its members, the path to one of its instances and its accumulation point.
  const leaks = new Map<number, GraphLeak>();
  const leakOf = (r: number): GraphLeak => {
    let leak = leaks.get(r);
    if (leak !== undefined) return leak;
    const acc = accumulation.get(r);
    // The path shows how the leak holds its instances: one held at the accumulation point when there is one (the
    // largest there by its own size). The largest instance overall may be one that a stack frame or handle scope also
    // holds just then, whose shortest path runs through that passing root instead.
    let best = types.largest[r]!;
    if (acc !== undefined) {
      const held = new Set(acc);
      let pick = -1;
      for (let v = 0; v < n; v++) if (g.nodeType[v] === r && held.has(dom.idom[v]!) && (pick < 0 || g.nodeSize[v]! > g.nodeSize[pick]!)) pick = v;
      if (pick >= 0) best = pick;
    }
    leak = {
      root: g.typeNames[r]!,
      retainedBytes: types.bytes[r]!,
      instances: types.reachable[r]!,
      members: [],
      path: best < 0 ? [] : (pathTo(g, paths, best) ?? []),
      accumulationPoint: acc === undefined ? null : g.typeNames[g.nodeType[acc[0]!]!]!,
    };
    leaks.set(r, leak);
    return leak;
  };
  for (const t of growing) {
    if (!instances.has(t)) continue;
    const r = rootOf(t);
    if (r === t) {
      leakOf(t);
      continue;
    }
    // A member shared by several owners is listed in each of their leaks.
    const owners = new Set<number>();
    for (const { owner, share } of memberOf.get(t) ?? []) {
      const root = rootOf(owner);
      if (owners.has(root) || root === t) continue;
      owners.add(root);
      leakOf(root).members.push({ type: g.typeNames[t]!, share });
    }
  }
  return [...leaks.values()].sort((a, b) => b.retainedBytes - a.retainedBytes);
}
