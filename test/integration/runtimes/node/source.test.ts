// The V8 heap sources against real Node targets (test/fixtures/targets/leaky.js): snapshot by signal
// (--heapsnapshot-signal, on the command line or injected through NODE_OPTIONS) and over the inspector
// (--inspect=127.0.0.1:0, or opened with SIGUSR1 when allowed), with exact LeakyThing counts; and the refusals
// that keep a process alive (no opt-in flag, a flag that belongs to the script).
import { afterEach, describe, expect, it } from "vitest";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { V8InspectorSource } from "../../../../src/runtimes/node/inspector-source.js";
import { V8SignalSource, v8SignalLaunchEnv } from "../../../../src/runtimes/node/signal-source.js";
import { V8Source } from "../../../../src/runtimes/node/source.js";
import { LineProcess, alive, makeContext, rowOf, targetsDir } from "../../../helpers/targets.js";

const leaky = path.join(targetsDir, "leaky.js");
const procs: LineProcess[] = [];
const dirs: string[] = [];

function privateTmp(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(d, 0o700);
  dirs.push(d);
  return d;
}

async function startLeaky(nodeArgs: string[], scriptArgs: string[] = ["10"], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<LineProcess> {
  const p = LineProcess.spawnLines(process.execPath, [...nodeArgs, leaky, ...scriptArgs], opts);
  procs.push(p);
  await p.waitLine(/^ready$/);
  if (scriptArgs[0] !== "0") await new Promise((r) => setTimeout(r, 150)); // let some LeakyThings exist
  return p;
}

/** Pauses the leak and returns the exact number of LeakyThing instances alive. */
async function pause(p: LineProcess): Promise<number> {
  const from = p.lines.length;
  p.send("pause");
  return Number((await p.waitLine(/^paused (\d+)$/, 5000, { from }))[1]);
}

async function resumeFor(p: LineProcess, ms: number): Promise<void> {
  const from = p.lines.length;
  p.send("resume");
  await p.waitLine(/^resumed$/, 5000, { from });
  await new Promise((r) => setTimeout(r, ms));
}

function snapshotsIn(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith(".heapsnapshot"));
}

afterEach(async () => {
  for (const p of procs.splice(0)) await p.kill();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("v8 heap source by signal (--heapsnapshot-signal)", () => {
  it("counts LeakyThing exactly, twice as it grows; the snapshot file was 0600 and is gone after", async () => {
    const diag = privateTmp("lw-diag-");
    const p = await startLeaky(["--heapsnapshot-signal=SIGUSR2", "--diagnostic-dir", diag]);
    const source = new V8SignalSource({ pollMs: 50 });
    const seen: number[] = [];
    for (let i = 0; i < 2; i++) {
      if (i > 0) await resumeFor(p, 300);
      const expected = await pause(p);
      const ctx = makeContext(p.pid, `node --heapsnapshot-signal=SIGUSR2 --diagnostic-dir ${diag} leaky.js`);
      try {
        const body = await source.dump(ctx);
        expect(body.format).toBe("v8-heapsnapshot");
        expect(expected).toBeGreaterThan(0);
        expect(rowOf(body, "LeakyThing")?.count).toBe(expected);
        expect(rowOf(body, "StableThing")?.count).toBe(100);
        expect(rowOf(body, "StableOther")?.count).toBe(10);
        expect(ctx.disposed).toHaveLength(1);
        expect(path.dirname(ctx.disposed[0]!.file)).toBe(diag);
        expect(ctx.disposed[0]!.mode).toBe("600");
        expect(snapshotsIn(diag)).toEqual([]);
        seen.push(expected);
      } finally {
        ctx.cleanup();
      }
    }
    expect(seen[1]!).toBeGreaterThan(seen[0]!);
    expect(alive(p.pid)).toBe(true);
  });

  it("works with the flags injected through NODE_OPTIONS by v8SignalLaunchEnv (directory with a space)", async () => {
    const base = privateTmp("lw-diag-");
    const diag = path.join(base, "snap shots");
    mkdirSync(diag, { mode: 0o700 });
    const env = { ...process.env, ...v8SignalLaunchEnv(diag, { NODE_OPTIONS: "--max-old-space-size=256" }) };
    expect(env.NODE_OPTIONS).toBe('--max-old-space-size=256 --heapsnapshot-signal=SIGUSR2 --diagnostic-dir="' + diag + '"');
    const p = await startLeaky([], ["10"], { env });
    const expected = await pause(p);
    const ctx = makeContext(p.pid, "node leaky.js");
    try {
      // The auto "v8" source sees the flag in /proc/PID/environ and takes the signal path.
      const body = await new V8Source({ pollMs: 50 }).dump(ctx);
      expect(rowOf(body, "LeakyThing")?.count).toBe(expected);
      expect(ctx.disposed.map((d) => path.dirname(d.file))).toEqual([diag]);
      expect(snapshotsIn(diag)).toEqual([]);
    } finally {
      ctx.cleanup();
    }
  });

  it("refuses a Node process without the flag (not_supported) and never signals it: it stays alive", async () => {
    const p = await startLeaky([]);
    const ctx = makeContext(p.pid, "node leaky.js");
    try {
      await expect(new V8SignalSource().dump(ctx)).rejects.toMatchObject({ reason: "not_supported" });
      await new Promise((r) => setTimeout(r, 200));
      expect(alive(p.pid)).toBe(true);
      const from = p.lines.length;
      p.send("count");
      await p.waitLine(/^count \d+$/, 5000, { from }); // still answering
    } finally {
      ctx.cleanup();
    }
  });

  it("ignores a --heapsnapshot-signal that is an argument of the script, not of node: not_supported, alive", async () => {
    // argv: node leaky.js 10 0 --heapsnapshot-signal=SIGUSR2 → the flag belongs to the script.
    const p = await startLeaky([], ["10", "0", "--heapsnapshot-signal=SIGUSR2"]);
    const ctx = makeContext(p.pid, "node leaky.js 10 0 --heapsnapshot-signal=SIGUSR2");
    try {
      await expect(new V8SignalSource().dump(ctx)).rejects.toMatchObject({ reason: "not_supported" });
      await new Promise((r) => setTimeout(r, 200));
      expect(alive(p.pid)).toBe(true);
    } finally {
      ctx.cleanup();
    }
  });

  it("reports target_exited when the target dies while writing the snapshot, and removes the partial file", async () => {
    const diag = privateTmp("lw-diag-");
    // 1.5 M ballast objects make the snapshot take seconds.
    const p = await startLeaky(["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${diag}`], ["0", "1500000"]);
    const ctx = makeContext(p.pid, "node leaky.js");
    try {
      const pending = new V8SignalSource({ pollMs: 50 }).dump(ctx);
      const killer = (async () => {
        const end = Date.now() + 10_000;
        while (snapshotsIn(diag).length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
        process.kill(p.pid, "SIGKILL");
      })();
      await expect(pending).rejects.toMatchObject({ reason: "target_exited" });
      await killer;
      expect(snapshotsIn(diag)).toEqual([]);
    } finally {
      ctx.cleanup();
    }
  });
});

describe("v8 heap source over the inspector", () => {
  it("counts LeakyThing exactly through --inspect=127.0.0.1:0 (port given, then found from /proc), writing no file", async () => {
    const cwd = privateTmp("lw-cwd-");
    const p = await startLeaky(["--inspect=127.0.0.1:0"], ["10"], { cwd });
    const port = Number((await p.waitLine(/Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//, 10_000, { stderr: true }))[1]);
    let expected = await pause(p);
    const ctx = makeContext(p.pid, "node --inspect=127.0.0.1:0 leaky.js");
    try {
      const body = await new V8InspectorSource({ port }).dump(ctx);
      expect(body.format).toBe("v8-heapsnapshot");
      expect(rowOf(body, "LeakyThing")?.count).toBe(expected);
      expect(rowOf(body, "StableThing")?.count).toBe(100);
      expect(ctx.disposed).toEqual([]);
      expect(readdirSync(ctx.privateDir)).toEqual([]);
      expect(readdirSync(cwd)).toEqual([]);
    } finally {
      ctx.cleanup();
    }
    await resumeFor(p, 200);
    expected = await pause(p);
    const ctx2 = makeContext(p.pid, "node --inspect=127.0.0.1:0 leaky.js");
    try {
      const body = await new V8Source().dump(ctx2); // auto: --inspect seen, random port found via /proc/PID/net/tcp
      expect(rowOf(body, "LeakyThing")?.count).toBe(expected);
    } finally {
      ctx2.cleanup();
    }
  });

  it("opens the inspector with SIGUSR1 only when allowed (openInspector), and refuses otherwise", async () => {
    const p = await startLeaky(["--inspect-port=127.0.0.1:0"]);
    const ctx = makeContext(p.pid, "node leaky.js");
    try {
      await expect(new V8InspectorSource({ openInspector: false }).dump(ctx)).rejects.toMatchObject({ reason: "not_supported" });
      expect(p.errLines.some((l) => /Debugger listening/.test(l))).toBe(false);
      expect(alive(p.pid)).toBe(true);
      const expected = await pause(p);
      const body = await new V8InspectorSource({ openInspector: true }).dump(ctx);
      expect(rowOf(body, "LeakyThing")?.count).toBe(expected);
      expect(p.errLines.some((l) => /Debugger listening/.test(l))).toBe(true);
      // Closing the inspector it opened must not kill the target (it did, SIGSEGV, when leakwatch disconnected while
      // the target closed it: docs/reliability.md). The exit is checked after the close has had time to run.
      await new Promise((r) => setTimeout(r, 500));
      expect(p.exit, p.errLines.join("\n")).toBeUndefined();
      expect(alive(p.pid), p.errLines.join("\n")).toBe(true);
    } finally {
      ctx.cleanup();
    }
  });

  it("reports attach_failed when nothing listens on the inspector port", async () => {
    const p = await startLeaky([]);
    const ctx = makeContext(p.pid, "node leaky.js");
    try {
      // A port nobody listens on: the target has no such socket, so no connection is even tried.
      await expect(new V8InspectorSource({ port: 1 }).dump(ctx)).rejects.toMatchObject({ reason: "attach_failed" });
      expect(alive(p.pid)).toBe(true);
    } finally {
      ctx.cleanup();
    }
  });

  it("aborting a dump gives timeout and closes the connection (the target keeps running)", async () => {
    const p = await startLeaky(["--inspect=127.0.0.1:0"], ["0", "250000"]);
    const port = Number((await p.waitLine(/Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//, 10_000, { stderr: true }))[1]);
    const ctx = makeContext(p.pid, "node leaky.js");
    try {
      const pending = new V8InspectorSource({ port }).dump(ctx);
      setTimeout(() => ctx.controller.abort(), 100);
      await expect(pending).rejects.toMatchObject({ reason: "timeout" });
      const from = p.lines.length;
      p.send("count");
      await p.waitLine(/^count \d+$/, 15_000, { from });
      expect(alive(p.pid)).toBe(true);
    } finally {
      ctx.cleanup();
    }
  });
});
