// A fake .NET diagnostic server on a Unix socket, for testing the IPC client and the heap source without a
// runtime: answers ProcessInfo2, CollectTracing2 (streaming a chosen nettrace stream) and StopTracing, or
// misbehaves in a chosen way.
import net from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { IPC_MAGIC } from "../../../../src/runtimes/dotnet/protocol/ipc.js";

export type DumpBehaviour = "ok" | "refuse" | "refuse-v2" | "truncate" | "garbage" | "hang" | "stream-no-stop";

function frame(commandSet: number, commandId: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  IPC_MAGIC.copy(h, 0);
  h.writeUInt16LE(20 + payload.length, 14);
  h[16] = commandSet;
  h[17] = commandId;
  return Buffer.concat([h, payload]);
}

const ok = (payload: Buffer) => frame(0xff, 0x00, payload);
const error = (hr: number) => {
  const p = Buffer.alloc(4);
  p.writeUInt32LE(hr >>> 0, 0);
  return frame(0xff, 0xff, p);
};
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n, 0);
  return b;
};
const str = (s: string) => {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(s.length + 1, 0);
  return Buffer.concat([len, Buffer.from(`${s}\0`, "utf16le")]);
};

export class FakeRuntime {
  readonly dir = mkdtempSync(path.join(tmpdir(), "lw-fake-rt-"));
  readonly socketPath: string;
  private server: net.Server;
  /** Session ids StopTracing was received for. */
  readonly stops: bigint[] = [];
  /** Provider names of each CollectTracing2, in order. */
  readonly sessions: string[] = [];
  /** circularBufferMB of each heap-dump session (not the flush's), in order. */
  readonly buffers: number[] = [];
  /** Streams for the heap-dump sessions after the first, in order (then `stream` again). */
  readonly laterStreams: Buffer[] = [];
  private streams = new Map<bigint, { socket: net.Socket; tail: Buffer; holdTail: boolean }>();
  private nextSession = 1n;
  behaviour: DumpBehaviour = "ok";
  processInfoError: number | undefined;

  constructor(
    readonly pid: number,
    /** The stream for the heap-dump session (must end with the end tag 0x01). */
    public stream: Buffer,
    /** The stream for the type-table flush session (sample profiler). */
    public flushStream: Buffer,
  ) {
    this.socketPath = path.join(this.dir, `dotnet-diagnostic-${pid}-12345-socket`);
    this.server = net.createServer((s) => this.serve(s));
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socketPath, resolve));
  }

  async close(): Promise<void> {
    for (const { socket } of this.streams.values()) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private serve(socket: net.Socket): void {
    let buf = Buffer.alloc(0);
    let handled = false;
    socket.on("error", () => undefined);
    socket.on("data", (d) => {
      if (handled) return;
      buf = Buffer.concat([buf, d]);
      if (buf.length < 20) return;
      const size = buf.readUInt16LE(14);
      if (buf.length < size) return;
      handled = true;
      this.handle(socket, buf[16]!, buf[17]!, buf.subarray(20, size));
    });
  }

  private handle(socket: net.Socket, set: number, id: number, payload: Buffer): void {
    if (set === 0x04 && id === 0x04) {
      if (this.processInfoError !== undefined) {
        socket.end(error(this.processInfoError));
        return;
      }
      const cookie = Buffer.alloc(16, 7);
      socket.end(ok(Buffer.concat([u64(BigInt(this.pid)), cookie, str("dotnet app.dll"), str("Linux"), str("x64"), str("app"), str("10.0.99-fake")])));
      return;
    }
    if (set === 0x02 && (id === 0x03 || id === 0x02)) {
      // circularBufferMB u32, format u32, [rundown u8 (v2 only)], count u32, then providers: keywords u64, level u32,
      // name string…
      const at = id === 0x03 ? 13 : 12;
      const nameLen = payload.readUInt32LE(at + 12);
      const provider = payload.toString("utf16le", at + 16, at + 16 + (nameLen - 1) * 2);
      const isFlush = provider === "Microsoft-DotNETCore-SampleProfiler";
      const behaviour = isFlush && this.behaviour !== "refuse-v2" ? "ok" : this.behaviour;
      if (behaviour === "refuse-v2" && id === 0x03) {
        socket.end(error(0x80131385));
        return;
      }
      this.sessions.push(id === 0x03 ? provider : `${provider} (v1)`);
      if (behaviour === "refuse") {
        socket.end(error(0x80131385));
        return;
      }
      const sid = this.nextSession++;
      socket.write(ok(u64(sid)));
      if (!isFlush) this.buffers.push(payload.readUInt32LE(0));
      const data = isFlush ? this.flushStream : this.buffers.length > 1 ? (this.laterStreams.shift() ?? this.stream) : this.stream;
      const body = data.subarray(0, data.length - 1);
      const tail = data.subarray(data.length - 1);
      switch (behaviour) {
        case "refuse-v2":
        case "ok":
        case "stream-no-stop":
          socket.write(body);
          this.streams.set(sid, { socket, tail, holdTail: behaviour === "stream-no-stop" });
          return;
        case "truncate":
          socket.end(body.subarray(0, Math.floor(body.length / 2)));
          return;
        case "garbage":
          socket.write(Buffer.concat([body.subarray(0, 40), Buffer.alloc(64, 0xee)]));
          this.streams.set(sid, { socket, tail, holdTail: false });
          return;
        case "hang":
          socket.write(body.subarray(0, 60)); // header, trace object, no events
          this.streams.set(sid, { socket, tail: Buffer.alloc(0), holdTail: false });
          return;
      }
    }
    if (set === 0x02 && id === 0x01) {
      const sid = payload.readBigUInt64LE(0);
      this.stops.push(sid);
      socket.end(ok(u64(sid)));
      const s = this.streams.get(sid);
      if (s && !s.holdTail) {
        this.streams.delete(sid);
        s.socket.end(s.tail);
      }
      return;
    }
    socket.end(error(0x80131385));
  }
}
