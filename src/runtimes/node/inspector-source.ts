// V8 heap source over the inspector protocol (CDP): for a Node target with the inspector open (--inspect…), or
// opened by sending SIGUSR1 when the configuration allows it. The snapshot streams as
// HeapProfiler.addHeapSnapshotChunk events straight into the streaming parser: nothing is written to disk.
//
// Only loopback addresses are ever contacted, and only a port on which the target itself listens (checked in
// /proc/PID/net/tcp* against the target's socket fds, when readable), so a dump never lands on another
// process's inspector. SIGUSR1 terminates a process without a handler, so it is sent only to a Node process
// whose SigCgt shows the handler installed, and only with openInspector: true. An inspector opened that way would
// stay open for the rest of the target's life — anyone on the host who can reach 127.0.0.1 could run code in the
// target through it — so the dump that opened it closes it again (Runtime.evaluate of process._debugEnd(), after
// the snapshot, on every path out: success, failure, timeout, leakwatch stopping). An inspector the target opened
// itself (--inspect, inspector.open()) is left as it is.
import http from "node:http";
import { readlink } from "node:fs/promises";
import type WebSocket from "ws";
import { ParseError } from "../../model/parse-error.js";
import { createV8SnapshotParser, type V8SnapshotParser } from "./snapshot.js";
import { DumpError, type DumpBody, type DumpContext, type HeapSource, type MemoryCostContext } from "../../model/dump.js";
import { asDumpError } from "../../model/dump.js";
import { ProcFs } from "../../procfs/process.js";
import type { DumpLimits } from "../../formats/limits.js";
import { abortError, checkAborted, sleepAbortable } from "../../runtime-kit/abort.js";
import { requireTarget, targetExited, type TargetIdentity } from "../../runtime-kit/target.js";
import { v8SnapshotCost } from "./cost.js";
import { readNodeFlags, type NodeInspectFlag } from "./flags.js";
import { isRuntime } from "../../runtime-kit/detect.js";
import { NODE_SIGNATURE } from "./signature.js";

export interface V8InspectorSourceOptions {
  /**
   * Allow opening the inspector of a Node target that runs without --inspect by sending it SIGUSR1 (default
   * false). The inspector then stays open on 127.0.0.1:9229 (or --inspect-port) for the rest of its life.
   */
  openInspector?: boolean;
  /** The inspector port, when known better than the command line says (e.g. --inspect=…:0 picks a random one). */
  port?: number;
  /** Caps on the snapshot read (its distinct names). */
  limits?: Pick<DumpLimits, "maxTypes">;
  /** How long to wait for the inspector to answer after SIGUSR1 (default 5000 ms). */
  openTimeoutMs?: number;
  /** /proc (tests point it at a fixture tree). */
  proc?: ProcFs;
}

const DEFAULT_PORT = 9229;

/** Maps the host an inspector listens on to the loopback address to contact; undefined when not loopback. */
export function loopbackFor(host: string | undefined): string | undefined {
  if (host === undefined || host === "" || host === "localhost" || host === "0.0.0.0" || host === "::" || host === "[::]") return "127.0.0.1";
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return host;
  if (host === "::1" || host === "[::1]") return "::1";
  return undefined;
}

/** TCP ports on which the process has a listening socket (on any or a loopback address); undefined when unreadable. */
export async function listeningPorts(proc: ProcFs, pid: number): Promise<Set<number> | undefined> {
  const inodes = new Set<string>();
  try {
    for (const fd of await proc.fds(pid)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(await readlink(proc.fdPath(pid, fd)));
        if (m) inodes.add(m[1]!);
      } catch {
        // fd closed meanwhile
      }
    }
  } catch {
    return undefined;
  }
  const ports = new Set<number>();
  for (const table of ["tcp", "tcp6"]) {
    let text: string;
    try {
      text = await proc.netTable(pid, table);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (f.length < 10 || f[3] !== "0A" || !inodes.has(f[9]!)) continue;
      const [addr, portHex] = f[1]!.split(":");
      if (addr === undefined || portHex === undefined || !isLoopbackOrAny(addr)) continue;
      ports.add(parseInt(portHex, 16));
    }
  }
  return ports;
}

function isLoopbackOrAny(hexAddr: string): boolean {
  if (hexAddr.length === 8) return /^0{8}$/.test(hexAddr) || hexAddr.endsWith("7F"); // little-endian IPv4: 127.x.x.x ends in 7F
  return (
    /^0{32}$/.test(hexAddr) || // ::
    hexAddr === "00000000000000000000000001000000" || // ::1
    /^0000000000000000FFFF0000[0-9A-F]{6}7F$/i.test(hexAddr) // ::ffff:127.x.x.x
  );
}

interface InspectorEndpoint {
  host: string;
  port: number;
}

function httpGetJson(host: string, port: number, path: string, signal: AbortSignal, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, signal, timeout: timeoutMs, headers: { host: `${host.includes(":") ? `[${host}]` : host}:${port}` } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
        if (body.length > 1 << 20) req.destroy(new Error("response too large"));
      });
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode ?? "?"} from ${path}`));
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new Error(`${path} did not return JSON`));
        }
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

/** The webSocketDebuggerUrl of the inspector at host:port, rewritten to that loopback host and port. */
async function debuggerUrl(ep: InspectorEndpoint, signal: AbortSignal): Promise<string> {
  const list = await httpGetJson(ep.host, ep.port, "/json/list", signal);
  if (!Array.isArray(list)) throw new Error("/json/list is not a list");
  for (const t of list as Array<Record<string, unknown>>) {
    const raw = t.webSocketDebuggerUrl;
    if (typeof raw !== "string") continue;
    const url = new URL(raw);
    url.hostname = ep.host.includes(":") ? `[${ep.host}]` : ep.host;
    url.port = String(ep.port);
    return url.toString();
  }
  throw new Error("the inspector lists no debuggable target (another debugger attached with --inspect-brk?)");
}

export class V8InspectorSource implements HeapSource {
  readonly name = "v8";
  private readonly proc: ProcFs;

  constructor(private readonly options: V8InspectorSourceOptions = {}) {
    this.proc = options.proc ?? new ProcFs();
  }

  /** V8 builds the snapshot graph in the target: see v8SnapshotCost. */
  memoryCost(ctx: MemoryCostContext): Promise<number> {
    return v8SnapshotCost(this.proc, ctx.pid, ctx.rss, ctx.lastObjects, ctx.learned, ctx.rising);
  }

  async dump(ctx: DumpContext): Promise<DumpBody> {
    const id = await requireTarget(this.proc, ctx.pid);
    const { url, opened } = await this.connectUrl(ctx, id);
    const parser = createV8SnapshotParser(this.options.limits, { graph: ctx.graph === true });
    // What became of the request to close an inspector this dump opened, asked on the snapshot's own connection.
    let close: CloseRequest = "not_sent";
    try {
      checkAborted(ctx.signal);
      await snapshotOverCdp(url, parser, ctx.signal, opened ? async (ws) => void (close = await requestClose(ws, CLOSE_ANSWER_MS)) : undefined);
      const summary = parser.end();
      return ctx.graph === true ? { ...summary, graph: parser.graph() } : summary;
    } catch (err) {
      if (err instanceof DumpError) throw err;
      if (!(await this.proc.stillAlive(id))) throw targetExited(ctx.pid, "the heap snapshot");
      if (err instanceof ParseError) throw asDumpError(err, `inspector heap snapshot of process ${ctx.pid}`);
      throw new DumpError("incomplete", `inspector heap snapshot of process ${ctx.pid} failed: ${(err as Error).message}`);
    } finally {
      if (opened) await this.closeOpened(ctx, id, url, close);
    }
  }

  /**
   * Closes the inspector this dump opened: on a new connection when the snapshot's could not ask; then, unless the
   * target is still busy with the snapshot (the request waits in its queue and closes it when the snapshot is done),
   * checks that the port is no longer open.
   */
  private async closeOpened(ctx: DumpContext, id: TargetIdentity, url: string, asked: CloseRequest): Promise<void> {
    if (!(await this.proc.stillAlive(id))) return;
    let result = asked;
    if (result === "not_sent") result = await closeInspector(url, CLOSE_CONNECT_MS);
    const port = Number(new URL(url).port);
    if (result === "closing") {
      const deadline = Date.now() + CLOSE_CHECK_MS;
      for (;;) {
        const ports = await listeningPorts(this.proc, ctx.pid);
        if (ports === undefined || !ports.has(port)) {
          ctx.logger.info({ pid: ctx.pid, port }, "closed the inspector the dump opened");
          return;
        }
        if (Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (result === "sent") {
      ctx.logger.info({ pid: ctx.pid, port }, "asked the target to close the inspector the dump opened once it has finished the snapshot");
      return;
    }
    ctx.logger.error(
      { pid: ctx.pid, port, result },
      "the inspector the dump opened may still be open: anyone who can reach it can run code in the target; restart the target to close it",
    );
  }

  /** Finds (or, when allowed, opens) the target's inspector; `opened` when this dump opened it (SIGUSR1). */
  private async connectUrl(ctx: DumpContext, id: TargetIdentity): Promise<{ url: string; opened: boolean }> {
    const explicit = this.options.port;
    if (explicit === undefined && (await isRuntime(this.proc, ctx.pid, NODE_SIGNATURE)) !== true) {
      throw new DumpError("not_supported", `process ${ctx.pid} is not recognisably a Node process (no node executable or libnode.so)`);
    }
    const flags = await readNodeFlags(this.proc, ctx.pid, ctx.command);
    if (explicit !== undefined && explicit > 0) {
      const url = await this.urlAt(ctx, id, { host: loopbackFor(flags.inspect?.host ?? flags.inspectPort?.host) ?? "127.0.0.1", port: explicit });
      return { url, opened: false };
    }
    if (flags.inspect !== undefined || explicit === 0) {
      return { url: await this.urlFor(ctx, id, flags.inspect ?? { host: undefined, port: 0 }), opened: false };
    }
    const later: NodeInspectFlag = flags.inspectPort ?? { host: undefined, port: undefined };
    // An inspector already open (by the program itself, or left by a leakwatch killed mid-dump) is used as it is.
    const open = await this.tryExisting(ctx, later);
    if (open !== undefined) return { url: open, opened: false };
    if (!this.options.openInspector) {
      throw new DumpError(
        "not_supported",
        `process ${ctx.pid} runs without --inspect and opening its inspector with SIGUSR1 is not allowed (openInspector: false)`,
      );
    }
    if (!(await this.proc.signalMask(ctx.pid, "SIGUSR1", "SigCgt"))) {
      if (!(await this.proc.stillAlive(id))) throw targetExited(ctx.pid, "the dump");
      throw new DumpError("not_supported", `process ${ctx.pid} has no SIGUSR1 handler installed (still starting, or not Node); not sending it`);
    }
    try {
      process.kill(ctx.pid, "SIGUSR1");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") throw targetExited(ctx.pid, "the dump");
      throw new DumpError("attach_failed", `cannot send SIGUSR1 to process ${ctx.pid}: ${(err as Error).message}`);
    }
    try {
      return { url: await this.waitOpened(ctx, id, later, this.options.openTimeoutMs ?? 5000), opened: true };
    } catch (err) {
      // Opened, or about to open, with nobody left to close it: find it on a clock of its own, and close it.
      const stop = new AbortController();
      const timer = setTimeout(() => stop.abort(), CLOSE_CONNECT_MS);
      try {
        const url = await this.waitOpened({ ...ctx, signal: stop.signal }, id, later, CLOSE_CONNECT_MS);
        await this.closeOpened(ctx, id, url, "not_sent");
      } catch {
        // not open, or gone: nothing to close
      } finally {
        clearTimeout(timer);
      }
      throw err;
    }
  }

  /** The URL of the inspector SIGUSR1 opens, once it answers (within timeoutMs). */
  private async waitOpened(ctx: DumpContext, id: TargetIdentity, later: NodeInspectFlag, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      await sleepAbortable(100, ctx.signal);
      if (!(await this.proc.stillAlive(id))) throw targetExited(ctx.pid, "opening the inspector");
      try {
        const url = await this.tryExisting(ctx, later);
        if (url !== undefined) return url;
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        last = err;
      }
    }
    throw new DumpError(
      "attach_failed",
      `process ${ctx.pid} did not open its inspector after SIGUSR1${last instanceof Error ? `: ${last.message}` : ""} (port ${later.port ?? DEFAULT_PORT} taken by another process?)`,
    );
  }

  /** The URL of an inspector the target already has open on the expected port, or undefined. */
  private async tryExisting(ctx: DumpContext, flag: NodeInspectFlag): Promise<string | undefined> {
    const host = loopbackFor(flag.host);
    if (host === undefined) return undefined;
    const ports = await listeningPorts(this.proc, ctx.pid);
    const port = flag.port ?? DEFAULT_PORT;
    const candidates = port === 0 ? [...(ports ?? [])] : ports === undefined || ports.has(port) ? [port] : [];
    for (const p of candidates) {
      try {
        return await debuggerUrl({ host, port: p }, ctx.signal);
      } catch {
        if (ctx.signal.aborted) throw abortError();
      }
    }
    return undefined;
  }

  private async urlFor(ctx: DumpContext, id: TargetIdentity, flag: NodeInspectFlag): Promise<string> {
    const host = loopbackFor(flag.host);
    if (host === undefined) {
      throw new DumpError("not_supported", `process ${ctx.pid}'s inspector listens on ${flag.host}, not on loopback; leakwatch only connects to loopback`);
    }
    if (flag.port === 0) {
      // --inspect=…:0: a random port. Find the target's listening sockets and ask each.
      const ports = await listeningPorts(this.proc, ctx.pid);
      if (ports === undefined) {
        throw new DumpError("attach_failed", `process ${ctx.pid} uses a random inspector port and its sockets cannot be read; pass the port explicitly`);
      }
      for (const p of ports) {
        try {
          return await debuggerUrl({ host, port: p }, ctx.signal);
        } catch {
          if (ctx.signal.aborted) throw abortError();
        }
      }
      if (!(await this.proc.stillAlive(id))) throw targetExited(ctx.pid, "the dump");
      throw new DumpError("attach_failed", `process ${ctx.pid}: no inspector answers on any of its listening ports (${[...ports].join(", ") || "none"})`);
    }
    return this.urlAt(ctx, id, { host, port: flag.port ?? DEFAULT_PORT });
  }

  private async urlAt(ctx: DumpContext, id: TargetIdentity, ep: InspectorEndpoint): Promise<string> {
    const ports = await listeningPorts(this.proc, ctx.pid);
    if (ports !== undefined && !ports.has(ep.port)) {
      if (!(await this.proc.stillAlive(id))) throw targetExited(ctx.pid, "the dump");
      throw new DumpError(
        "attach_failed",
        `process ${ctx.pid} does not listen on inspector port ${ep.port} (the inspector did not open, or another process holds the port); not connecting`,
      );
    }
    try {
      return await debuggerUrl(ep, ctx.signal);
    } catch (err) {
      if (ctx.signal.aborted) throw abortError();
      if (!(await this.proc.stillAlive(id))) throw targetExited(ctx.pid, "the dump");
      const code = (err as NodeJS.ErrnoException).code;
      const what = code === "ECONNREFUSED" ? "connection refused" : (err as Error).message;
      throw new DumpError("attach_failed", `cannot reach the inspector of process ${ctx.pid} at ${ep.host}:${ep.port}: ${what}`);
    }
  }
}

/**
 * Takes one heap snapshot over a CDP WebSocket: HeapProfiler.enable, collectGarbage, takeHeapSnapshot, with each
 * addHeapSnapshotChunk fed to the parser as it arrives. Resolves when takeHeapSnapshot answers. The socket is
 * always closed — after `beforeClose`, when given, has had its turn on it (even on abort: then the socket is kept
 * open for it). Throws DumpError("timeout") on abort, ParseError from the parser, Error for protocol failures.
 */
export async function snapshotOverCdp(
  url: string,
  parser: V8SnapshotParser,
  signal: AbortSignal,
  beforeClose?: (ws: WebSocket) => Promise<void>,
): Promise<void> {
  checkAborted(signal);
  // Loaded on first use: most targets never need the inspector, and ws costs ~6 MB of resident memory.
  const { default: WebSocketImpl } = await import("ws");
  const ws = new WebSocketImpl(url, { perMessageDeflate: false, maxPayload: 1 << 30, handshakeTimeout: 10_000 });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string }>();
  let failure: Error | undefined;

  const failAll = (err: Error): void => {
    if (failure === undefined) failure = err;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };
  const onAbort = (): void => {
    failAll(abortError());
    // beforeClose still needs the socket; it is closed after it.
    if (beforeClose === undefined) ws.terminate();
  };
  signal.addEventListener("abort", onAbort, { once: true });

  ws.on("message", (data: WebSocket.RawData) => {
    let msg: { id?: number; method?: string; params?: { chunk?: unknown }; result?: unknown; error?: { message?: string } };
    try {
      msg = JSON.parse(data.toString());
    } catch {
      failAll(new Error("the inspector sent a message that is not JSON"));
      ws.terminate();
      return;
    }
    if (msg.method === "HeapProfiler.addHeapSnapshotChunk") {
      if (failure !== undefined) return;
      try {
        const chunk = msg.params?.chunk;
        if (typeof chunk === "string") parser.write(chunk);
      } catch (err) {
        failAll(err as Error);
        ws.terminate();
      }
      return;
    }
    if (msg.id !== undefined) {
      const p = pending.get(msg.id);
      if (p === undefined) return;
      pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(new Error(`${p.method}: ${msg.error.message ?? "failed"}`));
      else p.resolve(msg.result);
    }
  });
  ws.on("close", () => failAll(new Error("the inspector closed the connection")));
  ws.on("error", (err) => failAll(err));

  const send = (method: string, params: Record<string, unknown> = {}): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (failure !== undefined) return reject(failure);
      const id = nextId++;
      pending.set(id, { resolve, reject, method });
      ws.send(JSON.stringify({ id, method, params }), (err) => {
        if (err) {
          pending.delete(id);
          reject(err);
        }
      });
    });

  try {
    await new Promise<void>((resolve, reject) => {
      if (failure !== undefined) return reject(failure);
      ws.once("open", () => resolve());
      ws.once("error", reject);
      ws.once("close", () => reject(failure ?? new Error("the inspector closed the connection")));
      signal.addEventListener("abort", () => reject(abortError()), { once: true });
    });
    await send("HeapProfiler.enable");
    await send("HeapProfiler.collectGarbage");
    await send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    if (failure !== undefined) throw failure; // a chunk failed to parse after the last response
  } finally {
    signal.removeEventListener("abort", onAbort);
    if (beforeClose !== undefined && ws.readyState === ws.OPEN) await beforeClose(ws).catch(() => undefined);
    closeSocket(ws);
  }
}

/**
 * Closes the target's inspector from inside: process._debugEnd() (Node's own inspector.close(), reachable from
 * any script; process.getBuiltinModule on Node versions without it), run from setImmediate so that the evaluation
 * answers first — the close ends every session, this one included. The session must then be left for the target to
 * end: a client that disconnects while the close runs can crash the target (SIGSEGV in Node 20 about once in 15
 * closes with both cores busy; nodejs/node#18761 is the same race), so requestClose waits for the target to close
 * the connection and never closes it first unless the target takes longer than CLOSE_DRAIN_MS.
 */
export const CLOSE_INSPECTOR_EXPRESSION =
  "(() => { const end = typeof process._debugEnd === 'function' ? () => process._debugEnd() : " +
  "typeof process.getBuiltinModule === 'function' ? () => process.getBuiltinModule('inspector').close() : undefined; " +
  "if (end === undefined) return 'unsupported'; setImmediate(end); return 'closing'; })()";
/** How long the close request waits for its answer (the target answers once its main thread is free). */
const CLOSE_ANSWER_MS = 1000;
/** How long, once the target said it closes its inspector, it may take to end this session itself. */
const CLOSE_DRAIN_MS = 3000;
/** How long closing on a new connection may take, and finding an inspector that SIGUSR1 is still opening. */
const CLOSE_CONNECT_MS = 3000;
/** How long the port may stay open after the target said it is closing it. */
const CLOSE_CHECK_MS = 2000;

/**
 * closing: the target answered and closes its inspector now. sent: asked, no answer yet (its main thread is still
 * busy, e.g. with the snapshot: the request waits in its queue, and runs even once this connection is gone).
 * unsupported: the target has no way to close it. not_sent: the connection was gone or never made.
 */
export type CloseRequest = "closing" | "sent" | "unsupported" | "not_sent";

/**
 * Asks the target on an open CDP connection to close its inspector; waits up to timeoutMs for the answer and, once it
 * says it is closing, up to CLOSE_DRAIN_MS for the target to end the connection (never closing it first: see above).
 */
export function requestClose(ws: WebSocket, timeoutMs: number): Promise<CloseRequest> {
  const id = 1_000_000_000; // beyond any id of the snapshot's own requests
  return new Promise<CloseRequest>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let answered = false;
    const done = (r: CloseRequest): void => {
      clearTimeout(timer);
      ws.off("message", onMessage);
      ws.off("close", onClose);
      resolve(r);
    };
    const onMessage = (data: WebSocket.RawData): void => {
      // The answer is short; snapshot chunks still arriving are not worth parsing twice.
      if ((Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength) > 4096) return;
      let msg: { id?: number; result?: { result?: { value?: unknown } } };
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (msg.id !== id) return;
      if (msg.result?.result?.value !== "closing") {
        done("unsupported");
        return;
      }
      // Closing: the target ends this session itself (see CLOSE_INSPECTOR_EXPRESSION); onClose answers then.
      answered = true;
      clearTimeout(timer);
      timer = setTimeout(() => done("closing"), CLOSE_DRAIN_MS);
    };
    const onClose = (): void => done(answered ? "closing" : "sent");
    ws.on("message", onMessage);
    ws.on("close", onClose);
    ws.send(JSON.stringify({ id, method: "Runtime.evaluate", params: { expression: CLOSE_INSPECTOR_EXPRESSION } }), (err) => {
      if (err) done("not_sent");
      else if (!answered) timer = setTimeout(() => done("sent"), timeoutMs);
    });
  });
}

/** Connects to the inspector at url only to ask it to close (requestClose); not_sent when no connection could be made. */
export async function closeInspector(url: string, timeoutMs: number): Promise<CloseRequest> {
  const { default: WebSocketImpl } = await import("ws");
  const ws = new WebSocketImpl(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
  try {
    const open = await new Promise<boolean>((resolve) => {
      ws.once("open", () => resolve(true));
      ws.once("error", () => resolve(false));
      ws.once("close", () => resolve(false));
    });
    return open ? await requestClose(ws, timeoutMs) : "not_sent";
  } finally {
    closeSocket(ws);
  }
}

function closeSocket(ws: WebSocket): void {
  if (ws.readyState === ws.CLOSED) return;
  if (ws.readyState === ws.OPEN) {
    ws.close();
    setTimeout(() => ws.terminate(), 1000).unref();
  } else ws.terminate();
}
