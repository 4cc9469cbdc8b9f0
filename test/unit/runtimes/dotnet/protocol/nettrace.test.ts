// The nettrace decoder and the heap-dump aggregation on streams recorded from a real .NET 10 runtime
// (test/fixtures/dotnet) and on synthetic streams with chosen defects.
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../../../src/model/parse-error.js";
import { NettraceDecoder, type EventMetadata } from "../../../../../src/runtimes/dotnet/protocol/nettrace.js";
import { HeapDumpAggregator, gcdumpTypeName } from "../../../../../src/runtimes/dotnet/heapdump.js";
import { decodeFields } from "../../../../../src/runtimes/dotnet/protocol/events.js";
import { parseCounterPayload, type CounterReading } from "../../../../../src/runtimes/dotnet/counters.js";
import { fixture, heapDumpStream } from "../writer.js";

function aggregate(buf: Buffer, chunk = buf.length) {
  const agg = new HeapDumpAggregator();
  const d = new NettraceDecoder(agg);
  for (let i = 0; i < buf.length; i += chunk) d.push(buf.subarray(i, i + chunk));
  d.end();
  return { agg, d, body: agg.summary() };
}

const row = (body: { types: Array<{ type: string; count: number; bytes: number }> }, t: string) => body.types.find((r) => r.type === t);

describe("recorded heap dumps (.NET 10)", () => {
  it("decodes the 25-session dump: exact counts of the program's types, complete, nothing dropped", () => {
    const { agg, d, body } = aggregate(fixture("heapdump-leak25.nettrace.gz"));
    expect(d.complete).toBe(true);
    expect(d.stats.droppedEvents).toBe(0);
    expect(agg.state).toBe("complete");
    expect(agg.losses()).toMatchObject({ dropped: 0, nodeEvents: 0, edgeEvents: 0, nodesComplete: true, edgesComplete: true });
    expect(agg.bulkEdgeEvents).toBeGreaterThan(0);
    expect(agg.unnamedObjects).toBe(0);
    expect(row(body, "Leakwatch.Targets.LeakySession")).toEqual({ type: "Leakwatch.Targets.LeakySession", count: 25, bytes: 25 * 56 });
    expect(row(body, "Leakwatch.Targets.SessionOptions")?.count).toBe(25);
    expect(row(body, "Leakwatch.Targets.TransientSession")).toBeUndefined();
    expect(row(body, "System.Collections.Generic.List<Leakwatch.Targets.LeakySession>")?.count).toBe(1);
    expect(body.totalObjects).toBe(body.types.reduce((s, t) => s + t.count, 0));
    expect(body.totalBytes).toBe(body.types.reduce((s, t) => s + t.bytes, 0));
    expect(body.format).toBe("nettrace");
    expect(body.bytesExact).toBe(true);
    // Sorted by bytes, descending.
    for (let i = 1; i < body.types.length; i++) expect(body.types[i - 1]!.bytes).toBeGreaterThanOrEqual(body.types[i]!.bytes);
  });

  it("decodes the dump with 30 000 ballast objects over many GCBulkNode events", () => {
    const { agg, body } = aggregate(fixture("heapdump-ballast.nettrace.gz"));
    expect(agg.state).toBe("complete");
    expect(agg.bulkNodeEvents).toBeGreaterThan(10);
    expect(row(body, "Leakwatch.Targets.Ballast")).toEqual({ type: "Leakwatch.Targets.Ballast", count: 30_000, bytes: 30_000 * 32 });
    expect(row(body, "Leakwatch.Targets.LeakySession")?.count).toBe(25);
    // Memory follows types, not objects: one counter per type id.
    expect(agg.typeCount).toBeLessThan(400);
    expect(agg.objects).toBeGreaterThan(30_000);
    // The induced GC's duration from its GCStart/GCEnd timestamps.
    expect(agg.gcSeconds).toBeGreaterThan(0);
    expect(agg.gcSeconds).toBeLessThan(5);
  });

  it("gives the same result whatever the chunking (1, 7, 4096 bytes)", () => {
    const buf = fixture("heapdump-leak25.nettrace.gz");
    const whole = aggregate(buf).body;
    for (const chunk of [1, 7, 4096]) expect(aggregate(buf, chunk).body).toEqual(whole);
  });

  it("rejects a truncated stream at end() with a ParseError naming where it stopped", () => {
    const buf = fixture("heapdump-leak25.nettrace.gz");
    const d = new NettraceDecoder();
    d.push(buf.subarray(0, buf.length - 100));
    expect(() => d.end()).toThrow(ParseError);
    expect(() => d.end()).toThrow(/truncated at byte \d+/);
  });
});

describe("recorded counters (System.Runtime EventCounters)", () => {
  it("decodes self-described EventCounters payloads into base units", () => {
    const readings = new Map<string, Omit<CounterReading, "total" | "at">>();
    const metas: EventMetadata[] = [];
    const d = new NettraceDecoder({
      onMetadata: (m) => metas.push(m),
      onEvent: (m, _h, p) => {
        if (m.eventName !== "EventCounters") return;
        const r = parseCounterPayload(decodeFields(p, m.fields));
        if (r) readings.set(r.name, r);
      },
    });
    d.push(fixture("counters.nettrace.gz"));
    d.end();
    expect(metas.filter((m) => m.provider === "System.Runtime").length).toBeGreaterThan(0);
    const heap = readings.get("gc-heap-size")!;
    expect(heap.kind).toBe("mean");
    // Reported in MB (10^6): converted to bytes.
    expect(heap.value).toBeGreaterThan(100_000);
    expect(heap.value).toBeLessThan(100e6);
    expect(readings.get("alloc-rate")?.kind).toBe("sum");
    expect(readings.get("gen-0-gc-count")?.kind).toBe("sum");
    const tig = readings.get("time-in-gc")!;
    expect(tig.value).toBeGreaterThanOrEqual(0);
    expect(tig.value).toBeLessThanOrEqual(1);
    for (const n of ["gen-0-size", "gen-1-size", "gen-2-size", "loh-size", "poh-size", "working-set", "gc-fragmentation"])
      expect(readings.has(n), n).toBe(true);
  });
});

describe("synthetic streams", () => {
  it("aggregates a small dump and names types as dotnet-gcdump does", () => {
    const { agg, body } = aggregate(heapDumpStream());
    expect(agg.state).toBe("complete");
    expect(body.types).toEqual(
      [
        { type: "App.Foo", count: 3, bytes: 72 },
        { type: "System.String[]", count: 1, bytes: 100 },
        { type: "System.Collections.Generic.List<System.String>", count: 2, bytes: 64 },
      ].sort((a, b) => b.bytes - a.bytes),
    );
    expect(body.totalObjects).toBe(6);
    expect(body.totalBytes).toBe(236);
  });

  it("keeps counters per type id when nodes arrive before their BulkType, and names them at the end", () => {
    expect(aggregate(heapDumpStream({ nodesFirst: true })).body).toEqual(aggregate(heapDumpStream()).body);
  });

  it("detects lost events: a sequence gap in a thread's events, and a sequence point ahead of the last event", () => {
    expect(aggregate(heapDumpStream({ seqGap: true })).d.stats.droppedEvents).toBe(2);
    expect(aggregate(heapDumpStream({ spAhead: true })).d.stats.droppedEvents).toBe(35);
    expect(aggregate(heapDumpStream()).d.stats.droppedEvents).toBe(0);
  });

  it("tells lost objects from other lost events: an Index gap is nodes, a gap elsewhere leaves the counts proven", () => {
    expect(aggregate(heapDumpStream({ indexGap: true })).agg.losses()).toMatchObject({ dropped: 0, nodeEvents: 1, nodesComplete: false });
    expect(aggregate(heapDumpStream({ lostNode: true })).agg.losses()).toMatchObject({
      dropped: 1,
      nodeEvents: 1,
      otherEvents: 0,
      objectsEstimate: 3,
      nodesComplete: false,
    });
    // Two events lost before the first node event: not nodes (Index 0 and 1 arrived, and the event after the last
    // one on its thread too), so every object was counted.
    expect(aggregate(heapDumpStream({ seqGap: true })).agg.losses()).toMatchObject({ dropped: 2, nodeEvents: 0, otherEvents: 2, nodesComplete: true });
    // A sequence point says 35 events were lost, but the last node event is the walk's smaller last one.
    expect(aggregate(heapDumpStream({ spAhead: true })).agg.losses()).toMatchObject({ dropped: 35, nodesComplete: true });
    // The same loss when the last node event seen is as full as the others (as the runtime's stream is when its buffer
    // filled up: the walk's later events are dropped, the small ones after them still fit, numbered in a row): the
    // lost events may be objects.
    expect(aggregate(heapDumpStream({ spAhead: true, lastFull: true })).agg.losses()).toMatchObject({ dropped: 35, nodesComplete: false });
    expect(aggregate(heapDumpStream({ lastFull: true })).agg.losses()).toMatchObject({ dropped: 0, nodesComplete: true });
    expect(aggregate(heapDumpStream()).agg.losses()).toMatchObject({ dropped: 0, nodesComplete: true, edgesComplete: true });
  });

  it("fails clearly on a wrong magic, an unknown object and an oversized block", () => {
    const good = heapDumpStream();
    const bad = Buffer.from(good);
    bad.write("Netxxxxx", 0, "latin1");
    expect(() => new NettraceDecoder().push(bad)).toThrow(/not a nettrace stream/);
    const unknown = Buffer.from(good);
    const at = unknown.indexOf("MetadataBlock", 0, "latin1");
    unknown.write("MetadataBlocX", at, "latin1");
    expect(() => new NettraceDecoder().push(unknown)).toThrow(/unknown object type "MetadataBlocX"/);
    const big = Buffer.from(good);
    big.writeInt32LE(0x7fffffff, at + "MetadataBlock".length + 1);
    expect(() => new NettraceDecoder().push(big)).toThrow(/MetadataBlock of 2147483647 bytes/);
    // A failed decoder stays failed.
    const d = new NettraceDecoder();
    expect(() => d.push(bad)).toThrow(ParseError);
    expect(() => d.push(good)).toThrow(ParseError);
  });

  it("spells runtime type names as SOS does (declaring types of nested ones: type-names.test.ts)", () => {
    expect(gcdumpTypeName("System.Collections.Generic.Dictionary`2[System.String,System.Int32]")).toBe(
      "System.Collections.Generic.Dictionary<System.String, System.Int32>",
    );
    expect(gcdumpTypeName("System.String[,]")).toBe("System.String[,]");
    expect(gcdumpTypeName("System.Byte[]")).toBe("System.Byte[]");
    expect(gcdumpTypeName("", 0x2a, true)).toBe("ArrayType(0x2a)");
    expect(gcdumpTypeName("", 0x2a)).toBe("Type(0x2a)");
  });
});
