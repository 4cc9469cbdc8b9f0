// HPROF heap dumps of a real JVM (jcmd GC.heap_dump) read into a heap graph: per-class counts and sizes against
// jcmd GC.class_histogram taken right after, the path from a GC root through the static field, the owner as the
// leak's root; a hand-made 4-byte-id dump; truncated and foreign files fail with one clear reason.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dominators } from "../../../../src/analysis/retention/dominators.js";
import { leaksIn } from "../../../../src/analysis/retention/analyse.js";
import { pathTo, shortestPaths } from "../../../../src/analysis/retention/paths.js";
import { dominatorTree, typeRetention } from "../../../../src/analysis/retention/retained.js";
import { parseJcmdHistogram } from "../../../../src/runtimes/jvm/histogram.js";
import { readHprofGraph } from "../../../../src/runtimes/jvm/hprof.js";
import { skipReason, which } from "../../../helpers/env.js";
import { LineProcess, targetsDir } from "../../../helpers/targets.js";
import { leakwatch } from "../../../helpers/cli.js";
import { tinyHprof } from "../../../helpers/hprof.js";
import { mulberry32 } from "../../../../src/analysis/prng.js";
import { ParseError } from "../../../../src/model/parse-error.js";

const missing = !which("java") ? "java not installed" : !which("jcmd") ? "jcmd not installed (JRE without JDK tools)" : null;
const skip = skipReason("HPROF tests", missing);
const OWNERS = 20_000;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "lw-hprof-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(skip)("HPROF of a real JVM", () => {
  let target: LineProcess;
  let file: string;
  let histogram: string;

  beforeAll(async () => {
    target = LineProcess.spawnLines("java", ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", path.join(targetsDir, "Owners.java"), String(OWNERS)]);
    await target.waitLine(/^ready \d+$/, 60_000);
    file = path.join(dir, "owners.hprof");
    await execa("jcmd", [String(target.pid), "GC.heap_dump", file]);
    histogram = (await execa("jcmd", [String(target.pid), "GC.class_histogram"])).stdout;
  }, 120_000);
  afterAll(async () => {
    await target?.kill();
  });

  it("counts every class as GC.class_histogram does, and sizes the program's own classes and arrays as it does", async () => {
    const { summary, graph } = await readHprofGraph(file);
    // A few thousand classes and no array of 4 GiB: 2 bytes a type and 4 a size.
    expect(graph.nodeType).toBeInstanceOf(Uint16Array);
    expect(graph.nodeSize).toBeInstanceOf(Uint32Array);
    const hist = parseJcmdHistogram(histogram);
    const row = (rows: typeof hist.types, t: string) => rows.find((r) => r.type === t);
    expect(row(summary.types, "Owners$Owner")).toEqual(row(hist.types, "Owners$Owner"));
    expect(row(summary.types, "Owners$Owner")?.count).toBe(OWNERS);
    // byte[]: the owners' buffers plus whatever the JVM holds; both dumps of an idle program agree within 1 %.
    const b = row(summary.types, "byte[]")!;
    const hb = row(hist.types, "byte[]")!;
    expect(Math.abs(b.count - hb.count) / hb.count).toBeLessThan(0.01);
    expect(Math.abs(b.bytes - hb.bytes) / hb.bytes).toBeLessThan(0.01);
    expect(graph.nodeCount).toBe(summary.totalObjects);
  });

  it("names the static field on the path and roots the leak at the owner, the list's array as accumulation point", async () => {
    const { graph } = await readHprofGraph(file);
    const types = typeRetention(graph, dominatorTree(graph, dominators(graph)));
    const sp = shortestPaths(graph);
    const owner = graph.typeNames.indexOf("Owners$Owner");
    expect(types.reachable[owner]).toBe(OWNERS);
    expect(types.bytes[owner]).toBeGreaterThan(OWNERS * 1000);
    let node = -1;
    for (let i = 0; i < graph.nodeCount && node < 0; i++) if (graph.nodeType[i] === owner) node = i;
    const steps = pathTo(graph, sp, node)!.map((s) => `${s.edge} → ${s.type}`);
    expect(steps).toContain("static OWNERS → java.util.ArrayList");
    expect(steps).toContain("elementData → java.lang.Object[]");
    const growing = new Set(["Owners$Owner", "byte[]", "java.lang.String", "java.lang.Object[]"].map((t) => graph.typeNames.indexOf(t)));
    const leaks = leaksIn(graph, growing);
    const leak = leaks.find((l) => l.root === "Owners$Owner");
    expect(leak).toMatchObject({ accumulationPoint: "java.lang.Object[]" });
    expect(leak!.members.map((m) => m.type)).toEqual(expect.arrayContaining(["byte[]", "java.lang.Object[]"]));
    expect(leaks.map((l) => l.root)).not.toContain("byte[]");
  });

  it("leakwatch paths reads it", async () => {
    const r = await leakwatch(["paths", file, "--type", "Owners$Owner", "--paths", "1"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^Owners\$Owner: 20,000 reachable objects/);
    expect(r.stdout).toMatch(/static OWNERS → java\.util\.ArrayList/);
  });

  it("fails with one clear ParseError on a dump truncated anywhere", async () => {
    const cut = path.join(dir, "cut.hprof");
    const bytes = readFileSync(file);
    // In the header, in the first records, across the heap dump, and just before the end record.
    const offsets = [
      10,
      19,
      31,
      40,
      200,
      ...Array.from({ length: 12 }, (_, i) => Math.floor((bytes.length * (i + 0.5)) / 12)),
      bytes.length - 9,
      bytes.length - 1,
    ];
    for (const at of offsets) {
      writeFileSync(cut, bytes.subarray(0, at));
      const err = await readHprofGraph(cut).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `cut at ${at} of ${bytes.length}`).toBeInstanceOf(ParseError);
      expect((err as ParseError).reason, `cut at ${at}`).toMatch(/^(truncated|not an HPROF file|no HEAP DUMP record)/);
    }
  }, 60_000);

  it("reads a dump with flipped bytes or fails with a ParseError, never another error", async () => {
    const bytes = readFileSync(file);
    const random = mulberry32(15);
    const bad = path.join(dir, "flipped.hprof");
    for (let k = 0; k < 8; k++) {
      const copy = Buffer.from(bytes);
      const at = 31 + Math.floor(random() * (bytes.length - 31));
      copy[at] = copy[at]! ^ 0xff;
      writeFileSync(bad, copy);
      await readHprofGraph(bad).catch((e: unknown) => expect(e, `byte ${at} flipped`).toBeInstanceOf(ParseError));
    }
  }, 60_000);
});

describe("HPROF edge cases", () => {
  it.each([
    ["in address order", false],
    ["out of address order", true],
  ])("reads 4-byte identifiers (objects %s): classes, instances, arrays, roots, field and element names", async (_order, unordered) => {
    const f = path.join(dir, "tiny.hprof");
    writeFileSync(f, tinyHprof({ unordered }));
    const { summary, graph } = await readHprofGraph(f);
    expect(Object.fromEntries(summary.types.map((t) => [t.type, [t.count, t.bytes]]))).toMatchObject({
      "demo.Node": [2, 32],
      "demo.Node[]": [1, 24],
      "byte[]": [1, 24],
      "java.lang.Class": [2, 192],
    });
    const sp = shortestPaths(graph);
    const second = [...graph.nodeType.keys()].filter((i) => graph.typeNames[graph.nodeType[i]!] === "demo.Node")[1]!;
    expect(pathTo(graph, sp, second)).toEqual([
      { type: "demo.Node[]", edge: "JNI global" },
      { type: "demo.Node", edge: "[1]" },
    ]);
    expect(typeRetention(graph, dominatorTree(graph, dominators(graph))).bytes[graph.typeNames.indexOf("demo.Node[]")]).toBe(24 + 32);
  });

  it("with any one byte flipped, reads or fails with a ParseError; a flipped sub-record tag always fails", async () => {
    const good = tinyHprof();
    const f = path.join(dir, "flip.hprof");
    let failed = 0;
    for (let at = 0; at < good.length; at++) {
      const copy = Buffer.from(good);
      copy[at] = copy[at]! ^ 0xff;
      writeFileSync(f, copy);
      const err = await readHprofGraph(f).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (err === undefined) continue;
      expect(err, `byte ${at} flipped`).toBeInstanceOf(ParseError);
      failed++;
    }
    expect(failed).toBeGreaterThan(good.length / 4);
    // The heap dump's first sub-record (the CLASS DUMP tag) turned into an unknown tag.
    const heapStart = good.indexOf(Buffer.from([0x20, 0, 0, 1, 0]));
    const copy = Buffer.from(good);
    copy[heapStart] = 0x77;
    writeFileSync(f, copy);
    await expect(readHprofGraph(f)).rejects.toThrow(/unknown heap dump sub-record tag 0x77/);
  });

  it("read off the event loop (the built module, in a worker thread), gives what the sources read; a bad file fails there with its ParseError", async () => {
    const dist = pathToFileURL(path.resolve(__dirname, "../../../../dist/runtimes/jvm/hprof-thread.js")).href;
    const built = (await import(dist)) as typeof import("../../../../src/runtimes/jvm/hprof-thread.js");
    expect(built.hprofWorkerAvailable()).toBe(true);
    const f = path.join(dir, "tiny-worker.hprof");
    writeFileSync(f, tinyHprof());
    const inWorker = await built.readHprofGraphOffThread(f, new AbortController().signal);
    const here = await readHprofGraph(f);
    expect(inWorker.summary).toEqual(here.summary);
    expect(inWorker.graph).toEqual(here.graph);
    writeFileSync(f, tinyHprof().subarray(0, 100));
    await expect(built.readHprofGraphOffThread(f, new AbortController().signal)).rejects.toMatchObject({
      name: "ParseError",
      reason: expect.stringMatching(/^truncated/),
    });
  });

  it.each([
    ["not HPROF", Buffer.from("hello world, this is not a heap dump"), /not an HPROF file/],
    ["empty", Buffer.alloc(0), /not an HPROF file/],
    ["cut in a record", tinyHprof().subarray(0, tinyHprof().length - 20), /truncated/],
    [
      "a bad sub-record",
      Buffer.concat([tinyHprof().subarray(0, 31 + 4 + 13 + 4 + 13 + 4 + 13 + 9 + 16 + 9 + 16 + 9), Buffer.from([0x77, 0, 0, 0, 0])]),
      /truncated|unknown heap dump sub-record/,
    ],
  ])("%s fails with one reason", async (_name, bytes, reason) => {
    const f = path.join(dir, "bad.hprof");
    writeFileSync(f, bytes);
    await expect(readHprofGraph(f)).rejects.toThrow(reason);
  });
});
