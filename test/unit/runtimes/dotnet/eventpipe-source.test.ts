// The dotnet heap source's whole flow against a fake diagnostic server: success, and every failure mode ends in
// the right DumpError reason with the EventPipe session stopped.
import { afterEach, describe, expect, it } from "vitest";
import { ProcFs } from "../../../../src/procfs/process.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import type { DumpContext } from "../../../../src/model/dump.js";
import { BUFFER_HEADROOM_MARGIN, DotnetEventPipeSource, MAX_BUFFER_MB, MIN_BUFFER_MB } from "../../../../src/runtimes/dotnet/eventpipe-source.js";
import { FakeRuntime } from "./fake-runtime.js";
import { NettraceWriter, heapDumpStream } from "./writer.js";

const flushStream = new NettraceWriter()
  .metadata([{ id: 1, provider: "Microsoft-DotNETCore-SampleProfiler", eventId: 0, name: "ThreadSample" }])
  .events([{ metadataId: 1, payload: Buffer.alloc(4) }])
  .end();

let fake: FakeRuntime | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(stream = heapDumpStream()): Promise<FakeRuntime> {
  fake = new FakeRuntime(process.pid, stream, flushStream);
  await fake.listen();
  return fake;
}

function ctx(timeoutMs = 10_000): DumpContext & { disposed: string[]; controller: AbortController } {
  const privateDir = mkdtempSync(path.join(tmpdir(), "lw-src-"));
  dirs.push(privateDir);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), timeoutMs).unref();
  const disposed: string[] = [];
  return {
    pid: process.pid,
    command: "dotnet app.dll",
    signal: controller.signal,
    privateDir,
    logger: pino({ level: "silent" }),
    async disposeRaw(f: string) {
      disposed.push(f);
      rmSync(f, { force: true });
    },
    disposed,
    controller,
  };
}

const source = (f: FakeRuntime, extra = {}) =>
  new DotnetEventPipeSource({ socketDirs: [f.dir], startTimeoutMs: 400, stopTimeoutMs: 500, commandTimeoutMs: 1000, ...extra });

describe("dotnet source against a fake runtime", () => {
  it("dumps: flush session, heap session, both stopped, exact rows, raw file disposed", async () => {
    const f = await start();
    const c = ctx();
    const body = await source(f).dump(c);
    expect(body.types.find((t) => t.type === "App.Foo")).toEqual({ type: "App.Foo", count: 3, bytes: 72 });
    expect(body.totalObjects).toBe(6);
    expect(body.notes[0]).toBe(".NET runtime 10.0.99-fake");
    expect(f.sessions).toEqual(["Microsoft-DotNETCore-SampleProfiler", "Microsoft-Windows-DotNETRuntime"]);
    expect(f.stops).toEqual([1n, 2n]);
    expect(c.disposed).toHaveLength(1);
    expect(c.disposed[0]).toMatch(/\.nettrace$/);
  });

  it("a runtime that refuses CollectTracing2 (error response with an HRESULT): not_supported, naming the HRESULT", async () => {
    const f = await start();
    f.behaviour = "refuse";
    await expect(source(f).dump(ctx())).rejects.toMatchObject({
      reason: "not_supported",
      message: expect.stringMatching(/0x80131385 DS_IPC_E_UNKNOWN_COMMAND/),
    });
  });

  it("a runtime that does not know CollectTracing2 gets CollectTracing, and the dump works", async () => {
    const f = await start();
    f.behaviour = "refuse-v2";
    const body = await source(f).dump(ctx());
    expect(body.totalObjects).toBe(6);
    expect(f.sessions).toEqual(["Microsoft-DotNETCore-SampleProfiler (v1)", "Microsoft-Windows-DotNETRuntime (v1)"]);
    expect(f.stops).toEqual([1n, 2n]);
  });

  it("a runtime that refuses ProcessInfo still dumps (the version is a nice extra)", async () => {
    const f = await start();
    f.processInfoError = 0x80131385;
    const body = await source(f).dump(ctx());
    expect(body.totalObjects).toBe(6);
    expect(body.notes[0]).toMatch(/version unknown.*0x80131385/);
  });

  it("a stream cut in the middle while the target lives: incomplete", async () => {
    const f = await start();
    f.behaviour = "truncate";
    await expect(source(f).dump(ctx())).rejects.toMatchObject({ reason: "incomplete" });
  });

  it("a malformed stream: parse_error, and the session is still stopped", async () => {
    const f = await start();
    f.behaviour = "garbage";
    await expect(source(f).dump(ctx())).rejects.toMatchObject({ reason: "parse_error" });
    expect(f.stops).toContain(2n);
  });

  it("no induced GC within the start timeout: timeout, session stopped", async () => {
    const f = await start();
    f.behaviour = "hang";
    const t0 = Date.now();
    await expect(source(f).dump(ctx())).rejects.toMatchObject({ reason: "timeout" });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(f.stops).toContain(2n);
  });

  it("a runtime that never ends the stream after StopTracing: incomplete after the stop timeout, no hang", async () => {
    const f = await start();
    f.behaviour = "stream-no-stop";
    const t0 = Date.now();
    await expect(source(f).dump(ctx())).rejects.toMatchObject({ reason: "incomplete", message: expect.stringMatching(/did not end within 500 ms/) });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(f.stops).toContain(2n);
  });

  it("lost objects: retried once with a buffer sized from what was lost; incomplete, saying what was lost, when the retry loses too", async () => {
    await start(heapDumpStream({ lostNode: true }));
    await expect(source(fake!).dump(ctx())).rejects.toMatchObject({
      reason: "incomplete",
      message: expect.stringMatching(/1 event\(s\) lost: 1 GCBulkNode event\(s\) \(≈ 3 objects\)/),
    });
    expect(fake!.buffers).toHaveLength(2);
    expect(fake!.buffers[1]!).toBeGreaterThan(fake!.buffers[0]!);
    // The type-table flush runs again before the retry (the lossy walk marked its types logged).
    expect(fake!.sessions.filter((p) => p.startsWith("Microsoft-DotNETCore-SampleProfiler"))).toHaveLength(2);
  });

  it("lost objects, then a complete retry: exact rows, with a note on the first attempt's losses", async () => {
    await start(heapDumpStream({ lostNode: true }));
    fake!.laterStreams.push(heapDumpStream());
    const body = await source(fake!).dump(ctx());
    expect(body.totalObjects).toBe(6);
    expect(body.notes.join(" ")).toMatch(/1 GCBulkNode event\(s\).*retried with \d+ MiB/);
  });

  it("lost events that are not objects: every object counted, the loss noted; a fixed buffer is not retried", async () => {
    await start(heapDumpStream({ seqGap: true }));
    const body = await source(fake!, { circularBufferMB: 32 }).dump(ctx());
    expect(body.totalObjects).toBe(6);
    expect(body.notes.join(" ")).toMatch(/every object counted, but 2 event\(s\) lost: 2 other event/);
    expect(fake!.buffers).toEqual([32]);
  });

  it("events lost after the last node event seen, which was as full as the others: the objects may be lost, incomplete", async () => {
    await start(heapDumpStream({ spAhead: true, lastFull: true }));
    await expect(source(fake!, { retry: false }).dump(ctx())).rejects.toMatchObject({
      reason: "incomplete",
      message: expect.stringMatching(/35 event\(s\) lost: 35 other event\(s\) \(objects, references or types lost after the last ones seen\)/),
    });
  });

  it("a GCBulkNode Index gap the runtime did not report: incomplete", async () => {
    await start(heapDumpStream({ indexGap: true }));
    await expect(source(fake!, { retry: false }).dump(ctx())).rejects.toMatchObject({ reason: "incomplete", message: expect.stringMatching(/Index gap/) });
  });

  it("aborted (dump timeout or shutdown): timeout, session stopped", async () => {
    const f = await start();
    f.behaviour = "hang";
    const c = ctx();
    setTimeout(() => c.controller.abort(), 100);
    await expect(source(f, { startTimeoutMs: 10_000 }).dump(c)).rejects.toMatchObject({ reason: "timeout" });
    expect(f.stops).toContain(2n);
  });

  it("no socket: attach_failed with how to fix it; a process that is gone: target_exited", async () => {
    const empty = mkdtempSync(path.join(tmpdir(), "lw-empty-"));
    dirs.push(empty);
    // procRoot pointing at an empty dir: the pid is not found at all.
    await expect(new DotnetEventPipeSource({ proc: new ProcFs(empty) }).dump(ctx())).rejects.toMatchObject({ reason: "target_exited" });
    const s = new DotnetEventPipeSource({ socketDirs: [empty] });
    // This test process is Node: no dotnet socket, and no libcoreclr.so mapped.
    await expect(s.dump(ctx())).rejects.toMatchObject({ reason: "not_supported", message: expect.stringMatching(/not a \.NET process/) });
  });
});

describe("what a dotnet dump costs the target, for the headroom guard", () => {
  const MiB = 1024 * 1024;
  it("reserves the whole EventPipe buffer (the target's memory), or what dumps of the target measurably cost if more", async () => {
    expect(await new DotnetEventPipeSource({ circularBufferMB: 64 }).memoryCost({ pid: 1, rss: undefined })).toBe(64 * MiB);
    expect(await new DotnetEventPipeSource({ circularBufferMB: 64 }).memoryCost({ pid: 1, rss: undefined, learned: 300 * MiB })).toBe(300 * MiB);
    expect(await new DotnetEventPipeSource().memoryCost({ pid: 1, rss: 100 * MiB, learned: 10 * MiB })).toBe(150 * MiB);
  });

  it("sizes the buffer to the heap: from the RSS for a first dump, within the headroom, between the bounds", () => {
    const s = new DotnetEventPipeSource();
    expect(s.sessionBufferMB({ rss: 10 * MiB })).toBe(MIN_BUFFER_MB);
    expect(s.sessionBufferMB({ rss: 1000 * MiB })).toBe(1500);
    expect(s.sessionBufferMB({ rss: 1000 * MiB, rising: 100 * MiB })).toBe(1650);
    expect(s.sessionBufferMB({ rss: 100_000 * MiB })).toBe(MAX_BUFFER_MB);
    expect(new DotnetEventPipeSource({ maxCircularBufferMB: 512 }).sessionBufferMB({ rss: 1000 * MiB })).toBe(512);
    // The headroom caps it, keeping a margin free…
    expect(s.sessionBufferMB({ rss: 1000 * MiB, headroom: 800 * MiB })).toBe(800 - BUFFER_HEADROOM_MARGIN / MiB);
    // …but a buffer too small to be of use is answered as the minimum, so that the guard skips the dump.
    expect(s.sessionBufferMB({ rss: 1000 * MiB, headroom: 60 * MiB })).toBe(MIN_BUFFER_MB);
    expect(s.sessionBufferMB({ rss: 1000 * MiB, atLeast: 3000 * MiB })).toBe(3000);
  });

  it("sizes a later dump's buffer from the stream the last one of the same process produced", async () => {
    const f = await start();
    const s = source(f);
    await s.dump(ctx());
    const id = await new ProcFs().identity(process.pid);
    // The fake stream is tiny: the minimum, whatever this test process's RSS.
    expect(s.sessionBufferMB({ key: `${id!.pid}:${id!.startTime}`, rss: 100_000 * MiB })).toBe(MIN_BUFFER_MB);
    expect(await s.memoryCost({ pid: process.pid, rss: 100_000 * MiB })).toBe(MIN_BUFFER_MB * MiB);
  });
});
