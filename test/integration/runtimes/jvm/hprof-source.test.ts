// The jvm heap source's HPROF dumps of real JVMs: per-class counts and shallow sizes equal GC.class_histogram's
// taken around the dump (a quiet program), the raw file private and disposed of, the retention interval and the
// disk guard; and the retention analysis on them: a leak through a ThreadLocal and one through a listener list are
// one leak each, rooted at the owner type with the holder on the path, and a quiet program has none.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leaksIn } from "../../../../src/analysis/retention/analyse.js";
import type { DumpBody } from "../../../../src/model/dump.js";
import type { HeapGraph } from "../../../../src/model/heap-graph.js";
import { parseJcmdHistogram } from "../../../../src/runtimes/jvm/histogram.js";
import { JvmSource } from "../../../../src/runtimes/jvm/source.js";
import { skipReason, which } from "../../../helpers/env.js";
import { LineProcess, makeContext, targetsDir } from "../../../helpers/targets.js";

const missing = !which("java") ? "java not installed" : !which("jcmd") || !which("javac") ? "jcmd or javac not installed (JRE without JDK tools)" : null;
const skip = skipReason("jvm HPROF source tests", missing);
const JAVA_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"];

const classDirs: string[] = [];
afterAll(() => {
  for (const d of classDirs) rmSync(d, { recursive: true, force: true });
});

/**
 * Starts a fixture program compiled with javac: launched from source, the JVM would hold the compiler's own
 * strings and arrays, thousands of objects that outweigh a small leak's.
 */
async function startProgram(name: string): Promise<LineProcess> {
  const classes = mkdtempSync(path.join(tmpdir(), "lw-javac-"));
  classDirs.push(classes);
  await execa("javac", ["-d", classes, path.join(targetsDir, `${name}.java`)]);
  const p = LineProcess.spawnLines("java", [...JAVA_FLAGS, "-cp", classes, name]);
  await p.waitLine(/^ready$/, 60_000);
  return p;
}

async function histogram(pid: number) {
  return parseJcmdHistogram((await execa("jcmd", [String(pid), "GC.class_histogram"])).stdout);
}

/** A dump through the source with the graph asked for; checks the raw file was private and disposed of. */
async function hprof(source: JvmSource, pid: number): Promise<DumpBody> {
  const ctx = makeContext(pid, "java", 120_000);
  const recorded: Array<{ file: string; existed: boolean }> = [];
  ctx.record = {
    file: (f) => recorded.push({ file: f, existed: existsSync(f) }),
    requested: () => () => undefined,
  };
  try {
    const body = await source.dump({ ...ctx, graph: true });
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.existed).toBe(false);
    expect(ctx.disposed).toEqual([{ file: recorded[0]!.file, mode: "600", size: expect.any(Number) }]);
    expect(readdirSync(ctx.privateDir)).toEqual([]);
    return body;
  } finally {
    ctx.cleanup();
  }
}

/** Types whose instance count grew by at least `min` from one dump to the next. */
function growingTypes(before: DumpBody, after: DumpBody, graph: HeapGraph, min: number): Set<number> {
  const was = new Map(before.types.map((t) => [t.type, t.count]));
  const grown = after.types.filter((t) => t.count - (was.get(t.type) ?? 0) >= min).map((t) => graph.typeNames.indexOf(t.type));
  return new Set(grown.filter((t) => t >= 0));
}

function leaksOf(graph: HeapGraph, growing: Set<number>) {
  return leaksIn(graph, growing);
}

describe.skipIf(skip)("jvm source: HPROF dumps of a quiet JVM", () => {
  let target: LineProcess;

  beforeAll(async () => {
    target = await startProgram("Layouts");
  }, 90_000);
  afterAll(async () => {
    await target?.kill();
  });

  it("gives every class the count and shallow bytes of GC.class_histogram taken around it", async () => {
    const before = await histogram(target.pid);
    const body = await hprof(new JvmSource(), target.pid);
    const after = await histogram(target.pid);
    expect(body.kind).toBe("hprof");
    expect(body.format).toBe("hprof");
    expect(body.graph?.nodeCount).toBe(body.totalObjects);
    expect(body.notes.join("\n")).toMatch(/paused for up to \d+\.\d\d s while it wrote/);

    const rows = (b: { types: Array<{ type: string; count: number; bytes: number }> }) => new Map(b.types.map((t) => [t.type, t]));
    const [h1, h2, hp] = [rows(before), rows(after), rows(body)];
    // Classes the attach machinery itself touched between the two histograms are not comparable.
    const stable = [...h1.values()].filter((t) => h2.get(t.type)?.count === t.count && h2.get(t.type)?.bytes === t.bytes);
    expect(stable.length).toBeGreaterThan(0.95 * h1.size);
    const countsOff = stable.filter((t) => hp.get(t.type)?.count !== t.count).map((t) => `${t.type}: ${hp.get(t.type)?.count} vs ${t.count}`);
    expect(countsOff).toEqual([]);
    // HPROF omits the fields the VM injects into a few JDK classes, and a Class object's size depends on its statics.
    const VM_INJECTED =
      /^(java\.lang\.Class|java\.lang\.invoke\.(MemberName|ResolvedMethodName|MethodHandleNatives\$CallSiteContext)|java\.lang\.Module|java\.lang\.StackFrameInfo|java\.lang\.ClassLoader|jdk\.internal\.loader\..*Loader.*|java\.security\.SecureClassLoader|java\.lang\.Throwable|java\.lang\.[A-Za-z]*(Error|Exception))$/;
    const bytesOff = stable
      .filter((t) => !VM_INJECTED.test(t.type) && hp.get(t.type)?.bytes !== t.bytes)
      .map((t) => `${t.type}: ${hp.get(t.type)?.bytes} vs ${t.bytes}`);
    expect(bytesOff).toEqual([]);
    // The program's classes, laid out into their superclasses' holes, are among the stable ones.
    for (const t of ["A", "B", "C", "D", "E", "F", "G", "H"].map((c) => `Layouts$${c}`)) {
      expect(h1.get(t)?.count, t).toBe(1000);
      expect(hp.get(t), t).toEqual(h1.get(t));
    }
  }, 120_000);

  it("takes the histogram when no graph is asked for or the retention interval has not passed; refuses a dump the disk cannot hold", async () => {
    let now = 1_000_000;
    const source = new JvmSource({ retentionInterval: 600, now: () => now });
    const ctx = makeContext(target.pid, "java", 60_000);
    try {
      expect((await source.dump(ctx)).kind).toBe("histogram");
      expect((await hprof(source, target.pid)).kind).toBe("hprof");
      now += 599_000;
      const again = await source.dump({ ...ctx, graph: true });
      expect(again.kind).toBe("histogram");
      expect(again.graph).toBeUndefined();
      now += 1000;
      expect((await hprof(source, target.pid)).kind).toBe("hprof");
      // Before any histogram the target's anonymous RSS sizes the estimate, after one its live bytes and objects.
      const full = new JvmSource({ freeBytes: async () => 10 * 1024 * 1024 });
      await expect(full.dump({ ...ctx, graph: true })).rejects.toMatchObject({ reason: "insufficient_disk" });
      await full.dump(ctx);
      await expect(full.dump({ ...ctx, graph: true })).rejects.toMatchObject({ reason: "insufficient_disk" });
      const roomy = new JvmSource({ freeBytes: async () => 10 * 1024 ** 3 });
      expect((await roomy.dump({ ...ctx, graph: true })).kind).toBe("hprof");
      expect(readdirSync(ctx.privateDir)).toEqual([]);
    } finally {
      ctx.cleanup();
    }
  }, 120_000);

  it("finds no leak in a program that does not grow", async () => {
    const source = new JvmSource({ retentionInterval: 0 });
    const first = await hprof(source, target.pid);
    const second = await hprof(source, target.pid);
    expect(leaksOf(second.graph!, growingTypes(first, second, second.graph!, 100))).toEqual([]);
  }, 120_000);
});

describe.skipIf(skip).each([
  ["a ThreadLocal", "ThreadLocalLeak", "ThreadLocalLeak$Session", ["threadLocals → java.lang.ThreadLocal$ThreadLocalMap", "value → java.util.ArrayList"]],
  ["a listener list", "ListenerLeak", "ListenerLeak$Widget", ["static BUS → ListenerLeak$EventBus", "listeners → java.util.ArrayList"]],
])("jvm source: a leak through %s", (_what, program, owner, onPath) => {
  let target: LineProcess;

  beforeAll(async () => {
    target = await startProgram(program);
  }, 90_000);
  afterAll(async () => {
    await target?.kill();
  });

  it("is one leak, rooted at the owner type, with the holder on its path", async () => {
    const source = new JvmSource({ retentionInterval: 0 });
    const grow = async (n: number) => {
      const from = target.lines.length;
      target.send(`grow ${n}`);
      return Number((await target.waitLine(/^size (\d+)$/, 30_000, { from }))[1]);
    };
    // Enough that the leak's Strings and byte[] are most of the JVM's (the leak analysis weighs a type's bytes).
    expect(await grow(4000)).toBe(4000);
    const first = await hprof(source, target.pid);
    expect(await grow(6000)).toBe(10000);
    const second = await hprof(source, target.pid);
    const graph = second.graph!;
    expect(second.types.find((t) => t.type === owner)?.count).toBe(10000);
    const leaks = leaksOf(graph, growingTypes(first, second, graph, 1000));
    expect(leaks.map((l) => l.root)).toEqual([owner]);
    expect(leaks[0]!.members.map((m) => m.type)).toContain("byte[]");
    expect(leaks[0]!.instances).toBe(10000);
    const steps = leaks[0]!.path.map((s) => `${s.edge} → ${s.type}`);
    expect(steps).toEqual(expect.arrayContaining(onPath));
  }, 180_000);
});
