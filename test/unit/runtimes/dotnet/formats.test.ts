import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDumpheapStat } from "../../../../src/runtimes/dotnet/formats/dumpheap-stat.js";
import { parseGcdumpReport } from "../../../../src/runtimes/dotnet/formats/gcdump-report.js";
import { FUZZ_RUNS, assertWellFormed, bodyOrParseError, expectParseError, fixture, fuzzInputArb, hasShared, shared } from "../../../helpers/parsers.js";

// Hand-written fixtures (see test/fixtures/parsers/README.md): no .NET runtime on this machine.
const session = fixture("dumpheap-stat-managed-session-handwritten.txt");
const deLocale = fixture("gcdump-report-de-locale-handwritten.txt");
const sharedOr = (name: string) => (hasShared ? shared(name) : "");

describe("dotnet-gcdump report", () => {
  it.skipIf(!hasShared)("parses the documented sample (shared fixture)", () => {
    const body = parseGcdumpReport(shared("gcdump-report-docs.txt"));
    assertWellFormed(body, { totalBytesIsSum: false });
    expect(body.format).toBe("gcdump-report");
    expect(body.bytesExact).toBe(false);
    expect(body.totalBytes).toBe(1302804); // the header's GC Heap bytes, not the sum of estimates
    expect(body.totalObjects).toBe(10);
    expect(body.types).toEqual([
      // 24,468 × 1 (Bytes > 10K) + 7,074 × 4 (Bytes > 1K): buckets merged, bytes = count × one object's size
      { type: "System.String", count: 5, bytes: 24468 + 4 * 7074 },
      { type: "System.Object[]", count: 3, bytes: 3 * 12800 },
      { type: "System.Int32[]", count: 1, bytes: 31128 },
      { type: "Entry<System.String, System.Drawing.Color>[]", count: 1, bytes: 7904 },
    ]);
    expect(body.notes.join(" ")).toMatch(/estimated as count × the size of one object/);
    expect(body.notes.join(" ")).toMatch(/GC Heap bytes/);
  });

  it("parses locale group separators of older builds and strips module columns", () => {
    const body = parseGcdumpReport(deLocale);
    assertWellFormed(body, { totalBytesIsSum: false });
    expect(body.totalBytes).toBe(3402804);
    expect(body.types).toEqual([
      { type: "MyApp.Order", count: 25000, bytes: 800000 },
      { type: "System.String", count: 1 + 3 + 1523, bytes: 24468 + 3 * 1200 + 1523 * 48 },
      { type: "System.Int32[]", count: 1, bytes: 31128 },
      { type: "System.Object", count: 1000, bytes: 24000 },
    ]);
  });

  it("accepts comma, NBSP and narrow-NBSP separators; uses the sum when the header is absent", () => {
    const text = [
      "   Object Bytes     Count  Type",
      "          1,024     1\u00a0000  A.B  [A.dll]",
      "             24     2\u202f000  C.D",
      "             24         5  <UNKNOWN>",
    ].join("\n");
    const body = parseGcdumpReport(text);
    assertWellFormed(body);
    expect(body.types).toEqual([
      { type: "A.B", count: 1000, bytes: 1024000 },
      { type: "C.D", count: 2000, bytes: 48000 },
      { type: "<UNKNOWN>", count: 5, bytes: 120 },
    ]);
    expect(body.notes.join(" ")).toMatch(/sum of the estimates/);
  });

  it("rejects garbled and truncated reports", () => {
    expectParseError(() => parseGcdumpReport("      1,302,804  GC Heap bytes\n"), 1, /no 'Object Bytes/);
    expectParseError(() => parseGcdumpReport("   Object Bytes     Count  Type\n"), 2, /truncated/);
    expectParseError(() => parseGcdumpReport("   Object Bytes     Count  Type\n         31,128\n"), 2, /unexpected line/);
    expectParseError(() => parseGcdumpReport("   Object Bytes     Count  Type\n         31,12,8   1  A\n"), 2, /bad number/);
    expectParseError(() => parseGcdumpReport("     1  GC Heap objects\n   Object Bytes     Count  Type\n   8   2  A\n"), 3, /more than the header/);
  });
});

describe("SOS dumpheap -stat", () => {
  it.skipIf(!hasShared)("parses the native SOS sample: 16-digit MT, no separators, Free excluded", () => {
    const body = parseDumpheapStat(shared("dumpheap-stat-native-sos.txt"));
    assertWellFormed(body);
    expect(body.format).toBe("dumpheap-stat");
    expect(body.bytesExact).toBe(true);
    expect(body.types).toHaveLength(8);
    expect(body.types[0]).toEqual({ type: "System.String", count: 206770, bytes: 19494060 });
    expect(body.types.find((r) => r.type === "testwebapi.Controllers.Customer")).toEqual({
      type: "testwebapi.Controllers.Customer",
      count: 200000,
      bytes: 4800000,
    });
    expect(body.types.some((r) => r.type === "Free")).toBe(false);
    expect(body.totalObjects).toBe(413807 - 3847);
    expect(body.totalBytes).toBe(29191644);
    expect(body.notes.join(" ")).toMatch(/'Free'.*3847 free blocks, 116080 bytes/);
    // The documentation sample shows only the last rows of the table.
    expect(body.notes.join(" ")).toMatch(/428516 objects .* 413807/);
  });

  it.skipIf(!hasShared)("parses the managed SOS sample: 12-digit MT, footer with bytes", () => {
    const body = parseDumpheapStat(shared("dumpheap-stat-managed-sos.txt"));
    assertWellFormed(body);
    expect(body.types).toEqual([{ type: "System.Reflection.LoaderAllocatorScout", count: 2, bytes: 48 }]);
    expect(body.totalObjects).toBe(2);
    expect(body.totalBytes).toBe(48);
    expect(body.notes).toEqual([]);
  });

  it("spells native SOS's reflection-style generic names as managed SOS does", () => {
    const table = [
      "              MT    Count    TotalSize Class Name",
      "00007f6c1eeefba8      113        21696 System.Collections.Generic.Dictionary`2+Entry[[System.Int32, System.Private.CoreLib],[PerfTarget.Customer, PerfTarget]][]",
      "00007f6c1eeefc00        2           96 System.Collections.Generic.List`1[[System.String, System.Private.CoreLib]]",
      "00007f6c1eeefd00        1           24 PerfTarget.Outer+Inner",
      "Total 116 objects",
    ].join("\n");
    expect(parseDumpheapStat(table).types.map((t) => t.type)).toEqual([
      "System.Collections.Generic.Dictionary<System.Int32, PerfTarget.Customer>+Entry[]",
      "System.Collections.Generic.List<System.String>",
      "PerfTarget.Outer+Inner",
    ]);
  });

  it("parses a full dotnet-dump session: preamble, progress lines, separators, merged MTs, trailer", () => {
    const body = parseDumpheapStat(session);
    assertWellFormed(body);
    expect(body.types).toEqual([
      { type: "MyApp.Cache+Entry", count: 250000, bytes: 12000000 },
      { type: "System.String", count: 123456, bytes: 9876480 },
      { type: "System.Byte[]", count: 15210, bytes: 1216800 },
      { type: "MyApp.Session", count: 1500, bytes: 48000 },
      { type: "<unknown_type>", count: 3, bytes: 72 },
      { type: "System.Reflection.LoaderAllocatorScout", count: 2, bytes: 48 },
    ]);
    expect(body.totalObjects).toBe(394294 - 4123);
    expect(body.notes.join(" ")).toMatch(/4123 free blocks, 2345678 bytes/);
  });

  it("rejects truncated and garbled tables with the line", () => {
    const lines = session.split("\n");
    const total = lines.findIndex((l) => l.startsWith("Total"));
    expectParseError(() => parseDumpheapStat(lines.slice(0, total).join("\n")), total + 1, /truncated/);
    const garbled = [...lines];
    garbled[11] = garbled[11]!.replace("1,200", "1,2x0");
    expectParseError(() => parseDumpheapStat(garbled.join("\n")), 12, /^dumpheap-stat: line 12: unexpected line/);
    expectParseError(() => parseDumpheapStat("> dumpheap -stat\nThe GC heap is not in a valid state\n"), 2, /no 'MT Count/);
    expectParseError(() => parseDumpheapStat("MT Count TotalSize Class Name\n7ffc3b9b86f8 5 48 A\nTotal 2 objects, 48 bytes\n"), 3, /more than the footer/);
  });
});

describe("dotnet fuzzing", () => {
  it("gcdump report: well-formed body or ParseError", () => {
    const bases = [deLocale, sharedOr("gcdump-report-docs.txt")].filter((t) => t !== "");
    fc.assert(
      fc.property(fuzzInputArb(bases), (text) => {
        bodyOrParseError(() => parseGcdumpReport(text), { totalBytesIsSum: false });
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
  it("dumpheap -stat: well-formed body or ParseError", () => {
    const bases = [session, sharedOr("dumpheap-stat-native-sos.txt"), sharedOr("dumpheap-stat-managed-sos.txt")].filter((t) => t !== "");
    fc.assert(
      fc.property(fuzzInputArb(bases), (text) => {
        bodyOrParseError(() => parseDumpheapStat(text));
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
