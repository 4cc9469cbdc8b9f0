// The .NET heap graph from synthetic heap walk events: references matched to their objects by the walk order
// (EdgeCount), roots by kind with weak handles left out, static-field roots named, ConditionalWeakTable values as
// references of their keys, and no graph when references were lost.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { edgeLabel, type HeapGraph } from "../../../../src/model/heap-graph.js";
import { AddressPacker, AddressTable, DotnetGraphCollector, PageIndex, addressIndex, finishGraph } from "../../../../src/runtimes/dotnet/graph.js";
import { HeapDumpAggregator } from "../../../../src/runtimes/dotnet/heapdump.js";
import { NettraceDecoder } from "../../../../src/runtimes/dotnet/protocol/nettrace.js";
import { pathToFileURL } from "node:url";
import { type SpoolDecoder, decodeSpoolFile, readNettraceGraph, spoolHandlers } from "../../../../src/runtimes/dotnet/spool.js";
import { META, NettraceWriter, RUNTIME_METAS, type SyntheticEvent, fixture, payloads, uint16, uint32, uint64 } from "./writer.js";

const M = { Edge: 5, Root: 6, Static: 7, Cwt: 8 } as const;
const METAS = [
  ...RUNTIME_METAS,
  { id: M.Edge, provider: "Microsoft-Windows-DotNETRuntime", eventId: 19 },
  { id: M.Root, provider: "Microsoft-Windows-DotNETRuntime", eventId: 16 },
  { id: M.Static, provider: "Microsoft-Windows-DotNETRuntime", eventId: 38 },
  { id: M.Cwt, provider: "Microsoft-Windows-DotNETRuntime", eventId: 17 },
];

const BASE = 0x7f1200000000n;
const at = (i: number): bigint => BASE + BigInt(i * 64);

function nodes(index: number, list: Array<{ obj: number; size: number; type: bigint; refs: number }>): Buffer {
  const vals = list.map((n) => Buffer.concat([uint64(at(n.obj)), uint64(n.size), uint64(n.type), uint64(n.refs)]));
  return Buffer.concat([uint32(index), uint32(list.length), uint16(0), ...vals]);
}
function edges(index: number, targets: bigint[]): Buffer {
  return Buffer.concat([uint32(index), uint32(targets.length), uint16(0), ...targets.map((t) => Buffer.concat([uint64(t), uint32(0)]))]);
}
function roots(index: number, list: Array<{ obj: number; kind: number; flags: number }>): Buffer {
  const vals = list.map((r) => Buffer.concat([uint64(at(r.obj)), Buffer.from([r.kind]), uint32(r.flags), uint64(0x99)]));
  return Buffer.concat([uint32(index), uint32(list.length), uint16(0), ...vals]);
}
function statics(list: Array<{ obj: number; type: bigint; field: string }>): Buffer {
  const vals = list.map((s) => Buffer.concat([uint64(1), uint64(at(s.obj)), uint64(s.type), uint32(0), Buffer.from(`${s.field}\0`, "utf16le")]));
  return Buffer.concat([uint32(list.length), uint64(1), uint16(0), ...vals]);
}
function cwt(index: number, key: number, value: number): Buffer {
  return Buffer.concat([uint32(index), uint32(1), uint16(0), uint64(at(key)), uint64(at(value)), uint64(0x77)]);
}

// Objects: 0 Program statics holder (Holder), 1 Owner[] , 2 Owner, 3 Owner, 4 byte[], 5 byte[] (weakly held only),
// 6 Key, 7 Value (a ConditionalWeakTable value of 6), 8 garbage-free stack object (Holder).
function stream(opts: { loseEdge?: boolean } = {}): Buffer {
  const T = { Holder: 0x10n, Arr: 0x20n, Owner: 0x30n, Bytes: 0x40n, Key: 0x50n, Val: 0x60n };
  const ev: SyntheticEvent[] = [
    { metadataId: META.GCStart, payload: payloads.gcStart(3) },
    {
      metadataId: META.BulkType,
      payload: payloads.bulkType([
        { id: T.Holder, name: "App.Holder" },
        { id: T.Arr, name: "App.Owner[]", flags: 8, params: [T.Owner] },
        { id: T.Owner, name: "App.Owner" },
        { id: T.Bytes, name: "System.Byte[]", flags: 8 },
        { id: T.Key, name: "App.Key" },
        { id: T.Val, name: "App.Val" },
      ]),
    },
    {
      metadataId: META.BulkNode,
      payload: nodes(0, [
        { obj: 0, size: 24, type: T.Holder, refs: 1 },
        { obj: 1, size: 40, type: T.Arr, refs: 2 },
        { obj: 2, size: 32, type: T.Owner, refs: 1 },
        { obj: 3, size: 32, type: T.Owner, refs: 0 },
        { obj: 4, size: 1000, type: T.Bytes, refs: 0 },
      ]),
    },
    {
      metadataId: META.BulkNode,
      payload: nodes(1, [
        { obj: 5, size: 500, type: T.Bytes, refs: 0 },
        { obj: 6, size: 24, type: T.Key, refs: 0 },
        { obj: 7, size: 24, type: T.Val, refs: 1 },
        { obj: 8, size: 24, type: T.Holder, refs: 0 },
      ]),
    },
    // 0 → 1; 1 → 2, 3; 2 → 4; 7 → an address outside the walk (left out).
    { metadataId: M.Edge, payload: edges(0, [at(1), at(2), at(3)]) },
    { metadataId: M.Edge, payload: edges(opts.loseEdge ? 2 : 1, [at(4), 0x1234n]) },
    {
      metadataId: M.Root,
      payload: roots(0, [
        { obj: 8, kind: 0, flags: 0 }, // stack
        { obj: 5, kind: 2, flags: 2 }, // weak handle: not a root
        { obj: 6, kind: 2, flags: 1 }, // pinned handle
      ]),
    },
    { metadataId: M.Static, payload: statics([{ obj: 0, type: T.Owner, field: "All" }]) },
    { metadataId: M.Cwt, payload: cwt(0, 6, 7) },
    { metadataId: META.GCEnd, payload: payloads.gcEnd(3) },
  ];
  return new NettraceWriter().metadata(METAS).events(ev).end();
}

function decode(buf: Buffer): { agg: HeapDumpAggregator; graph: HeapGraph | undefined; error?: string } {
  const { agg, collector, handler } = spoolHandlers(true);
  new NettraceDecoder(handler).push(buf);
  const out = collector!.build((h) => new NettraceDecoder(h).push(buf));
  if ("error" in out) return { agg, graph: undefined, error: out.error };
  return { agg, graph: finishGraph(out.parts, agg.namer()) };
}

const typeOf = (g: HeapGraph, v: number): string => g.typeNames[g.nodeType[v]!]!;
const out = (g: HeapGraph, v: number): Array<[string, string]> => {
  const r: Array<[string, string]> = [];
  for (let e = g.edgeStart[v]!; e < g.edgeStart[v + 1]!; e++) r.push([edgeLabel(g, e), typeOf(g, g.edgeTarget[e]!)]);
  return r;
};

describe("dotnet heap graph", () => {
  it("matches each object's references by the walk order and names them by what is known", () => {
    const { agg, graph: g } = decode(stream());
    expect(g).toBeDefined();
    expect(g!.nodeCount).toBe(9);
    expect(Array.from(g!.nodeSize)).toEqual([24, 40, 32, 32, 1000, 500, 24, 24, 24]);
    expect(typeOf(g!, 2)).toBe("App.Owner");
    // The graph's types are named as the summary names its rows.
    expect(new Set(agg.summary().types.map((t) => t.type))).toEqual(new Set(g!.typeNames));
    expect(out(g!, 0)).toEqual([["(App.Owner[])", "App.Owner[]"]]);
    expect(out(g!, 1)).toEqual([
      ["[]", "App.Owner"],
      ["[]", "App.Owner"],
    ]);
    expect(out(g!, 2)).toEqual([["(System.Byte[])", "System.Byte[]"]]);
    expect(out(g!, 3)).toEqual([]);
    // The ConditionalWeakTable value is its key's; Val's reference outside the walk is left out.
    expect(out(g!, 6)).toEqual([["(ConditionalWeakTable value)", "App.Val"]]);
    expect(out(g!, 7)).toEqual([]);
  });

  it("keeps strong roots with their kind, names static fields, and leaves weak handles out", () => {
    const { graph: g } = decode(stream());
    const rootList = Array.from(g!.roots, (v, i) => [v, g!.names[g!.rootName[i]!]]);
    expect(rootList).toEqual([
      [8, "stack"],
      [6, "pinned handle"],
      [0, "static All"],
    ]);
    expect(Array.from(g!.roots)).not.toContain(5);
  });

  it("builds no graph when references were lost (they could not be matched to their objects)", () => {
    const r = decode(stream({ loseEdge: true }));
    expect(r.graph).toBeUndefined();
    expect(r.error).toMatch(/GCBulkEdge event 1 missing/);
  });

  it("indexes a walk in ascending runs per page by page, finding every address and none that is absent", () => {
    // Regions walked one after the other (the second below the first), objects of 24 to 1000 bytes, a large one.
    const sizes = [24, 32, 1000, 24, 40, 100_000, 24];
    const list: number[] = [];
    for (const base of [0x7f0000400000, 0x7f0000000000]) {
      let a = base;
      for (let i = 0; i < 20_000; i++) {
        list.push(a);
        a += sizes[i % sizes.length]!;
      }
    }
    const addr = Float64Array.from(list);
    const idx = PageIndex.build(addr);
    expect(idx).toBeDefined();
    for (let i = 0; i < addr.length; i++) expect(idx!.find(addr[i]!)).toBe(i);
    for (let i = 0; i < addr.length; i += 101) expect(idx!.find(addr[(i * 7919) % addr.length]!)).toBe((i * 7919) % addr.length);
    expect(idx!.find(addr[5]! + 8)).toBe(-1);
    expect(idx!.find(0x7e0000000000)).toBe(-1);
    // A page's objects out of order: no page index, the hash table instead.
    const shuffled = Float64Array.from([addr[1]!, addr[0]!, addr[2]!]);
    expect(PageIndex.build(shuffled)).toBeUndefined();
    const fallback = addressIndex(shuffled);
    expect(fallback).toBeInstanceOf(AddressTable);
    expect([0, 1, 2].map((i) => fallback.find(shuffled[i]!))).toEqual([0, 1, 2]);
  });

  it("finds every address in the table and none that is absent", () => {
    const addr = new Float64Array(100_000);
    for (let i = 0; i < addr.length; i++) addr[i] = 0x7f0000000000 + ((i * 7919) % addr.length) * 24;
    const t = new AddressTable(addr);
    for (let i = 0; i < addr.length; i += 97) expect(t.find(addr[i]!)).toBe(i);
    expect(t.find(0x7f0000000000 + 8)).toBe(-1);
    expect(t.find(0x7e0000000000)).toBe(-1);
  });
});

describe("a kept .nettrace file", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("reads as a heap graph (leakwatch paths)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lw-graph-"));
    dirs.push(dir);
    const file = path.join(dir, "kept.nettrace");
    writeFileSync(file, stream(), { mode: 0o600 });
    const { summary, graph } = await readNettraceGraph(file);
    expect(summary.totalObjects).toBe(9);
    expect(graph.nodeCount).toBe(9);
    expect(graph.edgeTarget.length).toBe(5);
  });

  it("keeps type ids in 16 bits up to 65 536 types and widens at the 65 537th, every object keeping its type", () => {
    // 70 000 objects, each of a type of its own, one bulk event each 1 000; no references.
    const count = 70_000;
    const ev: SyntheticEvent[] = [{ metadataId: META.GCStart, payload: payloads.gcStart(3) }];
    for (let b = 0; b < count / 1000; b++) {
      const list = Array.from({ length: 1000 }, (_, k) => ({ obj: b * 1000 + k, size: 24, type: 0x1000n + BigInt(b * 1000 + k) * 8n, refs: 0 }));
      ev.push({ metadataId: META.BulkNode, payload: nodes(b, list) });
    }
    ev.push({ metadataId: META.GCEnd, payload: payloads.gcEnd(3) });
    const buf = new NettraceWriter().metadata(METAS).events(ev).end();
    const collector = new DotnetGraphCollector();
    new NettraceDecoder(collector).push(buf);
    const out = collector.build((h) => new NettraceDecoder(h).push(buf));
    if ("error" in out) throw new Error(out.error);
    expect(out.parts.nodeType).toBeInstanceOf(Uint32Array);
    expect(out.parts.typeKeys.length).toBe(count);
    let wrong = 0;
    // Each object has the type first seen with it: type index i.
    for (let i = 0; i < count; i++) if (out.parts.nodeType[i] !== i) wrong++;
    expect(wrong).toBe(0);
    expect(new Set(out.parts.nodeType).size).toBe(count);
  });

  it("packs addresses in 32 bits, and keeps them as doubles past 512 windows of 64 MiB or at an unaligned object, with the same graph", () => {
    // A chain of objects, each referring to the next and one address that is no object's; spaced `gap` bytes apart.
    const build = (count: number, gap: bigint, odd = -1) => {
      const addr = (i: number): bigint => BASE + BigInt(i) * gap + (i === odd ? 4n : 0n);
      const vals = Array.from({ length: count }, (_, i) => Buffer.concat([uint64(addr(i)), uint64(24), uint64(0x10n), uint64(i < count - 1 ? 2 : 1)]));
      const targets: bigint[] = [];
      for (let i = 0; i < count; i++) {
        if (i < count - 1) targets.push(addr(i + 1));
        targets.push(addr(i) + 8n); // inside the object: no object starts there
      }
      const ev: SyntheticEvent[] = [
        { metadataId: META.GCStart, payload: payloads.gcStart(3) },
        { metadataId: META.BulkNode, payload: Buffer.concat([uint32(0), uint32(count), uint16(0), ...vals]) },
        { metadataId: M.Edge, payload: edges(0, targets) },
        { metadataId: M.Root, payload: roots(0, [{ obj: 0, kind: 0, flags: 0 }]) },
        { metadataId: META.GCEnd, payload: payloads.gcEnd(3) },
      ];
      const buf = new NettraceWriter().metadata(METAS).events(ev).end();
      const collector = new DotnetGraphCollector();
      new NettraceDecoder(collector).push(buf);
      const out = collector.build((h) => new NettraceDecoder(h).push(buf));
      if ("error" in out) throw new Error(out.error);
      return out.parts;
    };
    const chain = (count: number) => ({
      edgeStart: Array.from({ length: count + 1 }, (_, i) => Math.min(i, count - 1)),
      edgeTarget: Array.from({ length: count - 1 }, (_, i) => i + 1),
    });
    // Packed: 600 objects 1 MiB apart (10 windows); by page where the walk allows.
    // Past 512 windows: 600 objects 64 MiB apart. An unaligned object: the 300th at +4.
    for (const [what, count, gap, odd] of [
      ["packed", 600, 1n << 20n, -1],
      ["past 512 windows", 600, 1n << 26n, -1],
      ["an unaligned object", 600, 1n << 20n, 300],
    ] as const) {
      const p = build(count, gap, odd);
      expect({ edgeStart: Array.from(p.edgeStart), edgeTarget: Array.from(p.edgeTarget) }, what).toEqual(chain(count));
      expect(p.unresolved, what).toBe(count);
      expect(Array.from(p.roots), what).toEqual([0]);
    }
  });

  it("a second read that fails fails the build with its error; one that finds other references says so", () => {
    const buf = stream();
    const broken = new DotnetGraphCollector();
    new NettraceDecoder(broken).push(buf);
    expect(() =>
      broken.build(() => {
        throw new Error("the spool file is gone");
      }),
    ).toThrow("the spool file is gone");
    const other = new DotnetGraphCollector();
    new NettraceDecoder(other).push(buf);
    // A second read that finds none of the references the first one counted.
    expect(other.build(() => undefined)).toEqual({
      error: expect.stringContaining("the second read of the stream found"),
    });
  });

  it("ignores the graph events when no graph is asked for", () => {
    const { collector, handler } = spoolHandlers(false);
    expect(collector).toBeUndefined();
    expect(handler).toBeInstanceOf(HeapDumpAggregator);
    expect(new DotnetGraphCollector().build(() => undefined)).toEqual({ error: "no heap walk in the stream" });
  });
});

describe("AddressPacker", () => {
  it("packs an aligned address in a known window and unpacks it; refuses an unaligned one, a 513th window, and finds none outside its windows", () => {
    const p = new AddressPacker(8);
    const base = 0x7f12_0000_0000;
    const a = base + 123 * 8;
    const packed = p.add(a);
    expect(packed).toBeGreaterThanOrEqual(0);
    expect(packed).toBeLessThan(2 ** 32);
    expect(p.unpack(packed)).toBe(a);
    expect(p.find(a)).toBe(packed);
    expect(p.find(a + 4)).toBe(-1);
    expect(p.add(a + 4)).toBe(-1);
    // Order within a window is kept (PageIndex relies on it), and a page is 512 units.
    expect(p.add(a + 8)).toBe(packed + 1);
    expect(p.page).toBe(512);
    expect(p.find(base + 2 ** 40)).toBe(-1);
    for (let w = 1; w < 512; w++) expect(p.add(base + w * 2 ** 26)).toBeGreaterThanOrEqual(0);
    expect(p.add(base + 512 * 2 ** 26)).toBe(-1);
    // Above 2^48 (the Map's windows): the same.
    const q = new AddressPacker(8);
    const high = 2 ** 50 + 64;
    expect(q.unpack(q.add(high))).toBe(high);
  });
});

describe("the graph of a recorded heap snapshot stream", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("is built in the spool worker and transferred, the same as built on the main thread", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lw-graph-"));
    dirs.push(dir);
    const file = path.join(dir, "s.nettrace");
    const stream = fixture("heapdump-ballast.nettrace.gz");
    writeFileSync(file, stream, { mode: 0o600 });
    const main = await decodeSpoolFile(file, new AbortController().signal, true);
    if (main.graph === undefined || "error" in main.graph) throw new Error(`no graph: ${JSON.stringify(main.graph)}`);
    const p = main.graph.parts;
    expect(p.nodeCount).toBe(main.agg.objects);
    expect(p.edgeTarget.length).toBeGreaterThan(p.nodeCount / 2);
    expect(p.roots.length).toBeGreaterThan(0);

    const dist = pathToFileURL(path.resolve(__dirname, "../../../../dist/runtimes/dotnet/spool.js")).href;
    const built = (await import(dist)) as { SpoolDecoder: typeof SpoolDecoder };
    const decoder = new built.SpoolDecoder(file, true, true);
    decoder.wrote(stream.length);
    const r = await decoder.finish(new AbortController().signal);
    expect(r.decodedIn).toBe("worker");
    if (r.graph === undefined || "error" in r.graph) throw new Error("no graph from the worker");
    const w = r.graph.parts;
    // Type ids in 16 bits (a few hundred types), moved across as typed arrays.
    expect(w.nodeType).toBeInstanceOf(Uint16Array);
    expect(w.nodeCount).toBe(p.nodeCount);
    const bytes = (a: Uint32Array | Uint16Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(bytes(w.nodeType).equals(bytes(p.nodeType))).toBe(true);
    expect(bytes(w.edgeStart).equals(bytes(p.edgeStart))).toBe(true);
    expect(bytes(w.edgeTarget).equals(bytes(p.edgeTarget))).toBe(true);
    expect(Array.from(w.roots)).toEqual(Array.from(p.roots));
  });
});
