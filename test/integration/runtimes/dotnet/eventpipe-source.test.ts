// The native dotnet heap source against real .NET programs (built once from test/fixtures/dotnet/targets):
// exact per-type counts compared with the programs' own counts, the leak verdict over a series of dumps, the
// reverse (DOTNET_DiagnosticPorts) mode, and the failure modes (target exits, timeout, not .NET, refused command).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { leakVerdicts, type VerdictDump } from "../../../../src/analysis/index.js";
import { DumpError } from "../../../../src/model/dump.js";
import { DotnetEventPipeSource } from "../../../../src/runtimes/dotnet/eventpipe-source.js";
import { DiagnosticPortListener } from "../../../../src/runtimes/dotnet/protocol/listener.js";
import {
  CommandSet,
  DiagnosticIpcError,
  SocketEndpoint,
  encodeMessage,
  findDiagnosticSocket,
  requestProcessInfo,
} from "../../../../src/runtimes/dotnet/protocol/ipc.js";
import type { DumpSummaryBody } from "../../../../src/model/summary.js";
import { skipReason, which } from "../../../helpers/env.js";
import { DotnetTarget, NS, buildTargets, dotnetMissing, makeContext, rowOf } from "./helpers.js";

/** Runs `then` once the raw .nettrace file in dir passes 100 KB (the heap walk is streaming); clear the timer after. */
function whenStreaming(dir: string, then: () => void): NodeJS.Timeout {
  const poll = setInterval(() => {
    const f = readdirSync(dir).find((n) => n.endsWith(".nettrace"));
    if (f !== undefined && statSync(path.join(dir, f)).size > 100_000) {
      clearInterval(poll);
      then();
    }
  }, 5);
  return poll;
}
const skip = skipReason("dotnet EventPipe heap source tests", dotnetMissing());
const VERDICT = { minDumps: 6, minAbsoluteGrowthBytes: 1024, minRelativeGrowth: 0.1 };

async function dump(source: DotnetEventPipeSource, pid: number): Promise<DumpSummaryBody & { disposed: Array<{ mode: string; size: number }> }> {
  const ctx = makeContext(pid);
  try {
    const body = await source.dump(ctx);
    return { ...body, disposed: ctx.disposed };
  } finally {
    ctx.cleanup();
  }
}

function appRows(body: DumpSummaryBody): Record<string, number> {
  return Object.fromEntries(body.types.filter((t) => t.type.startsWith(NS)).map((t) => [t.type.slice(NS.length), t.count]));
}

describe.skipIf(skip)("dotnet heap source (real .NET programs)", () => {
  let dll: string;
  beforeAll(() => {
    dll = buildTargets();
  }, 300_000);

  describe("leak program", () => {
    let target: DotnetTarget;
    beforeAll(async () => {
      target = await DotnetTarget.start(dll, "leak");
    });
    afterAll(async () => target?.kill());

    it("counts LeakySession exactly as the program does, dump after dump, and calls it a leak", async () => {
      const source = new DotnetEventPipeSource();
      const series: VerdictDump[] = [];
      let prev: number | undefined;
      for (let i = 0; i < 7; i++) {
        const st = await target.iterate(10);
        const body = await dump(source, target.pid);
        expect(body.format).toBe("nettrace");
        expect(body.bytesExact).toBe(true);
        const leaky = rowOf(body, `${NS}LeakySession`);
        expect(leaky?.count, "LeakySession objects = the program's own count").toBe(st.leaked);
        expect(rowOf(body, `${NS}SessionOptions`)?.count).toBe(st.leaked);
        // Disposed sessions are really freed: none survives the induced full GC.
        expect(rowOf(body, `${NS}TransientSession`)).toBeUndefined();
        expect(st.transientLive).toBe(0);
        // Bytes are exact: every LeakySession has the same size.
        expect(leaky!.bytes % leaky!.count).toBe(0);
        if (prev !== undefined) expect(leaky!.count - prev).toBe(10);
        prev = leaky!.count;
        expect(body.totalObjects).toBe(body.types.reduce((s, t) => s + t.count, 0));
        expect(body.totalBytes).toBe(body.types.reduce((s, t) => s + t.bytes, 0));
        expect(body.disposed).toHaveLength(1);
        expect(body.disposed[0]!.mode).toBe("600");
        expect(body.disposed[0]!.size).toBeGreaterThan(1000);
        expect(body.notes.join(" ")).toMatch(/\.NET runtime \d+\.\d+/);
        series.push({ time: i * 60_000, bytesExact: true, types: body.types });
      }
      const verdicts = leakVerdicts(series, VERDICT);
      const suspects = verdicts.filter((v) => v.suspect).map((v) => v.type);
      expect(suspects).toContain(`${NS}LeakySession`);
      expect(suspects.filter((s) => s.startsWith(NS) && !/LeakySession|SessionOptions/.test(s))).toEqual([]);
      expect(target.exited).toBe(false);
      expect((await target.status()).leaked).toBe(70);
    });

    it("answers ProcessInfo with the runtime version, and refuses an unknown command with an HRESULT", async () => {
      const socket = await findDiagnosticSocket(target.pid);
      expect(socket).toMatch(new RegExp(`dotnet-diagnostic-${target.pid}-\\d+-socket$`));
      const ep = new SocketEndpoint(socket!);
      const info = await requestProcessInfo(ep);
      expect(info.pid).toBe(target.pid);
      expect(info.clrProductVersion).toMatch(/^\d+\.\d+/);
      const conn = await ep.connect();
      try {
        await conn.write(encodeMessage(CommandSet.EventPipe, 0x7f));
        const err = await conn.readResponse("bogus").catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DiagnosticIpcError);
        expect((err as DiagnosticIpcError).hresult).toBeGreaterThan(0x80000000);
      } finally {
        conn.close();
      }
      expect((await target.status()).leaked).toBeGreaterThan(0);
    });

    it("fails with timeout when aborted mid-dump, stops the session, and leaves the target running and dumpable", async () => {
      await target.iterate(5);
      await target.command("ballast 1500000");
      const source = new DotnetEventPipeSource();
      const ctx = makeContext(target.pid);
      try {
        // Abort once the heap walk is streaming.
        const poll = whenStreaming(ctx.privateDir, () => ctx.controller.abort());
        const err = await source.dump(ctx).catch((e: unknown) => e);
        clearInterval(poll);
        expect(err).toBeInstanceOf(DumpError);
        expect((err as DumpError).reason).toBe("timeout");
        expect(ctx.disposed).toHaveLength(1); // the partial raw file is disposed too
      } finally {
        ctx.cleanup();
      }
      expect(target.exited).toBe(false);
      // Aborted early, while the induced GC's walk goes on in the runtime: the next dump must still name every
      // type (the flush of the runtime's logged-types table before each dump).
      for (const ms of [20, 60]) {
        const c = makeContext(target.pid);
        setTimeout(() => c.controller.abort(), ms);
        await expect(source.dump(c)).rejects.toMatchObject({ reason: "timeout" });
        c.cleanup();
      }
      const st = await target.status();
      const body = await dump(source, target.pid);
      expect(rowOf(body, `${NS}LeakySession`)?.count).toBe(st.leaked);
      expect(rowOf(body, `${NS}Ballast`)?.count).toBe(1_500_000);
      expect(body.types.filter((t) => /^Type\(0x/.test(t.type))).toEqual([]);
    });
  });

  describe("steady program", () => {
    let target: DotnetTarget;
    beforeAll(async () => {
      target = await DotnetTarget.start(dll, "steady");
      await target.iterate(64); // the bounded cache is full from here on
    });
    afterAll(async () => target?.kill());

    it("finds nothing growing: same counts dump after dump, and no suspect", async () => {
      const source = new DotnetEventPipeSource();
      await dump(source, target.pid); // warm-up: the first session initialises the runtime's EventSource machinery
      const series: VerdictDump[] = [];
      let first: Record<string, number> | undefined;
      for (let i = 0; i < 7; i++) {
        const st = await target.iterate(10);
        const body = await dump(source, target.pid);
        const rows = appRows(body);
        expect(rows.CacheEntry).toBe(st.cache);
        expect(rows.WorkItem).toBeUndefined(); // allocated and dropped every iteration
        expect(rows.LeakySession).toBeUndefined();
        first ??= rows;
        expect(rows).toEqual(first);
        series.push({ time: i * 60_000, bytesExact: true, types: body.types });
      }
      const suspects = leakVerdicts(series, VERDICT)
        .filter((v) => v.suspect)
        .map((v) => `${v.type}: ${v.reason}`);
      expect(suspects).toEqual([]);
    });
  });

  it("reverse mode: a runtime started with DOTNET_DiagnosticPorts is resumed and dumped through the listener", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lw-port-"));
    const listener = new DiagnosticPortListener(path.join(dir, "leakwatch.sock"));
    await listener.listen();
    let target: DotnetTarget | undefined;
    try {
      // No ",nosuspend": the runtime waits for ResumeRuntime before Main, which the listener sends.
      target = await DotnetTarget.start(dll, "leak", { DOTNET_DiagnosticPorts: listener.socketPath });
      const st = await target.iterate(12);
      await listener.waitFor(target.pid, 10_000);
      const source = new DotnetEventPipeSource({ listener });
      expect((await source.endpoint(target.pid)).description).toMatch(/^reverse:/);
      for (let i = 0; i < 2; i++) {
        const body = await dump(source, target.pid);
        expect(rowOf(body, `${NS}LeakySession`)?.count).toBe(st.leaked);
      }
      expect(listener.runtimes().map((r) => r.pid)).toContain(target.pid);
    } finally {
      await target?.kill();
      await listener.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("container-like: own PID namespace (pid 1 inside) and a private TMPDIR reached through /proc/PID/root", async (t) => {
    const why = process.getuid?.() !== 0 ? "not root" : !which("unshare") ? "unshare not installed" : null;
    if (why) {
      console.warn(`SKIP container-like dotnet test: ${why}`);
      t.skip();
      return;
    }
    const dir = mkdtempSync(path.join(tmpdir(), "lw-ns-"));
    const priv = path.join(dir, "tmp");
    mkdirSync(priv);
    let target: DotnetTarget | undefined;
    try {
      target = await DotnetTarget.spawn(
        "unshare",
        ["--pid", "--fork", "--mount", "--mount-proc", "sh", "-c", `mount -t tmpfs tmpfs "$0" && exec dotnet "$1" leak`, priv, dll],
        {
          TMPDIR: priv,
        },
      );
      await target.waitLine(/^ready pid=1 /);
      // The unshare'd child is the runtime (sh execs dotnet).
      const children = readFileSync(`/proc/${target.proc.pid}/task/${target.proc.pid}/children`, "utf8").trim().split(/\s+/).map(Number);
      target.hostPid = children[0];
      expect(readFileSync(`/proc/${target.pid}/status`, "utf8")).toMatch(/^NSpid:\s+\d+\s+1$/m);
      // The socket exists only in the target's mount namespace: not at its path on the host.
      expect(readdirSync(priv)).toEqual([]);
      const socket = await findDiagnosticSocket(target.pid);
      expect(socket).toBe(path.join("/proc", String(target.pid), "root", priv, socket!.split("/").at(-1)!));
      expect(socket).toMatch(/dotnet-diagnostic-1-\d+-socket$/);
      const st = await target.iterate(9);
      const body = await dump(new DotnetEventPipeSource(), target.pid);
      expect(rowOf(body, `${NS}LeakySession`)?.count).toBe(st.leaked);
    } finally {
      await target?.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports target_exited when the target dies during the dump, and target_exited/not_supported before it", async () => {
    const target = await DotnetTarget.start(dll, "leak");
    try {
      await target.command("ballast 2000000");
      const source = new DotnetEventPipeSource();
      const ctx = makeContext(target.pid);
      try {
        // Kill the target once the heap walk is streaming: the session is cut mid-stream.
        const poll = whenStreaming(ctx.privateDir, () => void target.crash());
        const err = await source.dump(ctx).catch((e: unknown) => e);
        clearInterval(poll);
        expect(ctx.disposed).toHaveLength(1);
        expect(err).toBeInstanceOf(DumpError);
        expect((err as DumpError).reason).toBe("target_exited");
      } finally {
        ctx.cleanup();
      }
      const ctx2 = makeContext(target.pid);
      try {
        await expect(source.dump(ctx2)).rejects.toMatchObject({ reason: "target_exited" });
      } finally {
        ctx2.cleanup();
      }
    } finally {
      await target.kill();
    }
    // A Node process is not .NET: no socket, and the runtime is named.
    const node = execa(process.execPath, ["-e", "setTimeout(() => {}, 20000)"], { reject: false });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const ctx = makeContext(node.pid!);
      try {
        await expect(new DotnetEventPipeSource().dump(ctx)).rejects.toMatchObject({ reason: "not_supported" });
      } finally {
        ctx.cleanup();
      }
    } finally {
      node.kill("SIGKILL");
      await node.catch(() => undefined);
    }
  });
});
