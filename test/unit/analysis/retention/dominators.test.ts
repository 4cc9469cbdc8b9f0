import { describe, expect, it } from "vitest";
import type { HeapGraph } from "../../../../src/model/heap-graph.js";
import { dominators } from "../../../../src/analysis/retention/dominators.js";
import { dominatorTree, retainedSizes, typeRetention, walkDominatorTree } from "../../../../src/analysis/retention/retained.js";
import { pathTo, shortestPaths } from "../../../../src/analysis/retention/paths.js";
import { leaksIn } from "../../../../src/analysis/retention/analyse.js";
import { mulberry32 } from "../../../../src/analysis/prng.js";

/** A graph from edge lists: node i has type types[i], size sizes[i]; edges [from, to, name]. */
function graph(o: {
  types: string[];
  nodeTypes: number[];
  sizes?: number[];
  edges: [number, number, string | number][];
  roots: number[];
  rootNames?: string[];
}): HeapGraph {
  const n = o.nodeTypes.length;
  const names: string[] = [];
  const nameIndex = (s: string): number => {
    const i = names.indexOf(s);
    if (i >= 0) return i;
    names.push(s);
    return names.length - 1;
  };
  const sorted = [...o.edges].sort((a, b) => a[0] - b[0]);
  const edgeStart = new Uint32Array(n + 1);
  for (const [f] of sorted) edgeStart[f + 1]!++;
  for (let i = 0; i < n; i++) edgeStart[i + 1]! += edgeStart[i]!;
  return {
    nodeCount: n,
    nodeType: Uint32Array.from(o.nodeTypes),
    nodeSize: Float64Array.from(o.sizes ?? o.nodeTypes.map(() => 1)),
    edgeStart,
    edgeTarget: Uint32Array.from(sorted.map((e) => e[1])),
    edgeName: Int32Array.from(sorted.map((e) => (typeof e[2] === "number" ? -1 - e[2] : nameIndex(e[2])))),
    roots: Uint32Array.from(o.roots),
    rootName: Int32Array.from(o.roots.map((_, i) => nameIndex(o.rootNames?.[i] ?? "(root)"))),
    typeNames: o.types,
    names,
  };
}

/** Dominators by definition: d dominates v when v is unreachable from the roots without passing d. */
function bruteIdom(g: HeapGraph): number[] {
  const n = g.nodeCount;
  const reach = (without: number): boolean[] => {
    const seen = new Array<boolean>(n).fill(false);
    const stack = [...g.roots].filter((r) => r !== without);
    for (const r of stack) seen[r] = true;
    while (stack.length > 0) {
      const v = stack.pop()!;
      for (let e = g.edgeStart[v]!; e < g.edgeStart[v + 1]!; e++) {
        const w = g.edgeTarget[e]!;
        if (w !== without && !seen[w]) {
          seen[w] = true;
          stack.push(w);
        }
      }
    }
    return seen;
  };
  const all = reach(-1);
  const doms: Set<number>[] = [];
  for (let v = 0; v < n; v++) doms.push(new Set());
  for (let d = 0; d < n; d++) {
    const r = reach(d);
    for (let v = 0; v < n; v++) if (v !== d && all[v] && !r[v]) doms[v]!.add(d);
  }
  // The immediate dominator: the strict dominator that every other strict dominator dominates.
  return doms.map((ds, v) => {
    if (!all[v]) return -1;
    for (const d of ds) if ([...ds].every((o) => o === d || doms[d]!.has(o))) return d;
    return n;
  });
}

/**
 * How many full passes the plain Cooper–Harvey–Kennedy iteration (every node in reverse postorder, every pass) takes
 * to its fixpoint, the last one changing nothing: a measure of how much the later passes have to do.
 */
function fullPasses(g: HeapGraph): number {
  const n = g.nodeCount;
  const succ = (v: number): number[] => (v === n ? [...g.roots] : Array.from(g.edgeTarget.subarray(g.edgeStart[v]!, g.edgeStart[v + 1]!)));
  const po = new Array<number>(n + 1).fill(-1);
  const post: number[] = [];
  const visit = (v: number): void => {
    po[v] = -2;
    for (const w of succ(v)) if (po[w] === -1) visit(w);
    po[v] = post.length;
    post.push(v);
  };
  visit(n);
  const idom = new Array<number>(n + 1).fill(-1);
  idom[n] = n;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (po[a]! < po[b]!) a = idom[a]!;
      while (po[b]! < po[a]!) b = idom[b]!;
    }
    return a;
  };
  let passes = 0;
  for (let changed = true; changed; passes++) {
    changed = false;
    for (const v of [...post].reverse()) {
      if (idom[v] === -1) continue;
      for (const w of succ(v)) {
        const nd = idom[w] === -1 ? v : intersect(v, idom[w]!);
        if (nd !== idom[w]) {
          idom[w] = nd;
          changed = true;
        }
      }
    }
  }
  return passes;
}

/** A random graph's shape: 2–31 nodes, up to 2.5 edges a node (cycles and self-loops), 1–3 roots. */
function randomShape(rnd: () => number): { n: number; edges: [number, number, string][]; roots: number[] } {
  const n = 2 + Math.floor(rnd() * 30);
  const edges: [number, number, string][] = [];
  const m = Math.floor(rnd() * n * 2.5);
  for (let i = 0; i < m; i++) edges.push([Math.floor(rnd() * n), Math.floor(rnd() * n), "e"]);
  const roots = [...new Set(Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => Math.floor(rnd() * n)))];
  return { n, edges, roots };
}

describe("dominators (Cooper–Harvey–Kennedy over typed arrays)", () => {
  it("equals the definition on 300 random graphs (several roots, cycles, unreachable nodes)", () => {
    const rnd = mulberry32(12345);
    for (let round = 0; round < 300; round++) {
      const { n, edges, roots } = randomShape(rnd);
      const g = graph({ types: ["T"], nodeTypes: new Array(n).fill(0), edges, roots });
      const got = Array.from(dominators(g).idom.slice(0, n));
      expect(got, `round ${round}: ${JSON.stringify({ edges, roots })}`).toEqual(bruteIdom(g));
    }
  });

  it("equals the definition on 200 larger random graphs whose back edges need many passes (long chains, loops into them)", () => {
    const rnd = mulberry32(9876);
    let passesOwed = 0;
    for (let round = 0; round < 200; round++) {
      // Chains of 20–120 nodes with random edges forward, backward and across: the later passes' subset of the
      // walk (only what a change can have unsettled) is what this checks, so changes must reach far down.
      const n = 20 + Math.floor(rnd() * 100);
      const edges: [number, number, string][] = [];
      for (let v = 0; v + 1 < n; v++) if (rnd() < 0.9) edges.push([v, v + 1, "next"]);
      const m = Math.floor(rnd() * n * 1.5);
      for (let i = 0; i < m; i++) edges.push([Math.floor(rnd() * n), Math.floor(rnd() * n), "e"]);
      const roots = [...new Set([0, ...Array.from({ length: Math.floor(rnd() * 3) }, () => Math.floor(rnd() * n))])];
      const g = graph({ types: ["T"], nodeTypes: new Array(n).fill(0), edges, roots });
      const want = bruteIdom(g);
      if (fullPasses(g) > 2) passesOwed++;
      expect(Array.from(dominators(g).idom.slice(0, n)), `round ${round}: ${JSON.stringify({ edges, roots })}`).toEqual(want);
    }
    // The shapes did exercise the later passes: most graphs needed more than one pass after the first.
    expect(passesOwed).toBeGreaterThan(100);
  });

  it("per type, in one walk: the retained bytes of outermost instances, the largest instance and the total, as the per-object sizes say on 300 random graphs", () => {
    const rnd = mulberry32(777);
    for (let round = 0; round < 300; round++) {
      const { n, edges, roots } = randomShape(rnd);
      const nodeTypes = Array.from({ length: n }, () => Math.floor(rnd() * 3));
      const sizes = Array.from({ length: n }, () => 1 + Math.floor(rnd() * 4)); // ties in retained sizes are common
      const g = graph({ types: ["A", "B", "C"], nodeTypes, sizes, edges, roots });
      const dom = dominators(g);
      const r = retainedSizes(g, dom);
      const want = { bytes: [0, 0, 0], reachable: [0, 0, 0], largest: [-1, -1, -1], total: r[n]! };
      for (let v = 0; v < n; v++) {
        if (dom.idom[v] === -1) continue;
        const t = nodeTypes[v]!;
        want.reachable[t]!++;
        let outer = true;
        for (let d = dom.idom[v]!; d !== dom.virtualRoot; d = dom.idom[d]!) if (nodeTypes[d] === t) outer = false;
        if (outer) want.bytes[t]! += r[v]!;
        if (want.largest[t] === -1 || r[v]! > r[want.largest[t]!]!) want.largest[t] = v;
      }
      const got = typeRetention(g, dominatorTree(g, dom));
      const seen = { bytes: Array.from(got.bytes), reachable: Array.from(got.reachable), largest: Array.from(got.largest), total: got.total };
      expect(seen, `round ${round}: ${JSON.stringify({ edges, roots, nodeTypes, sizes })}`).toEqual(want);
    }
  });

  it("lays the dominator tree out in the dominators' own memory: each node's children, each reachable node once, walked from the root down, on 300 random graphs", () => {
    const rnd = mulberry32(777);
    for (let round = 0; round < 300; round++) {
      const { n, edges, roots } = randomShape(rnd);
      const g = graph({ types: ["T"], nodeTypes: new Array(n).fill(0), edges, roots });
      const dom = dominators(g);
      const { idom, virtualRoot } = dom;
      const tree = dominatorTree(g, dom);
      const what = `round ${round}: ${JSON.stringify({ edges, roots })}`;
      // No new arrays of nodeCount: the tree lives in the dominators' order and scratch.
      expect(tree.start.buffer, what).toBe(dom.order.buffer);
      expect(tree.child.buffer, what).toBe(dom.scratch.buffer);
      const want = new Map<number, number[]>();
      for (let v = 0; v < n; v++) if (idom[v]! >= 0) want.set(idom[v]!, [...(want.get(idom[v]!) ?? []), v]);
      for (let d = 0; d <= virtualRoot; d++) {
        const got = Array.from(tree.child.subarray(tree.start[d]!, tree.start[d + 1]!)).sort((a, b) => a - b);
        expect(got, `${what}: children of ${d}`).toEqual(want.get(d) ?? []);
      }
      // The walk: every reachable node entered once, after its dominator, at its depth; left in reverse; and the
      // offsets as they were afterwards (a second walk sees the same).
      for (let pass = 0; pass < 2; pass++) {
        const depthOf = new Map<number, number>([[virtualRoot, 0]]);
        const left: number[] = [];
        walkDominatorTree(
          tree,
          (v, depth) => {
            expect(depthOf.has(v), what).toBe(false);
            expect(depthOf.get(idom[v]!), `${what}: ${v} entered before its dominator`).toBe(depth - 1);
            depthOf.set(v, depth);
          },
          (v, depth) => {
            expect(depthOf.get(v), what).toBe(depth);
            left.push(v);
          },
        );
        expect(depthOf.size - 1, what).toBe(tree.child.length);
        expect(left.length, what).toBe(tree.child.length);
      }
    }
  });

  it("the breadth-first search in the tree's memory finds what the search with ranks finds when every edge costs the same, on 300 random graphs", () => {
    const rnd = mulberry32(4242);
    for (let round = 0; round < 300; round++) {
      const { n, edges, roots } = randomShape(rnd);
      const g = graph({ types: ["T"], nodeTypes: new Array(n).fill(0), edges, roots });
      const passing = { ...g, rootRank: Uint8Array.from(g.roots, () => (rnd() < 0.4 ? 1 : 0)) };
      for (const h of [g, passing]) {
        const ring = Array.from(shortestPaths(h).via);
        const bfs = Array.from(shortestPaths(h, new Int32Array(n), new Uint32Array(n)).via);
        expect(bfs, `round ${round}: ${JSON.stringify({ edges, roots, rank: h.rootRank })}`).toEqual(ring);
      }
    }
  });

  it("walks a chain of a million nodes without recursion", () => {
    const n = 1_000_000;
    const edgeStart = new Uint32Array(n + 1);
    for (let i = 0; i < n; i++) edgeStart[i + 1] = i < n - 1 ? i + 1 : n - 1;
    const g: HeapGraph = {
      nodeCount: n,
      nodeType: new Uint32Array(n),
      nodeSize: new Float64Array(n).fill(8),
      edgeStart,
      edgeTarget: Uint32Array.from({ length: n - 1 }, (_, i) => i + 1),
      edgeName: new Int32Array(n - 1).fill(-1),
      roots: Uint32Array.of(0),
      rootName: Int32Array.of(-1),
      typeNames: ["Node"],
      names: [],
    };
    const dom = dominators(g);
    expect(dom.idom[n - 1]).toBe(n - 2);
    const retained = retainedSizes(g, dom);
    expect(retained[0]).toBe(8 * n);
    // A linked list retains itself once: its head's retained size, not the sum over its nodes.
    expect(typeRetention(g, dominatorTree(g, dom)).bytes[0]).toBe(8 * n);
  });
});

describe("retained sizes and retention paths", () => {
  // root 0 (Holder) → 1 (Map) → 2 (Array) → 3, 4 (Session) → 5, 6 (Buffer); 7 (Buffer) shared by 3 and 4; 8 unreachable.
  const g = graph({
    types: ["Holder", "Map", "Array", "Session", "Buffer"],
    nodeTypes: [0, 1, 2, 3, 3, 4, 4, 4, 3],
    sizes: [10, 20, 30, 40, 40, 100, 100, 50, 999],
    edges: [
      [0, 1, "sessions"],
      [1, 2, "table"],
      [2, 3, 0],
      [2, 4, 1],
      [3, 5, "buf"],
      [4, 6, "buf"],
      [3, 7, "shared"],
      [4, 7, "shared"],
      [8, 3, "stale"],
    ],
    roots: [0],
    rootNames: ["global"],
  });

  it("retained size per object: itself and what only it holds", () => {
    const dom = dominators(g);
    const r = retainedSizes(g, dom);
    expect(Array.from(r.slice(0, 9))).toEqual([390, 380, 360, 140, 140, 100, 100, 50, 999]);
    expect(dom.idom[7]).toBe(2); // held by two sessions: dominated by the array that holds both
    expect(dom.idom[8]).toBe(-1);
    const t = typeRetention(g, dominatorTree(g, dom));
    expect(Array.from(t.bytes)).toEqual([390, 380, 360, 280, 250]);
    expect(Array.from(t.reachable)).toEqual([1, 1, 1, 2, 3]);
    expect(Array.from(t.largest)).toEqual([0, 1, 2, 3, 5]); // of two equal sessions, the first
    expect(t.total).toBe(390);
  });

  it("a root that holds objects only for a moment (a handle scope) is on a path only where nothing else reaches", () => {
    // global 0 → Holder → Map 1 → Array 2 → Session 3; a handle scope holds the Array 2 and a stray Session 4.
    const h = graph({
      types: ["Holder", "Map", "Array", "Session"],
      nodeTypes: [0, 1, 2, 3, 3],
      edges: [
        [0, 1, "sessions"],
        [1, 2, "table"],
        [2, 3, 0],
      ],
      roots: [2, 0, 4],
      rootNames: ["(Handle scope)", "global", "(Handle scope)"],
    });
    const passing = { ...h, rootRank: Uint8Array.of(1, 0, 1) };
    expect(pathTo(passing, shortestPaths(passing), 3)?.map((s) => s.edge)).toEqual(["global", "sessions", "table", "[0]"]);
    expect(pathTo(passing, shortestPaths(passing), 2)?.map((s) => s.edge)).toEqual(["global", "sessions", "table"]);
    expect(pathTo(passing, shortestPaths(passing), 4)).toEqual([{ type: "Session", edge: "(Handle scope)" }]);
    // Without the ranks every root is as good as another: the shorter way through the handle scope wins.
    expect(pathTo(h, shortestPaths(h), 3)?.map((s) => s.edge)).toEqual(["(Handle scope)", "[0]"]);
  });

  it("the shortest path from a root, with edge names and element indices", () => {
    const sp = shortestPaths(g);
    expect(pathTo(g, sp, 5)).toEqual([
      { type: "Holder", edge: "global" },
      { type: "Map", edge: "sessions" },
      { type: "Array", edge: "table" },
      { type: "Session", edge: "[0]" },
      { type: "Buffer", edge: "buf" },
    ]);
    expect(pathTo(g, sp, 8)).toBeUndefined();
    expect(pathTo(g, sp, 5, 2)).toEqual([
      { type: "…", edge: "…" },
      { type: "Session", edge: "[0]" },
      { type: "Buffer", edge: "buf" },
    ]);
  });
});

describe("leaks grouped by owner", () => {
  // global → Map → table (Array) → Session × 4, each holding a Buffer and a string; an unrelated Cache holds strings.
  const S = 4;
  const nodeTypes = [0, 1, 2];
  const sizes = [10, 20, 200];
  const edges: [number, number, string | number][] = [
    [0, 1, "sessions"],
    [1, 2, "table"],
  ];
  for (let i = 0; i < S; i++) {
    const s = nodeTypes.length;
    nodeTypes.push(3, 4, 5);
    sizes.push(40, 1000, 60);
    edges.push([2, s, i], [s, s + 1, "buf"], [s, s + 2, "name"]);
  }
  const cache = nodeTypes.length;
  nodeTypes.push(6);
  sizes.push(16);
  edges.push([0, cache, "cache"]);
  for (let i = 0; i < 3; i++) {
    nodeTypes.push(5);
    sizes.push(60);
    edges.push([cache, nodeTypes.length - 1, `k${i}`]);
  }
  const g = graph({
    types: ["Holder", "Map", "(array)", "Session", "Buffer", "(string)", "Cache"],
    nodeTypes,
    sizes,
    edges,
    roots: [0],
    rootNames: ["global"],
  });
  const run = (growing: number[]) => leaksIn(g, new Set(growing));

  it("one leak rooted at the owner, its members inside, the container as accumulation point, the holder on the path", () => {
    const leaks = run([2, 3, 4]);
    expect(leaks).toHaveLength(1);
    const [leak] = leaks;
    expect(leak).toMatchObject({ root: "Session", retainedBytes: S * 1100, instances: S, accumulationPoint: "(array)" });
    expect(leak!.members.map((m) => m.type).sort()).toEqual(["(array)", "Buffer"]);
    expect(leak!.path.map((p) => `${p.edge}:${p.type}`)).toEqual(["global:Holder", "sessions:Map", "table:(array)", "[0]:Session"]);
  });

  it("a type that grows apart from the owner's (strings in a cache and in sessions) stays a leak of its own", () => {
    // 4 of 7 strings (240 of 420 bytes) are under sessions: below the member share.
    const leaks = run([3, 5]);
    expect(leaks.map((l) => l.root).sort()).toEqual(["(string)", "Session"]);
  });

  it("no growing type, no leak; an owner alone is a leak without members", () => {
    expect(run([])).toEqual([]);
    expect(run([3])).toMatchObject([{ root: "Session", members: [] }]);
  });
});
