// Retention in a target's heap state, with a scripted source whose heap graph is known: the graph is asked for
// only as --retention-analysis says, a leak is rooted at the owner whose instances hold the growing bytes (not at
// the bytes themselves, not at the array they pile up in), its growth and path are published, the history survives
// a restart, and the API masks path names that could be data unless the admin token is given.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import express from "express";
import request from "supertest";
import { pino } from "pino";
import { DumpStore } from "../../../src/heap/store.js";
import { HeapState } from "../../../src/heap/state.js";
import type { RetentionMode } from "../../../src/heap/retention.js";
import type { DumpBody, DumpContext, HeapSource } from "../../../src/model/dump.js";
import type { HeapGraph } from "../../../src/model/heap-graph.js";
import { Target } from "../../../src/targets/target.js";
import { createApi } from "../../../src/server/api.js";
import type { HeapManager } from "../../../src/heap/manager.js";

const logger = pino({ level: "silent" });
let dir: string;
// A dump a minute, whatever the machine's speed: the verdicts read slopes against the dumps' times.
let clock = Date.parse("2026-12-01T00:00:00Z");
beforeEach(() => {
  vi.spyOn(Date, "now").mockImplementation(() => clock);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/**
 * (root) → Registry .sessions → Session[] [i] → Session .payload → Buffer, and .name → (string) whose key is a
 * secret-looking dictionary key; plus `steady` Steady objects held by the root directly.
 */
function heap(sessions: number, steady = 20): DumpBody {
  const types = ["Registry", "Session[]", "Session", "Buffer", "Steady", "(string)"];
  const names = ["sessions", "payload", "a8f3c9d2e1b4f5a6c7d8", "(GC roots)"];
  const n = 2 + sessions * 3 + steady;
  const nodeType = new Uint32Array(n);
  const nodeSize = new Float64Array(n);
  const edges: [number, number, number][] = [];
  nodeType[0] = 0;
  nodeSize[0] = 32;
  nodeType[1] = 1;
  nodeSize[1] = 16 + 8 * sessions;
  edges.push([0, 1, 0]);
  for (let i = 0; i < sessions; i++) {
    const s = 2 + i * 3;
    nodeType[s] = 2;
    nodeSize[s] = 40;
    nodeType[s + 1] = 3;
    nodeSize[s + 1] = 10_000;
    nodeType[s + 2] = 5;
    nodeSize[s + 2] = 64;
    edges.push([1, s, -1 - i], [s, s + 1, 1], [s, s + 2, 2]);
  }
  for (let k = 0; k < steady; k++) {
    nodeType[2 + sessions * 3 + k] = 4;
    nodeSize[2 + sessions * 3 + k] = 500;
  }
  edges.sort((a, b) => a[0] - b[0]);
  const edgeStart = new Uint32Array(n + 1);
  for (const [from] of edges) edgeStart[from + 1]!++;
  for (let i = 0; i < n; i++) edgeStart[i + 1]! += edgeStart[i]!;
  const roots = [0, ...Array.from({ length: steady }, (_, k) => 2 + sessions * 3 + k)];
  const graph: HeapGraph = {
    nodeCount: n,
    nodeType,
    nodeSize,
    edgeStart,
    edgeTarget: Uint32Array.from(edges.map((e) => e[1])),
    edgeName: Int32Array.from(edges.map((e) => e[2])),
    roots: Uint32Array.from(roots),
    rootName: Int32Array.from(roots.map(() => 3)),
    typeNames: types,
    names,
  };
  const rows = types
    .map((type, t) => {
      let count = 0;
      let bytes = 0;
      for (let i = 0; i < n; i++)
        if (nodeType[i] === t) {
          count++;
          bytes += nodeSize[i]!;
        }
      return { type, count, bytes };
    })
    .sort((a, b) => b.bytes - a.bytes);
  return {
    format: "plain",
    totalObjects: n,
    totalBytes: rows.reduce((s, r) => s + r.bytes, 0),
    bytesExact: true,
    types: rows,
    notes: [],
    graph,
  };
}

class GraphSource implements HeapSource {
  readonly name = "scripted";
  readonly asked: boolean[] = [];
  async memoryCost(): Promise<number> {
    return 0;
  }
  async dump(ctx: DumpContext): Promise<DumpBody> {
    clock += 60_000;
    this.asked.push(ctx.graph === true);
    const b = heap(100 + 60 * this.asked.length);
    if (!ctx.graph) delete b.graph;
    return b;
  }
}

async function setup(source: HeapSource, mode: RetentionMode, existing?: string) {
  dir = existing ?? (await mkdtemp(path.join(os.tmpdir(), "lw-retention-")));
  const store = new DumpStore({ dataDir: dir, retention: 100, logger });
  await store.open();
  const t = new Target({ name: "svc", pid: process.pid, restart: false } as never);
  t.setMain({ pid: process.pid, startTime: 1 });
  const state = new HeapState(
    t,
    source,
    "node",
    store,
    {
      timeoutSeconds: 5,
      keepDumps: 0,
      maxTypes: 10,
      verdict: { minAbsoluteGrowthBytes: 1000, minAbsoluteGrowthObjects: 10, window: 8 },
      rawDir: path.join(dir, "raw", "svc"),
      retention: { mode, dir: path.join(dir, "retention") },
    },
    logger,
  );
  await state.ready();
  return { state, t };
}

describe("retention in a target's heap state", () => {
  it("asks for the graph once something grows, and roots the leak at the owner with its members, accumulation point and path", async () => {
    const source = new GraphSource();
    const { state } = await setup(source, "suspects");
    for (let i = 0; i < 10; i++) expect((await state.dump("test")).result).toBe("success");
    // No graph before the first suspect; every dump with one after.
    const first = source.asked.indexOf(true);
    expect(first).toBeGreaterThan(0);
    expect(source.asked.slice(first).every(Boolean)).toBe(true);
    const view = state.view;
    expect(view.suspects.map((v) => v.type)).toContain("Buffer");
    expect(view.retentionRuns).toEqual({ success: 10 - first, failure: 0 });
    const leaks = view.retention!.leaks;
    expect(leaks.map((l) => l.root)).toEqual(["Session"]);
    const leak = leaks[0]!;
    expect(leak.members.map((m) => m.type)).toEqual(expect.arrayContaining(["Buffer"]));
    expect(leak.members.map((m) => m.type)).not.toContain("Steady");
    expect(leak.accumulationPoint).toBe("Session[]");
    expect(leak.path.map((p) => p.type)).toEqual(["Registry", "Session[]", "Session"]);
    expect(leak.path.map((p) => p.edge)).toEqual(["(GC roots)", "sessions", expect.stringMatching(/^\[\d+\]$/)]);
    // 700 sessions at the last dump, each holding 10 104 bytes.
    expect(leak.instances).toBe(700);
    expect(leak.retainedBytes).toBe(700 * (40 + 10_000 + 64));
    expect(leak.growthBytesPerSecond).toBeGreaterThan(0);
    // Found at the first analysis after the first suspect, a minute a dump.
    expect(Date.parse(leak.firstSeen)).toBeLessThan(clock);
    expect(view.retention!.retained.get("Session")).toBe(leak.retainedBytes);
    expect((await stat(path.join(dir, "retention", "svc.json"))).mode & 0o777).toBe(0o600);

    // A restart reads the history back: the same leak, first seen at the same time.
    const again = await setup(new GraphSource(), "suspects", dir);
    expect(again.state.view.retention?.leaks.map((l) => [l.root, l.firstSeen])).toEqual([["Session", leak.firstSeen]]);
  });

  it("never asks for a graph with --retention-analysis never, and always with always", async () => {
    const never = new GraphSource();
    const a = await setup(never, "never");
    for (let i = 0; i < 8; i++) await a.state.dump("test");
    expect(never.asked.some(Boolean)).toBe(false);
    expect(a.state.view.retention).toBeUndefined();
    await rm(dir, { recursive: true, force: true });
    const always = new GraphSource();
    const b = await setup(always, "always");
    for (let i = 0; i < 2; i++) await b.state.dump("test");
    expect(always.asked).toEqual([true, true]);
    expect(b.state.view.retentionRuns.success).toBe(2);
    // Nothing proven to grow yet: no leak, but retained bytes are known.
    expect(b.state.view.retention?.leaks).toEqual([]);
    expect(b.state.view.retention?.retained.get("Registry")).toBeGreaterThan(0);
  });

  it("GET /api/v1/targets/NAME/leaks: path names that look like data are masked without the admin token", async () => {
    // The key of a dictionary on the path: Session's .name edge is not on it, so put the secret in the root name.
    const source = new GraphSource();
    const { state, t } = await setup(source, "always");
    for (let i = 0; i < 10; i++) await state.dump("test");
    const view = state.view;
    const withSecret = {
      ...view,
      retention: {
        ...view.retention!,
        leaks: view.retention!.leaks.map((l) => ({ ...l, path: [{ type: "Registry", edge: "a8f3c9d2e1b4f5a6c7d8" }, ...l.path] })),
      },
    };
    const heaps = { view: () => withSecret } as unknown as HeapManager;
    const app = express().use("/api/v1", createApi({ targets: () => [t], heaps, store: undefined as never, adminToken: "s3cret-token" }));
    const open = await request(app).get("/api/v1/targets/svc/leaks").expect(200);
    expect(open.body[0].root).toBe("Session");
    expect(open.body[0].path[0].edge).toBe("***");
    expect(open.body[0].path.slice(1).map((p: { edge: string }) => p.edge)).toEqual(["(GC roots)", "sessions", expect.stringMatching(/^\[\d+\]$/)]);
    expect(Object.keys(open.body[0]).sort()).toEqual(
      ["accumulationPoint", "bytesPerRequest", "firstSeen", "growthBytesPerSecond", "instances", "members", "path", "retainedBytes", "root"].sort(),
    );
    const whole = await request(app).get("/api/v1/targets/svc/leaks").set("authorization", "Bearer s3cret-token").expect(200);
    expect(whole.body[0].path[0].edge).toBe("a8f3c9d2e1b4f5a6c7d8");
  });
});
