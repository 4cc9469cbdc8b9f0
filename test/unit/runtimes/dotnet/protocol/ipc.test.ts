// Diagnostic IPC framing (golden bytes per dotnet/diagnostics ipc-protocol.md), socket discovery on a fixture
// /proc, and the reverse-mode listener with a fake runtime that advertises.
import { afterEach, describe, expect, it } from "vitest";
import { ProcFs } from "../../../../../src/procfs/process.js";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  ADVERTISE_MAGIC,
  DiagnosticIpcError,
  IPC_MAGIC,
  decodeAdvertise,
  decodeHeader,
  decodeProcessInfo,
  decodeString,
  describeHresult,
  encodeCollectTracing,
  encodeCollectTracing2,
  encodeMessage,
  encodeStopTracing,
  encodeString,
  findDiagnosticSocket,
  requestProcessInfo,
} from "../../../../../src/runtimes/dotnet/protocol/ipc.js";
import { DiagnosticPortListener } from "../../../../../src/runtimes/dotnet/protocol/listener.js";

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tmp(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function socketAt(file: string): Promise<void> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(file, r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
}

describe("IPC framing", () => {
  it("frames a header: magic, size, command set, command id, reserved", () => {
    const m = encodeMessage(0x04, 0x00);
    expect(m.toString("hex")).toBe(`${Buffer.from("DOTNET_IPC_V1\0", "latin1").toString("hex")}1400040000 00`.replace(/ /g, ""));
    expect(decodeHeader(m)).toEqual({ size: 20, commandSet: 4, commandId: 0, reserved: 0 });
    expect(() => decodeHeader(Buffer.alloc(20))).toThrow(/bad magic/);
    expect(() => decodeHeader(m.subarray(0, 10))).toThrow(/truncated/);
  });

  it("encodes CollectTracing2 exactly (buffer MB, format 1, rundown 0, providers with keywords, level, name, filter)", () => {
    const m = encodeCollectTracing2({
      circularBufferMB: 256,
      requestRundown: false,
      providers: [{ name: "Ab", keywords: 0x1980001n, level: 5, filterData: "x=1" }],
    });
    const h = decodeHeader(m);
    expect(h).toMatchObject({ commandSet: 2, commandId: 3, size: m.length });
    const p = m.subarray(20);
    expect(p.readUInt32LE(0)).toBe(256);
    expect(p.readUInt32LE(4)).toBe(1);
    expect(p[8]).toBe(0);
    expect(p.readUInt32LE(9)).toBe(1);
    expect(p.readBigUInt64LE(13)).toBe(0x1980001n);
    expect(p.readUInt32LE(21)).toBe(5);
    expect(p.readUInt32LE(25)).toBe(3); // "Ab" + NUL, in UTF-16 code units
    expect(p.subarray(29, 35).toString("hex")).toBe("410062000000");
    expect(p.readUInt32LE(35)).toBe(4); // "x=1" + NUL
    expect(p.length).toBe(39 + 8);
  });

  it("encodes CollectTracing (v1) as CollectTracing2 without the rundown byte", () => {
    const providers = [{ name: "Ab", keywords: 1n, level: 4 }];
    const v1 = encodeCollectTracing({ circularBufferMB: 16, providers });
    const v2 = encodeCollectTracing2({ circularBufferMB: 16, requestRundown: false, providers });
    expect(decodeHeader(v1)).toMatchObject({ commandSet: 2, commandId: 2, size: v2.length - 1 });
    expect(Buffer.concat([v1.subarray(20, 28), v1.subarray(28)]).equals(Buffer.concat([v2.subarray(20, 28), v2.subarray(29)]))).toBe(true);
  });

  it("encodes StopTracing with the 64-bit session id, and null strings as length 0", () => {
    const m = encodeStopTracing(0x7fa8d00015f0n);
    expect(decodeHeader(m)).toMatchObject({ commandSet: 2, commandId: 1, size: 28 });
    expect(m.readBigUInt64LE(20)).toBe(0x7fa8d00015f0n);
    expect(encodeString(null).toString("hex")).toBe("00000000");
    expect(decodeString(encodeString("héllo"), 0)).toEqual({ value: "héllo", next: 4 + 12 });
    const bad = Buffer.alloc(8);
    bad.writeUInt32LE(1000, 0);
    expect(() => decodeString(bad, 0)).toThrow(DiagnosticIpcError);
    expect(() => encodeMessage(2, 3, Buffer.alloc(70_000))).toThrow(RangeError);
  });

  it("decodes ProcessInfo2 and advertise messages, and names HRESULTs", () => {
    const u64 = (n: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(n, 0);
      return b;
    };
    const info = decodeProcessInfo(
      Buffer.concat([
        u64(42n),
        Buffer.alloc(16, 0xab),
        encodeString("dotnet a.dll"),
        encodeString("Linux"),
        encodeString("x64"),
        encodeString("a"),
        encodeString("10.0.12"),
      ]),
      true,
    );
    expect(info).toEqual({
      pid: 42,
      cookie: "ab".repeat(16),
      commandLine: "dotnet a.dll",
      os: "Linux",
      arch: "x64",
      managedEntrypointAssemblyName: "a",
      clrProductVersion: "10.0.12",
    });
    const adv = Buffer.concat([ADVERTISE_MAGIC, Buffer.alloc(16, 1), u64(77n), Buffer.alloc(2)]);
    expect(decodeAdvertise(adv)).toEqual({ cookie: "01".repeat(16), pid: 77 });
    expect(() => decodeAdvertise(Buffer.alloc(34))).toThrow(/ADVR_V1/);
    expect(describeHresult(0x80131385)).toBe("0x80131385 DS_IPC_E_UNKNOWN_COMMAND (this runtime does not know the command)");
    expect(describeHresult(0x12345678)).toBe("0x12345678");
    expect(IPC_MAGIC.length).toBe(14);
  });
});

describe("finding the diagnostic socket", () => {
  it("looks in the target's TMPDIR through /proc/PID/root, matches its namespace pid, and takes the newest key", async () => {
    const proc = tmp("lw-proc-");
    mkdirSync(path.join(proc, "500", "root", "custom"), { recursive: true });
    writeFileSync(path.join(proc, "500", "environ"), "HOME=/root\0TMPDIR=/custom\0");
    writeFileSync(path.join(proc, "500", "status"), "Name:\tdotnet\nNSpid:\t500\t1\n");
    const dir = path.join(proc, "500", "root", "custom");
    await socketAt(path.join(dir, "dotnet-diagnostic-1-100-socket"));
    await socketAt(path.join(dir, "dotnet-diagnostic-1-200-socket"));
    await socketAt(path.join(dir, "dotnet-diagnostic-2-300-socket")); // another process
    writeFileSync(path.join(dir, "dotnet-diagnostic-1-999-socket"), ""); // not a socket
    expect(await findDiagnosticSocket(500, { proc: new ProcFs(proc) })).toBe(path.join(dir, "dotnet-diagnostic-1-200-socket"));
    expect(await findDiagnosticSocket(501, { proc: new ProcFs(proc) })).toBeUndefined();
  });

  it("searches extra directories first (a shared /tmp mounted elsewhere)", async () => {
    const shared = tmp("lw-shared-");
    await socketAt(path.join(shared, `dotnet-diagnostic-${process.pid}-5-socket`));
    expect(await findDiagnosticSocket(process.pid, { extraDirs: [shared] })).toBe(path.join(shared, `dotnet-diagnostic-${process.pid}-5-socket`));
  });
});

describe("DiagnosticPortListener (reverse mode)", () => {
  /** A fake runtime: connects, advertises, answers one command, reconnects — like the real diagnostic server. */
  function fakeRuntime(socketPath: string, pid: number, cookieByte: number, seen: number[][]): () => void {
    let stopped = false;
    const connectOnce = (): void => {
      if (stopped) return;
      const s = net.createConnection(socketPath);
      s.on("error", () => undefined);
      s.on("connect", () => {
        const u = Buffer.alloc(8);
        u.writeBigUInt64LE(BigInt(pid), 0);
        s.write(Buffer.concat([ADVERTISE_MAGIC, Buffer.alloc(16, cookieByte), u, Buffer.alloc(2)]));
      });
      let buf = Buffer.alloc(0);
      s.on("data", (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length < 20) return;
        seen.push([buf[16]!, buf[17]!]);
        if (buf[16] === 0x04 && buf[17] === 0x04) {
          const p = Buffer.alloc(8);
          p.writeBigUInt64LE(BigInt(pid), 0);
          const body = Buffer.concat([p, Buffer.alloc(16, cookieByte), ...["cmd", "Linux", "x64", "app", "10.0.0"].map(encodeString)]);
          s.end(Buffer.concat([encodeMessage(0xff, 0x00, body)]));
        } else {
          s.end(encodeMessage(0xff, 0x00));
        }
        setTimeout(connectOnce, 10);
      });
    };
    connectOnce();
    return () => {
      stopped = true;
    };
  }

  it("resumes a runtime on its first advertise, then hands its next connection to a command", async () => {
    const dir = tmp("lw-listen-");
    const listener = new DiagnosticPortListener(path.join(dir, "port.sock"));
    await listener.listen();
    cleanups.push(() => listener.close());
    const seen: number[][] = [];
    cleanups.push(fakeRuntime(listener.socketPath, 1, 9, seen));
    const ep = await listener.waitFor([4242, 1], 5000);
    expect(ep.description).toMatch(/^reverse:/);
    const info = await requestProcessInfo(ep);
    expect(info).toMatchObject({ pid: 1, clrProductVersion: "10.0.0" });
    expect(seen[0]).toEqual([0x04, 0x01]); // ResumeRuntime first
    expect(seen[1]).toEqual([0x04, 0x04]); // then our ProcessInfo2
    expect(listener.runtimes()).toEqual([expect.objectContaining({ pid: 1, cookie: "09".repeat(16) })]);
  });

  it("refuses to guess between two live runtimes claiming the same pid", async () => {
    const dir = tmp("lw-listen-");
    const listener = new DiagnosticPortListener(path.join(dir, "port.sock"), { resumeRuntime: false });
    await listener.listen();
    cleanups.push(() => listener.close());
    cleanups.push(fakeRuntime(listener.socketPath, 1, 1, []));
    cleanups.push(fakeRuntime(listener.socketPath, 1, 2, []));
    const deadline = Date.now() + 5000;
    while (listener.runtimes().filter((r) => r.ready).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(() => listener.endpointFor(1)).toThrow(/2 runtimes advertised pid 1/);
  });

  it("drops a connection that does not advertise", async () => {
    const dir = tmp("lw-listen-");
    const listener = new DiagnosticPortListener(path.join(dir, "port.sock"), { advertiseTimeoutMs: 200 });
    await listener.listen();
    cleanups.push(() => listener.close());
    const s = net.createConnection(listener.socketPath);
    s.on("error", () => undefined);
    s.write("HELLO THERE, NOT A RUNTIME ADVERTISE MESSAGE AT ALL");
    await new Promise<void>((r) => s.on("close", () => r()));
    expect(listener.runtimes()).toEqual([]);
  });
});
