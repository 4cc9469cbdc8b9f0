// Leaks = growing types grouped by owner. A growing type whose instances lie mostly (≥ 80 % of their bytes) under
// instances of another growing type is a member of that type's leak, not a leak of its own. Containers are not
// owners: where the instances of a growing type pile up under one or a few objects (the array behind a List, a
// Map's table), those objects are the leak's accumulation point, named on its path, and the leak's root is the type
// of what piles up there (`Session`, not the Map's backing array).
import type { HeapGraph } from "../../model/heap-graph.js";
import { type PathStep, pathTo, type ShortestPaths } from "./paths.js";
import { type DominatorTree, type TypeRetention, walkDominatorTree } from "./retained.js";

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

/** A leak before its path is drawn: `node` is the instance the path goes to (-1: none). */
export interface LeakGroup extends Omit<GraphLeak, "path"> {
  node: number;
}

/**
 * growing: the type indices the verdict flags. growthBytes (optional): per such type, by how many bytes it grew over
 * the verdict's window; without it a type's share is judged against all its bytes in this snapshot.
 */
export function groupLeaks(
  g: HeapGraph,
  tree: DominatorTree,
  types: TypeRetention,
  growing: ReadonlySet<number>,
  growthBytes?: ReadonlyMap<number, number>,
): LeakGroup[] {
  const n = g.nodeCount;
  const typeCount = g.typeNames.length;
  // The growing types by a dense index: the per-object work below is in typed arrays, not Maps (10 M objects).
  const gIndex = new Int32Array(typeCount).fill(-1);
  const gType: number[] = [];
  for (const t of growing) {
    if (t >= 0 && t < typeCount && gIndex[t] === -1) {
      gIndex[t] = gType.length;
      gType.push(t);
    }
  }
  const G = gType.length;
  const { nodeType, nodeSize } = g;
  const { idom, start, child, virtualRoot } = tree;
  const growIdx = (v: number): number => (v < n ? gIndex[nodeType[v]!]! : -1);

  // 1. Accumulation points: per growing type, the few objects that immediately dominate most of its instances. A
  // dominator's children are one run of the tree's child lists: counted per type along the run, then once per
  // (type, holder).
  const count = new Float64Array(G);
  const inRun = new Float64Array(G);
  const touched = new Int32Array(G);
  const holders: Array<Map<number, number> | undefined> = new Array(G);
  for (let d = 0; d <= virtualRoot; d++) {
    let nTouched = 0;
    for (let k = start[d]!, e = start[d + 1]!; k < e; k++) {
      const gi = growIdx(child[k]!);
      if (gi < 0) continue;
      if (inRun[gi] === 0) touched[nTouched++] = gi;
      inRun[gi]!++;
    }
    for (let j = 0; j < nTouched; j++) {
      const gi = touched[j]!;
      const c = inRun[gi]!;
      inRun[gi] = 0;
      count[gi]! += c;
      let m = holders[gi];
      if (m === undefined) holders[gi] = m = new Map();
      // Bounded: past a few thousand distinct holders a type is spread out and has no accumulation point.
      if (m.size < 4096) m.set(d, c);
    }
  }
  const instances = new Map<number, number>();
  for (let gi = 0; gi < G; gi++) if (count[gi]! > 0) instances.set(gType[gi]!, count[gi]!);
  const accumulation = new Map<number, number[]>(); // type → its holder nodes
  const pilesUp = new NodeMap(); // holder node → the growing index of the type that piles up in it
  for (let gi = 0; gi < G; gi++) {
    const m = holders[gi];
    if (m === undefined) continue;
    const top = [...m].sort((a, b) => b[1] - a[1]).slice(0, ACCUMULATION_HOLDERS);
    const held = top.reduce((s, [, c]) => s + c, 0);
    const total = count[gi]!;
    if (total < 2 || held < MEMBER_SHARE * total) continue;
    const nodes = top.map(([node]) => node).filter((node) => node !== virtualRoot);
    if (nodes.length === 0) continue;
    accumulation.set(gType[gi]!, nodes);
    for (const node of nodes) pilesUp.set(node, gi);
  }

  // 2. Each object's owner type: that of the nearest dominator above it that is an instance of a growing type and not
  // a container; an object under an accumulation point (a Map's keys, beside its values) belongs to what piles up
  // there, because it grows with it. Known on the way down the dominator tree, so kept per depth, not per object.
  // 3. Per growing type, its bytes by owner type. ≥ MEMBER_SHARE under other growing types makes it a member: of the
  // one owner type that holds it, or of each owner type holding a fair part of it (a Buffer in every Session and
  // every Upload belongs to both leaks, and is no leak of its own). Owners are growing types too: a G × G table of
  // bytes while G is small (8 MB at most), else Maps.
  const bytesOf = new Float64Array(G);
  const seen = new Uint8Array(G);
  const table = G <= 1024 ? new Float64Array(G * G) : undefined;
  const tableSeen = table === undefined ? undefined : new Uint8Array(G * G);
  const maps = table === undefined ? new Map<number, Map<number, number>>() : undefined;
  const ownerAt = new Int32Array(child.length + 2);
  ownerAt[0] = -1;
  walkDominatorTree(tree, (v, depth) => {
    const d = idom[v]!;
    let owner = -1;
    if (d !== virtualRoot) {
      const piled = pilesUp.get(d);
      const gd = growIdx(d);
      // An instance inside another instance of its own type (a cons string's parts) has that instance's owner.
      owner = piled >= 0 ? piled : gd >= 0 && nodeType[d] !== nodeType[v] ? gd : ownerAt[depth - 1]!;
    }
    ownerAt[depth] = owner;
    const gi = growIdx(v);
    if (gi < 0) return;
    const size = nodeSize[v]!;
    bytesOf[gi]! += size;
    seen[gi] = 1;
    // A growing container belongs to the leak of what piles up in it (the Map's table grows with the sessions).
    const piled = pilesUp.get(v);
    const ot = piled >= 0 ? piled : owner;
    if (ot < 0 || ot === gi) return;
    if (table !== undefined) {
      table[gi * G + ot]! += size;
      tableSeen![gi * G + ot] = 1;
      return;
    }
    let m = maps!.get(gi);
    if (m === undefined) maps!.set(gi, (m = new Map()));
    m.set(ot, (m.get(ot) ?? 0) + size);
  });
  // Back to type indices, for the decisions below (a few entries per growing type).
  const bytes = new Map<number, number>();
  const byOwner = new Map<number, Map<number, number>>();
  for (let gi = 0; gi < G; gi++) {
    if (seen[gi] === 1) bytes.set(gType[gi]!, bytesOf[gi]!);
    const m = new Map<number, number>();
    if (table !== undefined) {
      for (let ot = 0; ot < G; ot++) if (tableSeen![gi * G + ot] === 1) m.set(gType[ot]!, table[gi * G + ot]!);
    } else for (const [ot, b] of maps!.get(gi) ?? []) m.set(gType[ot]!, b);
    if (m.size > 0) byOwner.set(gType[gi]!, m);
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
  for (const [node, pg] of pilesUp.entries()) {
    const piled = gType[pg]!;
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

  // 4. One leak per root type, with its members, the instance its path goes to and its accumulation point.
  const leaks = new Map<number, LeakGroup>();
  const leakOf = (r: number): LeakGroup => {
    let leak = leaks.get(r);
    if (leak !== undefined) return leak;
    const acc = accumulation.get(r);
    // The path shows how the leak holds its instances: one held at the accumulation point when there is one (the
    // largest there by its own size). The largest instance overall may be one that a stack frame or handle scope also
    // holds just then, whose shortest path runs through that passing root instead.
    let best = types.largest[r]!;
    if (acc !== undefined) {
      // The holders' children in the tree: the objects they hold (the lowest index among equal sizes).
      let pick = -1;
      for (const h of acc) {
        for (let k = start[h]!, e = start[h + 1]!; k < e; k++) {
          const v = child[k]!;
          if (nodeType[v] !== r) continue;
          if (pick < 0 || nodeSize[v]! > nodeSize[pick]! || (nodeSize[v] === nodeSize[pick] && v < pick)) pick = v;
        }
      }
      if (pick >= 0) best = pick;
    }
    leak = {
      root: g.typeNames[r]!,
      retainedBytes: types.bytes[r]!,
      instances: types.reachable[r]!,
      members: [],
      node: best,
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

/** The leaks with their paths, drawn from the path search (which may reuse the dominator tree's memory). */
export function withPaths(g: HeapGraph, groups: readonly LeakGroup[], paths: ShortestPaths): GraphLeak[] {
  return groups.map((l) => ({
    root: l.root,
    retainedBytes: l.retainedBytes,
    instances: l.instances,
    members: l.members,
    path: l.node < 0 ? [] : (pathTo(g, paths, l.node) ?? []),
    accumulationPoint: l.accumulationPoint,
  }));
}

/**
 * Node → small integer for a few keys (the accumulation points), in an open-addressing table of typed arrays: looked
 * up for every object of the tree walk, where a Map costs several times more. Written here: a few lines no library
 * has in this form.
 */
class NodeMap {
  private keys = new Int32Array(16).fill(-1);
  private values = new Int32Array(16);
  private size = 0;

  set(key: number, value: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    let h = hashNode(key) & (this.keys.length - 1);
    while (this.keys[h] !== -1 && this.keys[h] !== key) h = (h + 1) & (this.keys.length - 1);
    if (this.keys[h] === -1) this.size++;
    this.keys[h] = key;
    this.values[h] = value;
  }

  /** The value, or -1. */
  get(key: number): number {
    if (this.size === 0) return -1;
    const mask = this.keys.length - 1;
    for (let h = hashNode(key) & mask; ; h = (h + 1) & mask) {
      const k = this.keys[h]!;
      if (k === key) return this.values[h]!;
      if (k === -1) return -1;
    }
  }

  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let h = 0; h < this.keys.length; h++) if (this.keys[h] !== -1) out.push([this.keys[h]!, this.values[h]!]);
    return out;
  }

  private grow(): void {
    const old = this.entries();
    this.keys = new Int32Array(this.keys.length * 2).fill(-1);
    this.values = new Int32Array(this.keys.length);
    this.size = 0;
    for (const [k, v] of old) this.set(k, v);
  }
}

const hashNode = (v: number): number => {
  const h = Math.imul(v, 0x9e3779b1);
  return (h ^ (h >>> 15)) >>> 0;
};
