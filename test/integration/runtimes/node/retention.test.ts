// Retention analysis on real Node programs (test/fixtures/programs/owners.js), dumped through the signal source
// with the graph (DumpContext.graph): two snapshots, the types whose shallow bytes grew between them (what a
// shallow-bytes verdict flags), then dominators → retained sizes → leaks grouped by owner. One leak per leaking
// owner, rooted at the owner, with its members inside, the Map's variable on the path; none without a leak; weak
// references retain nothing. The bundled demo (examples/leaky-service.js) gives one leak rooted at Session.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { dominators } from "../../../../src/analysis/retention/dominators.js";
import { leaksIn } from "../../../../src/analysis/retention/analyse.js";
import type { GraphLeak } from "../../../../src/analysis/retention/leaks.js";
import { dominatorTree, typeRetention } from "../../../../src/analysis/retention/retained.js";
import type { DumpBody } from "../../../../src/model/dump.js";
import type { HeapGraph } from "../../../../src/model/heap-graph.js";
import { V8InspectorSource } from "../../../../src/runtimes/node/inspector-source.js";
import { V8SignalSource } from "../../../../src/runtimes/node/signal-source.js";
import { LineProcess, makeContext } from "../../../helpers/targets.js";

const PROGRAM = path.resolve(__dirname, "../../../fixtures/programs/owners.js");
const DEMO = path.resolve(__dirname, "../../../../examples/leaky-service.js");
/** Growth between the two snapshots that a shallow-bytes verdict would flag (a floor, as the verdict has). */
const GROWTH_FLOOR = 16 * 1024;

const procs: LineProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) await p.kill();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function privateTmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), "lw-retention-"));
  chmodSync(d, 0o700);
  dirs.push(d);
  return d;
}

async function start(script: string, args: string[], ready: RegExp, env?: NodeJS.ProcessEnv): Promise<{ p: LineProcess; command: string }> {
  const diag = privateTmp();
  const nodeArgs = ["--heapsnapshot-signal=SIGUSR2", "--diagnostic-dir", diag];
  const p = LineProcess.spawnLines(process.execPath, [...nodeArgs, script, ...args], { env: env === undefined ? undefined : { ...process.env, ...env } });
  procs.push(p);
  await p.waitLine(ready);
  return { p, command: ["node", ...nodeArgs, script, ...args].join(" ") };
}

async function grow(p: LineProcess, n: number): Promise<void> {
  const from = p.lines.length;
  p.send(`grow ${n}`);
  await p.waitLine(/^grown /, 20_000, { from });
}

/** One dump with the graph, as the daemon asks for it: the snapshot file is 0600 and gone after. */
async function dump(pid: number, command: string): Promise<DumpBody & { graph: HeapGraph }> {
  const ctx = makeContext(pid, command, 60_000);
  ctx.graph = true;
  try {
    const body = await new V8SignalSource({ pollMs: 50 }).dump(ctx);
    expect(ctx.disposed).toHaveLength(1);
    expect(ctx.disposed[0]!.mode).toBe("600");
    expect(body.graph).toBeDefined();
    return body as DumpBody & { graph: HeapGraph };
  } finally {
    ctx.cleanup();
  }
}

/** The types whose shallow bytes grew by at least the floor between two dumps. */
function grown(before: DumpBody, after: DumpBody): string[] {
  const was = new Map(before.types.map((r) => [r.type, r.bytes]));
  return after.types.filter((r) => r.bytes - (was.get(r.type) ?? 0) >= GROWTH_FLOOR).map((r) => r.type);
}

/** The leaks of the last dump, for the types that grew (and by how much since the first dump, as the verdict knows). */
function leaksOf(first: DumpBody, body: DumpBody & { graph: HeapGraph }, growingTypes: string[]): GraphLeak[] {
  const g = body.graph;
  const growing = new Set(growingTypes.map((t) => g.typeNames.indexOf(t)).filter((t) => t >= 0));
  const was = new Map(first.types.map((r) => [r.type, r.bytes]));
  const growth = new Map(
    body.types.filter((r) => growing.has(g.typeNames.indexOf(r.type))).map((r) => [g.typeNames.indexOf(r.type), r.bytes - (was.get(r.type) ?? 0)]),
  );
  return leaksIn(g, growing, growth);
}

function sessionsIn(body: DumpBody): number {
  return body.types.find((r) => r.type === "Session")?.count ?? 0;
}

function reachable(body: DumpBody & { graph: HeapGraph }, type: string): number {
  const g = body.graph;
  const t = g.typeNames.indexOf(type);
  if (t < 0) return 0;
  return typeRetention(g, dominatorTree(g, dominators(g))).reachable[t]!;
}

/**
 * Three dumps of the program in MODE, `n` more units of work before each; the types that grew in both intervals
 * (a trend, as the verdict wants, not V8 compiling code once) and the leaks of the last dump.
 */
async function run(mode: string, n = 1000): Promise<{ leaks: GraphLeak[]; growing: string[]; after: DumpBody & { graph: HeapGraph } }> {
  const { p, command } = await start(PROGRAM, [mode], /^ready$/);
  const dumps: (DumpBody & { graph: HeapGraph })[] = [];
  for (let k = 0; k < 3; k++) {
    await grow(p, n);
    dumps.push(await dump(p.pid, command));
  }
  const second = grown(dumps[1]!, dumps[2]!);
  const growing = grown(dumps[0]!, dumps[1]!).filter((t) => second.includes(t));
  return { leaks: leaksOf(dumps[0]!, dumps[2]!, growing), growing, after: dumps[2]! };
}

const MEMBERS = ["Buffer", "(string)", "Array"];

describe("leaks grouped by owner in real Node programs", () => {
  it("one owner type in a module-level Map: one leak rooted at Session, members inside, `sessions` on the path", async () => {
    const { leaks, growing, after } = await run("one");
    // What a shallow-bytes verdict flags: the owner and what it holds, not only the owner.
    expect(growing).toEqual(expect.arrayContaining(["Session", ...MEMBERS]));
    expect(
      leaks.map((l) => l.root),
      JSON.stringify(growing),
    ).toEqual(["Session"]);
    const leak = leaks[0]!;
    expect(leak.instances).toBe(3000);
    // Each Session holds a 2 KiB buffer: the leak retains at least those.
    expect(leak.retainedBytes).toBeGreaterThan(3000 * 2048);
    expect(leak.members.map((m) => m.type)).toEqual(expect.arrayContaining(MEMBERS.filter((t) => growing.includes(t))));
    // The path: from a named root, through the Map held by the module's variable, its table, to one Session.
    const edges = leak.path.map((s) => s.edge);
    // The first step names what roots it (a V8 root group, "(GC roots) / (Global handles)", or a Node handle such as
    // "Node / PipeWrap": here stdin's pipe, whose readline "line" handler's closure holds the module's variables).
    expect(leak.path[0]!.edge).toMatch(/^\(GC roots\)|^\(user roots\)|^Node \//);
    expect(leak.path.at(-1)!.type).toBe("Session");
    const at = edges.indexOf("sessions");
    expect(at, JSON.stringify(leak.path)).toBeGreaterThan(0);
    expect(leak.path[at]!.type).toBe("Map");
    expect(leak.path.at(-1)!.edge).toBe("(Map entry)");
    // The accumulation point: the Map's table, the one object all Sessions pile up in.
    expect(leak.accumulationPoint).toBe(leak.path.at(-2)!.type);
    expect(leak.path.at(-2)!.edge).toBe("table");
    expect(reachable(after, "Session")).toBe(3000);
  });

  it("a program without a leak has none", async () => {
    const { leaks, growing, after } = await run("none");
    expect(reachable(after, "Session")).toBe(0);
    expect(leaks, JSON.stringify(growing)).toEqual([]);
  });

  it("two owner types in two holders: two leaks, each with its own members and holder", async () => {
    const { leaks, growing } = await run("two");
    expect(leaks.map((l) => l.root).sort(), JSON.stringify(growing)).toEqual(["Session", "Upload"]);
    const session = leaks.find((l) => l.root === "Session")!;
    const upload = leaks.find((l) => l.root === "Upload")!;
    expect(
      session.path.map((s) => s.edge),
      JSON.stringify(session),
    ).toContain("sessions");
    expect(upload.path.map((s) => s.edge)).toContain("pending");
    expect(upload.retainedBytes).toBeGreaterThan(3000 * 4096);
    for (const leak of [session, upload]) expect(leak.members.map((m) => m.type)).toContain("Buffer");
  });

  it("owners held only by WeakRefs and as WeakMap keys are not retained", async () => {
    const { leaks, after } = await run("weak");
    expect(reachable(after, "Session")).toBe(0);
    for (const leak of leaks) {
      expect(leak.root).not.toBe("Session");
      expect(leak.members.map((m) => m.type)).not.toContain("Session");
    }
  });
});

describe("the graph over the inspector", () => {
  it("comes with the summary of the same snapshot (one snapshot, nothing more asked of the target)", async () => {
    const p = LineProcess.spawnLines(process.execPath, ["--inspect=127.0.0.1:0", PROGRAM, "one"]);
    procs.push(p);
    await p.waitLine(/^ready$/);
    const port = Number((await p.waitLine(/Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//, 10_000, { stderr: true }))[1]);
    await grow(p, 500);
    const ctx = makeContext(p.pid, `node --inspect=127.0.0.1:0 ${PROGRAM} one`, 60_000);
    ctx.graph = true;
    try {
      const body = await new V8InspectorSource({ port }).dump(ctx);
      const g = body.graph!;
      expect(g.nodeCount).toBe(body.totalObjects);
      expect(reachable(body as DumpBody & { graph: HeapGraph }, "Session")).toBe(500);
      expect(body.types.find((r) => r.type === "Session")?.count).toBe(500);
      // Without the flag, no graph.
      ctx.graph = false;
      expect((await new V8InspectorSource({ port }).dump(ctx)).graph).toBeUndefined();
    } finally {
      ctx.cleanup();
    }
  });
});

describe("the bundled demo (examples/leaky-service.js)", () => {
  it("gives one leak rooted at Session, with `sessions` on its path", async () => {
    const { p, command } = await start(DEMO, [], /listening on http/, { PORT: "0", LEAK_EVERY_MS: "5", LEAK_BYTES: "4096" });
    // Let it leak a few hundred Sessions before each dump (wait on the count, not on time).
    const waitFor = async (n: number): Promise<DumpBody & { graph: HeapGraph }> => {
      for (;;) {
        const body = await dump(p.pid, command);
        if (sessionsIn(body) >= n) return body;
      }
    };
    const a = await waitFor(200);
    const b = await waitFor(sessionsIn(a) + 400);
    const after = await waitFor(sessionsIn(b) + 400);
    const second = grown(b, after);
    const growing = grown(a, b).filter((t) => second.includes(t));
    const leaks = leaksOf(a, after, growing);
    expect(
      leaks.map((l) => l.root),
      JSON.stringify(growing),
    ).toEqual(["Session"]);
    expect(leaks[0]!.path.map((s) => s.edge)).toContain("sessions");
  }, 120_000);
});
