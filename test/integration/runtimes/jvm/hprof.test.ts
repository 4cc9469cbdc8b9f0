// HPROF heap dumps of a real JVM (jcmd GC.heap_dump) read into a heap graph: per-class counts and sizes against
// jcmd GC.class_histogram taken right after, the path from a GC root through the static field, the owner as the
// leak's root; a hand-made 4-byte-id dump; truncated and foreign files fail with one clear reason.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dominators } from "../../../../src/analysis/retention/dominators.js";
import { groupLeaks } from "../../../../src/analysis/retention/leaks.js";
import { pathTo, shortestPaths } from "../../../../src/analysis/retention/paths.js";
import { retainedSizes, typeRetention } from "../../../../src/analysis/retention/retained.js";
import { parseJcmdHistogram } from "../../../../src/runtimes/jvm/histogram.js";
import { readHprofGraph } from "../../../../src/runtimes/jvm/hprof.js";
import { skipReason, which } from "../../../helpers/env.js";
import { LineProcess, targetsDir } from "../../../helpers/targets.js";
import { leakwatch } from "../../../helpers/cli.js";

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
    const dom = dominators(graph);
    const retained = retainedSizes(graph, dom);
    const types = typeRetention(graph, dom, retained);
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
    const leaks = groupLeaks(graph, dom, retained, types, sp, growing);
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

  it("fails with one clear reason on a truncated dump", async () => {
    const cut = path.join(dir, "cut.hprof");
    const bytes = readFileSync(file);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expect(readHprofGraph(cut)).rejects.toThrow(/truncated/);
  });
});

/** A hand-made HPROF with 4-byte identifiers: a class with one reference field, two instances, an array. */
function tinyHprof(): Buffer {
  const parts: Buffer[] = [Buffer.from("JAVA PROFILE 1.0.2\0", "latin1")];
  const u1 = (v: number) => Buffer.of(v);
  const u2 = (v: number) => {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    return b;
  };
  const u4 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    return b;
  };
  parts.push(u4(4), u4(0), u4(0));
  const record = (tag: number, body: Buffer) => parts.push(u1(tag), u4(0), u4(body.length), body);
  record(0x01, Buffer.concat([u4(1), Buffer.from("demo/Node")]));
  record(0x01, Buffer.concat([u4(2), Buffer.from("next")]));
  record(0x01, Buffer.concat([u4(3), Buffer.from("[Ldemo/Node;")]));
  record(0x02, Buffer.concat([u4(1), u4(0x100), u4(0), u4(1)]));
  record(0x02, Buffer.concat([u4(2), u4(0x200), u4(0), u4(3)]));
  const heap = Buffer.concat([
    // CLASS DUMP demo/Node: no super, one instance field `next` (object)
    u1(0x20),
    u4(0x100),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u4(4),
    u2(0),
    u2(0),
    u2(1),
    u4(2),
    u1(2),
    u1(0x20),
    u4(0x200),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u2(0),
    u2(0),
    u2(0),
    // two instances: 0x1000 → 0x1008
    u1(0x21),
    u4(0x1000),
    u4(0),
    u4(0x100),
    u4(4),
    u4(0x1008),
    u1(0x21),
    u4(0x1008),
    u4(0),
    u4(0x100),
    u4(4),
    u4(0),
    // an array of both, rooted as a JNI global
    u1(0x22),
    u4(0x2000),
    u4(0),
    u4(2),
    u4(0x200),
    u4(0x1000),
    u4(0x1008),
    u1(0x23),
    u4(0x3000),
    u4(0),
    u4(3),
    u1(8),
    Buffer.from([1, 2, 3]),
    u1(0x01),
    u4(0x2000),
    u4(0),
  ]);
  record(0x1c, heap);
  record(0x2c, Buffer.alloc(0));
  return Buffer.concat(parts);
}

describe("HPROF edge cases", () => {
  it("reads 4-byte identifiers: classes, instances, arrays, roots, field and element names", async () => {
    const f = path.join(dir, "tiny.hprof");
    writeFileSync(f, tinyHprof());
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
    const dom = dominators(graph);
    expect(typeRetention(graph, dom, retainedSizes(graph, dom)).bytes[graph.typeNames.indexOf("demo.Node[]")]).toBe(24 + 32);
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
