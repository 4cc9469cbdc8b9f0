// The .NET diagnostics IPC protocol (dotnet/diagnostics documentation/design-docs/ipc-protocol.md), spoken over
// the runtime's Unix domain socket: finding the socket, framing commands, reading responses, and the reverse
// ("connect") mode in which the runtime connects to a socket leakwatch listens on and advertises itself.
//
// Every message starts with a 20-byte header:
//   magic "DOTNET_IPC_V1\0" (14 bytes) | size uint16 (header + payload) | commandset uint8 | commandid uint8 | reserved uint16
// Responses come in commandset 0xFF (server): 0x00 OK (payload per command), 0xFF error (payload: uint32 HRESULT).
// Strings are uint32 length in UTF-16 code units INCLUDING the terminating NUL, then the UTF-16LE code units
// (length 0 for a null string).
import { readdir, stat } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { ProcFs } from "../../../procfs/process.js";

export const IPC_MAGIC = Buffer.from("DOTNET_IPC_V1\0", "latin1");
export const IPC_HEADER_SIZE = 20;
/** Largest response payload accepted (a ProcessInfo reply is < 64 KiB: the size field is a uint16). */
const MAX_MESSAGE = 0xffff;

export const CommandSet = { Dump: 0x01, EventPipe: 0x02, Profiler: 0x03, Process: 0x04, Server: 0xff } as const;
export const EventPipeCommand = { StopTracing: 0x01, CollectTracing: 0x02, CollectTracing2: 0x03 } as const;
export const ProcessCommand = { ProcessInfo: 0x00, ResumeRuntime: 0x01, ProcessInfo2: 0x04 } as const;
export const ServerResponse = { OK: 0x00, Error: 0xff } as const;

/** A failure of the IPC conversation itself (connect, framing, an error response from the runtime). */
export class DiagnosticIpcError extends Error {
  override readonly name = "DiagnosticIpcError";
  constructor(
    message: string,
    /** The runtime's HRESULT when it answered with an error response. */
    readonly hresult?: number,
    /** errno code of a socket failure (ENOENT, ECONNREFUSED, EACCES, …). */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Well-known HRESULTs the diagnostic server answers with. */
export const HRESULTS: Record<number, string> = {
  0x80131384: "DS_IPC_E_BAD_ENCODING (malformed request)",
  0x80131385: "DS_IPC_E_UNKNOWN_COMMAND (this runtime does not know the command)",
  0x80131386: "DS_IPC_E_UNKNOWN_MAGIC",
  0x80131515: "DS_IPC_E_NOTSUPPORTED",
  0x8013135b: "DS_IPC_E_NOT_YET_AVAILABLE",
  0x80131371: "DS_IPC_E_RUNTIME_UNINITIALIZED",
  0x80004005: "E_FAIL",
  0x80070057: "E_INVALIDARG",
  0x8007000e: "E_OUTOFMEMORY",
};

export function describeHresult(hr: number): string {
  const hex = `0x${(hr >>> 0).toString(16).padStart(8, "0")}`;
  const known = HRESULTS[hr >>> 0];
  return known ? `${hex} ${known}` : hex;
}

export interface IpcHeader {
  size: number;
  commandSet: number;
  commandId: number;
  reserved: number;
}

/** Frames one message: header + payload. Throws RangeError when the payload does not fit the uint16 size. */
export function encodeMessage(commandSet: number, commandId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const size = IPC_HEADER_SIZE + payload.length;
  if (size > MAX_MESSAGE) throw new RangeError(`IPC message of ${size} bytes is larger than the protocol's 65535`);
  const buf = Buffer.alloc(size);
  IPC_MAGIC.copy(buf, 0);
  buf.writeUInt16LE(size, 14);
  buf.writeUInt8(commandSet, 16);
  buf.writeUInt8(commandId, 17);
  buf.writeUInt16LE(0, 18);
  payload.copy(buf, IPC_HEADER_SIZE);
  return buf;
}

/** Parses a header; throws DiagnosticIpcError on a bad magic or an impossible size. */
export function decodeHeader(buf: Buffer): IpcHeader {
  if (buf.length < IPC_HEADER_SIZE) throw new DiagnosticIpcError(`IPC header truncated (${buf.length} bytes)`);
  if (!buf.subarray(0, 14).equals(IPC_MAGIC)) throw new DiagnosticIpcError("IPC response has a bad magic (not a .NET diagnostic server?)");
  const size = buf.readUInt16LE(14);
  if (size < IPC_HEADER_SIZE) throw new DiagnosticIpcError(`IPC response declares ${size} bytes, less than its header`);
  return { size, commandSet: buf.readUInt8(16), commandId: buf.readUInt8(17), reserved: buf.readUInt16LE(18) };
}

/** Encodes an IPC string: uint32 UTF-16 length including NUL, the code units, NUL; a null string is length 0. */
export function encodeString(s: string | null | undefined): Buffer {
  if (s === null || s === undefined) return Buffer.alloc(4);
  const body = Buffer.from(`${s}\0`, "utf16le");
  const len = Buffer.alloc(4);
  len.writeUInt32LE(s.length + 1, 0);
  return Buffer.concat([len, body]);
}

/** Reads an IPC string at offset; returns it and the next offset. Throws DiagnosticIpcError when out of range. */
export function decodeString(buf: Buffer, offset: number): { value: string; next: number } {
  if (offset + 4 > buf.length) throw new DiagnosticIpcError("IPC string length truncated");
  const units = buf.readUInt32LE(offset);
  const end = offset + 4 + units * 2;
  if (units > (buf.length - offset - 4) / 2) throw new DiagnosticIpcError(`IPC string of ${units} code units overruns the message`);
  let value = buf.toString("utf16le", offset + 4, end);
  if (value.endsWith("\0")) value = value.slice(0, -1);
  return { value, next: end };
}

export interface EventPipeProvider {
  name: string;
  keywords: bigint;
  /** 1 critical … 5 verbose. */
  level: number;
  /** Provider arguments, e.g. "EventCounterIntervalSec=5". */
  filterData?: string;
}

/**
 * CollectTracing2 payload: uint32 circularBufferMB, uint32 format (1 = nettrace), uint8 requestRundown,
 * uint32 provider count, then per provider uint64 keywords, uint32 level, string name, string filter_data.
 */
export function encodeCollectTracing2(opts: { circularBufferMB: number; requestRundown: boolean; providers: readonly EventPipeProvider[] }): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(4 + 4 + 1 + 4);
  head.writeUInt32LE(opts.circularBufferMB, 0);
  head.writeUInt32LE(1, 4); // NetTrace
  head.writeUInt8(opts.requestRundown ? 1 : 0, 8);
  head.writeUInt32LE(opts.providers.length, 9);
  parts.push(head);
  for (const p of opts.providers) {
    const fixed = Buffer.alloc(12);
    fixed.writeBigUInt64LE(BigInt.asUintN(64, p.keywords), 0);
    fixed.writeUInt32LE(p.level, 8);
    parts.push(fixed, encodeString(p.name), encodeString(p.filterData ?? null));
  }
  return encodeMessage(CommandSet.EventPipe, EventPipeCommand.CollectTracing2, Buffer.concat(parts));
}

/**
 * CollectTracing (the original, .NET Core 3.0): uint32 circularBufferMB, uint32 format, then the providers; the
 * runtime always adds rundown. Only used when a runtime does not know CollectTracing2.
 */
export function encodeCollectTracing(opts: { circularBufferMB: number; providers: readonly EventPipeProvider[] }): Buffer {
  const v2 = encodeCollectTracing2({ ...opts, requestRundown: false }).subarray(IPC_HEADER_SIZE);
  // Same layout without the rundown byte at offset 8.
  return encodeMessage(CommandSet.EventPipe, EventPipeCommand.CollectTracing, Buffer.concat([v2.subarray(0, 8), v2.subarray(9)]));
}

/** HRESULT of a runtime that does not know a command. */
export const DS_IPC_E_UNKNOWN_COMMAND = 0x80131385;

export function encodeStopTracing(sessionId: bigint): Buffer {
  const p = Buffer.alloc(8);
  p.writeBigUInt64LE(sessionId, 0);
  return encodeMessage(CommandSet.EventPipe, EventPipeCommand.StopTracing, p);
}

export interface ProcessInfo {
  pid: number;
  /** The runtime instance cookie (a GUID, as 32 hex digits). */
  cookie: string;
  commandLine: string;
  os: string;
  arch: string;
  /** ProcessInfo2 only (.NET 6+). */
  managedEntrypointAssemblyName?: string;
  /** ProcessInfo2 only, e.g. "10.0.12+95017c711e…". */
  clrProductVersion?: string;
}

export function decodeProcessInfo(payload: Buffer, v2: boolean): ProcessInfo {
  if (payload.length < 24) throw new DiagnosticIpcError("ProcessInfo response truncated");
  const pid = Number(payload.readBigUInt64LE(0));
  const cookie = payload.subarray(8, 24).toString("hex");
  let off = 24;
  const read = (): string => {
    const r = decodeString(payload, off);
    off = r.next;
    return r.value;
  };
  const info: ProcessInfo = { pid, cookie, commandLine: read(), os: read(), arch: read() };
  if (v2) {
    info.managedEntrypointAssemblyName = read();
    info.clrProductVersion = read();
  }
  return info;
}

/** The advertise message a runtime sends in connect mode: "ADVR_V1\0", cookie GUID, uint64 pid, uint16 reserved. */
export const ADVERTISE_MAGIC = Buffer.from("ADVR_V1\0", "latin1");
export const ADVERTISE_SIZE = 34;

export interface Advertise {
  cookie: string;
  pid: number;
}

export function decodeAdvertise(buf: Buffer): Advertise {
  if (buf.length < ADVERTISE_SIZE || !buf.subarray(0, 8).equals(ADVERTISE_MAGIC)) {
    throw new DiagnosticIpcError("not a .NET diagnostic advertise message (expected ADVR_V1)");
  }
  return { cookie: buf.subarray(8, 24).toString("hex"), pid: Number(buf.readBigUInt64LE(24)) };
}

// ---------------------------------------------------------------------------------------------------------------
// Socket discovery

/** `dotnet-diagnostic-{pid}-{disambiguation key}-socket` */
const SOCKET_RE = /^dotnet-diagnostic-(\d+)-(\d+)-socket$/;

export interface FindSocketOptions {
  /** /proc (tests point it at a fixture tree). */
  proc?: ProcFs;
  /** Extra directories to search first (e.g. a shared volume mounted at another path). */
  extraDirs?: readonly string[];
}

/**
 * Finds the diagnostic socket of a process. The runtime creates it in $TMPDIR (from the process's own
 * environment) or /tmp, named with the pid *as the process sees it* — in its own PID namespace, which differs
 * from the host's. Candidates, in order: extra dirs; the target's TMPDIR and /tmp through /proc/PID/root (which
 * reaches a container's /tmp from the host); then the same directories directly (a shared /tmp). For each
 * directory the pid is tried as the host sees it and as the process sees itself (NSpid in /proc/PID/status).
 * When several sockets match (a pid reused), the one with the newest disambiguation key (start time) wins.
 * Returns undefined when none exists.
 */
export async function findDiagnosticSocket(pid: number, opts: FindSocketOptions = {}): Promise<string | undefined> {
  const proc = opts.proc ?? new ProcFs();
  const tmpdir = (await proc.environVar(pid, "TMPDIR")) || "/tmp";
  const pids = new Set<number>([pid, ...(await proc.namespacePids(pid))]);
  const dirs: string[] = [...(opts.extraDirs ?? [])];
  for (const d of new Set([tmpdir, "/tmp"])) dirs.push(proc.viaRoot(pid, d), d);
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    let best: { file: string; key: bigint } | undefined;
    for (const name of names) {
      const m = SOCKET_RE.exec(name);
      if (m === null || !pids.has(Number(m[1]))) continue;
      const file = path.join(dir, name);
      try {
        if (!(await stat(file)).isSocket()) continue;
      } catch {
        continue;
      }
      const key = BigInt(m[2]!);
      if (best === undefined || key > best.key) best = { file, key };
    }
    if (best !== undefined) return best.file;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// One connection

/**
 * A connected diagnostic IPC stream. Bytes are queued as they arrive; read(n) waits for exactly n bytes (or
 * rejects when the peer closes, the signal aborts or an error happens). After a CollectTracing response the
 * caller switches to takeStream(), which hands every further byte to a callback.
 */
export class IpcConnection {
  private chunks: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;
  private sink: ((chunk: Buffer) => void) | undefined;
  private onEnd: ((err?: Error) => void) | undefined;

  constructor(readonly socket: net.Socket) {
    socket.on("data", (d: Buffer) => {
      if (this.sink !== undefined) {
        this.sink(d);
        return;
      }
      this.chunks.push(d);
      this.queued += d.length;
      this.wake?.();
    });
    socket.on("end", () => this.finish());
    socket.on("close", () => this.finish());
    socket.on("error", (err) => this.finish(err));
  }

  private finish(err?: Error): void {
    if (err !== undefined && this.error === undefined) this.error = err;
    if (this.ended) return;
    this.ended = true;
    this.wake?.();
    const cb = this.onEnd;
    this.onEnd = undefined;
    cb?.(this.error);
  }

  get closed(): boolean {
    return this.ended;
  }

  static connect(socketPath: string, signal?: AbortSignal, timeoutMs = 5000): Promise<IpcConnection> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new DiagnosticIpcError("aborted before connecting"));
      const socket = net.createConnection({ path: socketPath });
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        socket.off("error", onError);
      };
      const onAbort = (): void => {
        cleanup();
        socket.destroy();
        reject(new DiagnosticIpcError("aborted while connecting"));
      };
      const onError = (err: NodeJS.ErrnoException): void => {
        cleanup();
        reject(new DiagnosticIpcError(`cannot connect to ${socketPath}: ${err.message}`, undefined, err.code));
      };
      const timer = setTimeout(() => {
        cleanup();
        socket.destroy();
        reject(new DiagnosticIpcError(`connecting to ${socketPath} timed out after ${timeoutMs} ms`, undefined, "ETIMEDOUT"));
      }, timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      socket.once("error", onError);
      socket.once("connect", () => {
        cleanup();
        resolve(new IpcConnection(socket));
      });
    });
  }

  write(buf: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ended) return reject(new DiagnosticIpcError("connection closed before the command was sent"));
      this.socket.write(buf, (err) => (err ? reject(new DiagnosticIpcError(`IPC write failed: ${err.message}`)) : resolve()));
    });
  }

  /** Reads exactly n bytes. */
  async read(n: number, signal?: AbortSignal, timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.queued < n) {
      if (this.ended) {
        throw new DiagnosticIpcError(
          this.error ? `IPC connection failed: ${this.error.message}` : "the runtime closed the IPC connection",
          undefined,
          "ECONNRESET",
        );
      }
      if (signal?.aborted) throw new DiagnosticIpcError("aborted while waiting for the runtime");
      const left = deadline - Date.now();
      if (left <= 0) throw new DiagnosticIpcError(`no answer from the runtime within ${timeoutMs} ms`, undefined, "ETIMEDOUT");
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, left);
        const onAbort = (): void => done();
        signal?.addEventListener("abort", onAbort, { once: true });
        function done(): void {
          clearTimeout(t);
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }
        this.wake = done;
      });
      this.wake = undefined;
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.queued = rest.length;
    return out;
  }

  /**
   * Reads one response; resolves with its payload for an OK, throws DiagnosticIpcError (with the HRESULT) for an
   * error response.
   */
  async readResponse(what: string, signal?: AbortSignal, timeoutMs = 10_000): Promise<Buffer> {
    const header = decodeHeader(await this.read(IPC_HEADER_SIZE, signal, timeoutMs));
    const payload = await this.read(header.size - IPC_HEADER_SIZE, signal, timeoutMs);
    if (header.commandSet !== CommandSet.Server) {
      throw new DiagnosticIpcError(`${what}: unexpected response command set 0x${header.commandSet.toString(16)}`);
    }
    if (header.commandId === ServerResponse.Error) {
      const hr = payload.length >= 4 ? payload.readUInt32LE(0) : 0;
      throw new DiagnosticIpcError(`${what}: the runtime refused the command (HRESULT ${describeHresult(hr)})`, hr);
    }
    if (header.commandId !== ServerResponse.OK) {
      throw new DiagnosticIpcError(`${what}: unexpected response id 0x${header.commandId.toString(16)}`);
    }
    return payload;
  }

  /**
   * Hands all further bytes (including any already queued) to onData, and calls onEnd once when the stream ends
   * (with the socket error, if any). Used for the nettrace stream that follows a CollectTracing response.
   */
  takeStream(onData: (chunk: Buffer) => void, onEnd: (err?: Error) => void): void {
    const queued = this.chunks;
    this.chunks = [];
    this.queued = 0;
    this.sink = onData;
    for (const c of queued) onData(c);
    if (this.ended) onEnd(this.error);
    else this.onEnd = onEnd;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Endpoints: where a command goes

/** Something that can open a fresh connection to one runtime (each IPC command needs its own connection). */
export interface DiagnosticEndpoint {
  /** For messages: the socket path, or "reverse:<pid>". */
  readonly description: string;
  connect(signal?: AbortSignal, timeoutMs?: number): Promise<IpcConnection>;
}

export class SocketEndpoint implements DiagnosticEndpoint {
  constructor(readonly socketPath: string) {}
  get description(): string {
    return this.socketPath;
  }
  connect(signal?: AbortSignal, timeoutMs?: number): Promise<IpcConnection> {
    return IpcConnection.connect(this.socketPath, signal, timeoutMs);
  }
}

/** Sends ProcessInfo2 (falling back to ProcessInfo on runtimes that do not know it). */
export async function requestProcessInfo(endpoint: DiagnosticEndpoint, signal?: AbortSignal, timeoutMs = 5000): Promise<ProcessInfo> {
  for (const v2 of [true, false]) {
    const conn = await endpoint.connect(signal, timeoutMs);
    try {
      await conn.write(encodeMessage(CommandSet.Process, v2 ? ProcessCommand.ProcessInfo2 : ProcessCommand.ProcessInfo));
      return decodeProcessInfo(await conn.readResponse(v2 ? "ProcessInfo2" : "ProcessInfo", signal, timeoutMs), v2);
    } catch (err) {
      if (!(v2 && err instanceof DiagnosticIpcError && err.hresult !== undefined)) throw err;
    } finally {
      conn.close();
    }
  }
  throw new DiagnosticIpcError("ProcessInfo failed");
}

/** Sends ResumeRuntime (needed once for a runtime started with a suspending DOTNET_DiagnosticPorts). */
export async function resumeRuntime(endpoint: DiagnosticEndpoint, signal?: AbortSignal, timeoutMs = 5000): Promise<void> {
  const conn = await endpoint.connect(signal, timeoutMs);
  try {
    await conn.write(encodeMessage(CommandSet.Process, ProcessCommand.ResumeRuntime));
    await conn.readResponse("ResumeRuntime", signal, timeoutMs);
  } finally {
    conn.close();
  }
}
