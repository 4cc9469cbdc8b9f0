// .NET type names in SOS's spelling, checked against what the real tools print for the same process: the fixtures
// test/fixtures/dotnet/heapdump-shapes.nettrace.gz, shapes-dumpheap-stat.txt and shapes-gcdump-report.txt were
// recorded from one run of test/fixtures/dotnet/targets after "shapes" (leakwatch's own session, then
// `dotnet-dump collect` + `analyze -c "dumpheap -stat"`, then `dotnet-gcdump collect` + `report`, 10.0.750501), and
// shapes-LeakTarget.dll is that run's build of the program.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../../src/model/parse-error.js";
import type { DumpSummaryBody } from "../../../../src/model/summary.js";
import { HeapDumpAggregator } from "../../../../src/runtimes/dotnet/heapdump.js";
import { type AssemblyTypes, fullTypeDefName, readAssemblyTypes } from "../../../../src/runtimes/dotnet/metadata.js";
import { staticFieldNamer } from "../../../../src/runtimes/dotnet/graph.js";
import { AssemblyCache, loadAssemblies, mappedAssemblies, matchModules } from "../../../../src/runtimes/dotnet/module-files.js";
import { NettraceDecoder } from "../../../../src/runtimes/dotnet/protocol/nettrace.js";
import { parseRuntimeName, sosFromGcdumpName, sosFromRuntimeName } from "../../../../src/runtimes/dotnet/type-names.js";
import { parseText, upgradeTypeNames } from "../../../../src/runtimes/index.js";
import { fixture } from "./writer.js";

const FIXTURES = path.resolve(__dirname, "../../../fixtures/dotnet");
const DLL = path.join(FIXTURES, "shapes-LeakTarget.dll");
const text = (name: string) => readFileSync(path.join(FIXTURES, name), "utf8");
const counts = (rows: Array<{ type: string; count: number }>) => Object.fromEntries(rows.map((r) => [r.type, r.count]));

function shapesDump() {
  const agg = new HeapDumpAggregator();
  const d = new NettraceDecoder(agg);
  d.push(fixture("heapdump-shapes.nettrace.gz"));
  d.end();
  return agg;
}

/**
 * The program's own types, and generic instantiations over them, except Dictionary's Entry: its declaring type is
 * in System.Private.CoreLib, whose assembly is not among the fixtures (the integration test checks it live).
 */
const ours = (t: string) => (t.includes("Leakwatch.Targets.") || t.startsWith("GlobalThing")) && !t.includes("Entry");

describe("runtime names in SOS's spelling", () => {
  it("spells BulkType names as SOS does (arguments with ', ', ranks kept, arity suffixes dropped)", () => {
    const cases: Array<[string, string]> = [
      ["System.Collections.Generic.Dictionary`2[System.String,System.Object]", "System.Collections.Generic.Dictionary<System.String, System.Object>"],
      ["System.String[,]", "System.String[,]"],
      ["System.Int32[][]", "System.Int32[][]"],
      ["System.Collections.Generic.List`1[System.Int32][,]", "System.Collections.Generic.List<System.Int32>[,]"],
      [
        "System.Collections.Generic.List`1[System.Func`1[System.Diagnostics.Tracing.EventSource]]",
        "System.Collections.Generic.List<System.Func<System.Diagnostics.Tracing.EventSource>>",
      ],
      [
        "Leakwatch.Targets.Pair`2[Leakwatch.Targets.Outer+Inner,System.Collections.Generic.List`1[System.Int32]]",
        "Leakwatch.Targets.Pair<Leakwatch.Targets.Outer+Inner, System.Collections.Generic.List<System.Int32>>",
      ],
      // Arguments go to the declaring type whose arity claims them.
      ["Ns.Holder`1+Slot[System.Int32]", "Ns.Holder<System.Int32>+Slot"],
      ["Ns.A`1+B`2[X,Y,Z][]", "Ns.A<X>+B<Y, Z>[]"],
      // Native SOS's assembly-qualified arguments.
      [
        "System.Collections.Generic.Dictionary`2+Entry[[System.Int32, System.Private.CoreLib],[PerfTarget.Customer, PerfTarget]][]",
        "System.Collections.Generic.Dictionary<System.Int32, PerfTarget.Customer>+Entry[]",
      ],
      // A nested type whose declaring types are unknown keeps its arguments, as dotnet-gcdump writes it.
      ["Entry[System.Int32,Leakwatch.Targets.Customer][]", "Entry<System.Int32, Leakwatch.Targets.Customer>[]"],
      ["<>c", "<>c"],
      ["<>c__DisplayClass2_0", "<>c__DisplayClass2_0"],
      ["System.Int32*[]", "System.Int32*[]"],
    ];
    for (const [raw, sos] of cases) expect(sosFromRuntimeName(raw), raw).toBe(sos);
    expect(parseRuntimeName("A[B")).toBeUndefined();
    expect(sosFromRuntimeName("A[B")).toBe("A[B");
    expect(parseRuntimeName(`${"A`1[".repeat(100)}X${"]".repeat(100)}`)).toBeUndefined();
  });

  it("brings dotnet-gcdump's (and leakwatch's earlier) spelling to SOS's where the text allows", () => {
    expect(sosFromGcdumpName("System.String<,>")).toBe("System.String[,]");
    expect(sosFromGcdumpName("System.Int32<,,>")).toBe("System.Int32[,,]");
    expect(sosFromGcdumpName("System.Collections.Generic.Dictionary<System.Int32,PerfTarget.Customer>")).toBe(
      "System.Collections.Generic.Dictionary<System.Int32, PerfTarget.Customer>",
    );
    expect(sosFromGcdumpName("A<B<C,D>,E[,]>")).toBe("A<B<C, D>, E[,]>");
    expect(sosFromGcdumpName("A<B, C>")).toBe("A<B, C>");
    for (const same of ["<>c", "System.Type+<>c", "<>c__DisplayClass2_0", "List<<>c>", "System.String[]", "Inner"]) expect(sosFromGcdumpName(same)).toBe(same);
  });
});

describe("assembly metadata", () => {
  it("reads each TypeDef's namespace, name and declaring type", async () => {
    const types = await readAssemblyTypes(DLL);
    const names = new Set<string>();
    for (let row = 1; row <= types.count; row++) names.add(fullTypeDefName(types, row)!);
    for (const n of ["Leakwatch.Targets.Outer", "Leakwatch.Targets.Outer+Inner", "Leakwatch.Targets.Outer+Inner+Deeper", "Leakwatch.Targets.Outer+Node`1"]) {
      expect(names).toContain(n);
    }
    expect(names).toContain("Leakwatch.Targets.Holder`1+Slot");
    expect(names).toContain("Leakwatch.Targets.Holder`1+<>c");
    expect(names).toContain("Leakwatch.Targets.Shapes+<>c");
    // Static fields by name → their declaring types (a heap dump's static roots name the field only).
    const owners = (field: string) => types.staticFieldOwners(field).map((row) => fullTypeDefName(types, row));
    expect(owners("Sessions")).toEqual(["Leakwatch.Targets.Program"]);
    expect(owners("Keep")).toEqual(["Leakwatch.Targets.Shapes"]);
    expect(owners("NoSuchField")).toEqual([]);
    expect(names).toContain("GlobalThing");
    expect(fullTypeDefName(types, 0)).toBeUndefined();
    expect(fullTypeDefName(types, types.count + 1)).toBeUndefined();
  });

  it("refuses what is not an assembly, a truncated one, and a FIFO (without blocking)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lw-md-"));
    try {
      const bytes = readFileSync(DLL);
      const cases: Array<[string, Buffer]> = [
        ["empty", Buffer.alloc(0)],
        ["text", Buffer.from("not a PE file at all, just some text that is long enough to read a header from it.")],
        ["truncated", bytes.subarray(0, 600)],
        ["garbled", Buffer.concat([bytes.subarray(0, 0x80), Buffer.alloc(bytes.length - 0x80, 0xff)])],
      ];
      for (const [name, data] of cases) {
        writeFileSync(path.join(dir, name), data);
        await expect(readAssemblyTypes(path.join(dir, name)), name).rejects.toThrow(ParseError);
      }
      const fifo = path.join(dir, "fifo");
      execFileSync("mkfifo", [fifo]);
      await expect(readAssemblyTypes(fifo)).rejects.toThrow(ParseError);
      expect(await new AssemblyCache().get(fifo)).toBeUndefined();
      expect(await new AssemblyCache().get(path.join(dir, "text"))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lists the mapped assemblies of /proc/PID/maps", () => {
    const maps = [
      "7f3c36800000-7f3c36864000 r--s 00000000 08:01 123 /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Private.CoreLib.dll",
      "7f3c36864000-7f3c36865000 r--p 00001000 08:01 123 /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Private.CoreLib.dll",
      "7f3c36900000-7f3c36901000 r--p 00000000 08:01 456 /srv/my app/App.DLL",
      "7f3c36a00000-7f3c36a01000 r-xp 00000000 08:01 789 /usr/lib/libc.so.6",
      "7f3c36b00000-7f3c36b01000 rw-p 00000000 00:00 0 [heap]",
    ].join("\n");
    expect(mappedAssemblies(maps)).toEqual(["/usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Private.CoreLib.dll", "/srv/my app/App.DLL"]);
  });
});

describe("matching modules to assembly files", () => {
  it("takes the file whose TypeDefs agree with every type seen, and leaves a module no file (or disagreeing files) fits", async () => {
    const types = await readAssemblyTypes(DLL);
    let inner = 0;
    let customer = 0;
    for (let row = 1; row <= types.count; row++) {
      if (fullTypeDefName(types, row) === "Leakwatch.Targets.Outer+Inner") inner = row;
      if (fullTypeDefName(types, row) === "Leakwatch.Targets.Customer") customer = row;
    }
    const dir = mkdtempSync(path.join(tmpdir(), "lw-md-"));
    try {
      const copy = path.join(dir, "copy.dll");
      writeFileSync(copy, readFileSync(DLL));
      const cache = new AssemblyCache();
      const seen = [
        { module: 1, row: inner, def: "Inner" },
        { module: 1, row: customer, def: "Leakwatch.Targets.Customer" },
        // Right name, wrong namespace: no file has it.
        { module: 2, row: inner, def: "Inner" },
        { module: 2, row: customer, def: "Other.Customer" },
        // Only namespaced types: nothing to resolve, so not even looked for.
        { module: 3, row: customer, def: "Leakwatch.Targets.Customer" },
      ];
      // The same assembly under two paths agrees with itself.
      const assemblies = await loadAssemblies([DLL, copy, path.join(dir, "missing.dll")], cache);
      expect(assemblies).toHaveLength(2);
      const match = matchModules(seen, assemblies);
      expect([...match.modules.keys()]).toEqual([1]);
      expect(fullTypeDefName(match.modules.get(1)!, inner)).toBe("Leakwatch.Targets.Outer+Inner");
      expect(match.unmatched).toBe(1);
      expect(matchModules(seen, [])).toEqual({ modules: new Map(), unmatched: 2, assemblies: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("static fields named by their declaring type", () => {
  it("looks in every assembly the process mapped, also one with no object on the heap, and names only what one type declares", async () => {
    const types = await readAssemblyTypes(DLL);
    // No sighting from the DLL's module (a static class's module may have no object on the heap): still searched.
    const match = matchModules([{ module: 7, row: 1, def: "System.Object" }], [types]);
    expect(match.modules.size).toBe(0);
    const name = staticFieldNamer(match.assemblies);
    expect(name("Sessions")).toBe("Leakwatch.Targets.Program.Sessions");
    expect(name("NoSuchField")).toBeUndefined();
    // Another assembly declaring a static field of the same name: which one the root is cannot be told.
    const other: AssemblyTypes = {
      count: 1,
      name: () => "Registry",
      namespace: () => "Other",
      enclosing: () => 0,
      staticFieldOwners: (f) => (f === "Sessions" ? [1] : []),
      instanceFields: () => [],
      baseType: () => 0,
      typeRefName: () => undefined,
      typeSpec: () => undefined,
      interfaces: () => [],
    };
    const both = staticFieldNamer([types, other]);
    expect(both("Sessions")).toBeUndefined();
    expect(both("Keep")).toBe("Leakwatch.Targets.Shapes.Keep");
  });
});

describe("the recorded shapes dump against SOS", () => {
  const sos = parseText(text("shapes-dumpheap-stat.txt"), "dumpheap-stat");

  it("names every type of the program as dumpheap -stat does, with the same counts", async () => {
    const agg = shapesDump();
    const match = matchModules(agg.typeDefs(), await loadAssemblies([DLL], new AssemblyCache()));
    expect(match.modules.size).toBe(1);
    const body = agg.summary([], match.modules);
    const mine = counts(body.types.filter((t) => ours(t.type)));
    expect(mine).toEqual(counts(sos.types.filter((t) => ours(t.type))));
    // The issue's shapes, spelt out.
    expect(mine["Leakwatch.Targets.Outer+Inner"]).toBe(101);
    expect(mine["Leakwatch.Targets.Outer+Inner+Deeper"]).toBe(102);
    expect(mine["Leakwatch.Targets.Holder<System.Int32>+Slot"]).toBe(104);
    expect(mine["Leakwatch.Targets.Pair<System.Int32, System.String>"]).toBe(105);
    expect(mine["Leakwatch.Targets.Outer+Inner[,]"]).toBe(117);
    expect(mine["Leakwatch.Targets.Holder<System.String>+Slot[]"]).toBe(116);
    expect(mine.GlobalThing).toBe(118);
    expect(mine["Leakwatch.Targets.Holder<System.Int32>+<>c"]).toBe(1);
    const all = counts(body.types);
    expect(all["System.String[,]"]).toBeGreaterThanOrEqual(107);
    expect(all["System.Int32[][]"]).toBe(108);
    // Every name is one SOS printed too (its table, taken later, has more: it counts dead objects), except the
    // nested types of the assemblies not given here (System.Private.CoreLib's `<>c`, `Entry<…>[]`).
    const sosNames = new Set(sos.types.map((t) => t.type));
    const missing = body.types.map((t) => t.type).filter((t) => !sosNames.has(t));
    expect(missing).toContain("<>c");
    expect(missing.filter((t) => /^[^<[]*\./.test(t))).toEqual([]);
  });

  it("without the assemblies, nested types keep their own names (the runtime's) and say so nowhere else", () => {
    const body = shapesDump().summary();
    const mine = counts(body.types);
    expect(mine.Inner).toBe(101);
    expect(mine["Leakwatch.Targets.Outer+Inner"]).toBeUndefined();
    expect(mine["Entry<System.Int32, Leakwatch.Targets.Customer>[]"]).toBe(113);
    expect(mine["System.String[,]"]).toBeGreaterThanOrEqual(107);
    expect(body.typeNames).toBe("sos");
  });

  it("parses dotnet-gcdump's report of the same process into SOS's spelling where the report allows", () => {
    const report = parseText(text("shapes-gcdump-report.txt"), "gcdump-report");
    const theirs = counts(report.types);
    expect(theirs["System.Collections.Generic.Dictionary<System.Int32, Leakwatch.Targets.Customer>"]).toBe(113);
    expect(theirs["Leakwatch.Targets.Pair<System.Int32, System.String>"]).toBe(105);
    expect(theirs["System.String[,]"]).toBeGreaterThanOrEqual(107);
    // The report names nested types by their own names: that much cannot be recovered from its text.
    expect(theirs.Inner).toBe(101);
    expect(report.typeNames).toBe("sos");
  });
});

describe("stored summaries in the earlier spelling", () => {
  it("are renamed on reading where unambiguous, and merged where two rows meet", () => {
    const old: DumpSummaryBody = {
      format: "nettrace",
      totalObjects: 14,
      totalBytes: 752,
      bytesExact: true,
      notes: [],
      types: [
        { type: "System.Collections.Generic.Dictionary<System.Int32,PerfTarget.Customer>", count: 3, bytes: 240 },
        { type: "System.String<,>", count: 2, bytes: 96 },
        { type: "<>c", count: 4, bytes: 96 },
        { type: "Entry<System.Int32,PerfTarget.Customer>[]", count: 3, bytes: 300 },
        { type: "A<B, C>", count: 1, bytes: 10 },
        { type: "A<B,C>", count: 1, bytes: 10 },
      ],
    };
    const up = upgradeTypeNames(old);
    expect(up.typeNames).toBe("sos");
    expect(counts(up.types)).toEqual({
      "System.Collections.Generic.Dictionary<System.Int32, PerfTarget.Customer>": 3,
      "System.String[,]": 2,
      "<>c": 4,
      "Entry<System.Int32, PerfTarget.Customer>[]": 3,
      "A<B, C>": 2,
    });
    expect(up.notes.at(-1)).toMatch(/4 renamed/);
    expect(upgradeTypeNames(up)).toBe(up);
    const dumpheap = { ...old, format: "dumpheap-stat" };
    expect(upgradeTypeNames(dumpheap)).toBe(dumpheap);
    expect(existsSync(DLL)).toBe(true);
  });
});
