// Reverse ("connect") mode of the diagnostic server. A runtime started with
//   DOTNET_DiagnosticPorts=/shared/leakwatch.sock[,nosuspend]
// connects to that socket, which leakwatch listens on, and sends an advertise message ("ADVR_V1\0", runtime
// instance cookie, pid). The connection then waits for ONE command; after the command the runtime connects
// again and advertises again. So this listener keeps, per runtime, the latest idle advertised connection and
// hands it to whoever needs to send a command (an EventPipe session needs two: CollectTracing and StopTracing).
//
// A port without ",nosuspend" makes the runtime wait at startup until it is told to resume: by default the
// listener sends ResumeRuntime to every runtime the first time it advertises, so the target is never left
// suspended.
import { chmod, rm } from "node:fs/promises";
import net from "node:net";
import type { Logger } from "pino";
import {
  ADVERTISE_SIZE,
  CommandSet,
  DiagnosticIpcError,
  type DiagnosticEndpoint,
  IpcConnection,
  ProcessCommand,
  decodeAdvertise,
  encodeMessage,
} from "./ipc.js";

export interface AdvertisedRuntime {
  /** The pid the runtime reported: its pid in its own PID namespace (1 in many containers). */
  pid: number;
  /** Runtime instance cookie (32 hex digits), unique per process start. */
  cookie: string;
  /** When it last advertised (ms since epoch). */
  lastSeen: number;
  /** True while an idle connection is ready for a command. */
  ready: boolean;
}

export interface DiagnosticPortListenerOptions {
  /** Send ResumeRuntime to each runtime on its first advertise (default true). */
  resumeRuntime?: boolean;
  /** File mode of the socket (default 0o600: only leakwatch's user — and root — can connect). */
  mode?: number;
  /** How long an accepted connection may take to advertise (default 5000 ms). */
  advertiseTimeoutMs?: number;
  /** A runtime not seen for this long is forgotten (default 10 minutes). */
  forgetAfterMs?: number;
  logger?: Logger;
}

interface RuntimeEntry extends AdvertisedRuntime {
  idle: IpcConnection[];
  waiters: Array<(conn: IpcConnection) => void>;
  resumed: boolean;
}

export class DiagnosticPortListener {
  private server: net.Server | undefined;
  private readonly runtimesByCookie = new Map<string, RuntimeEntry>();
  private readonly pending = new Set<net.Socket>();
  private closed = false;

  constructor(
    readonly socketPath: string,
    private readonly opts: DiagnosticPortListenerOptions = {},
  ) {}

  /** Starts listening (removing a stale socket file left by a previous run). */
  async listen(): Promise<void> {
    await rm(this.socketPath, { force: true });
    const server = net.createServer((socket) => void this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.socketPath, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (err) => this.opts.logger?.warn({ err, socket: this.socketPath }, "diagnostic port listener error"));
    this.server = server;
    await chmod(this.socketPath, this.opts.mode ?? 0o600);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.pending) s.destroy();
    for (const r of this.runtimesByCookie.values()) for (const c of r.idle) c.close();
    this.runtimesByCookie.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(this.socketPath, { force: true }).catch(() => undefined);
  }

  /** The runtimes that advertised recently. */
  runtimes(): AdvertisedRuntime[] {
    this.forgetStale();
    return [...this.runtimesByCookie.values()].map(({ pid, cookie, lastSeen, idle }) => ({ pid, cookie, lastSeen, ready: idle.length > 0 }));
  }

  /**
   * An endpoint for the runtime that advertised one of these pids (a process's pid as the host sees it and as it
   * sees itself: see namespacePids). Undefined when none did; throws DiagnosticIpcError when several distinct
   * runtimes claim these pids (e.g. several containers whose runtimes are all pid 1 share this socket).
   */
  endpointFor(pids: number | readonly number[]): DiagnosticEndpoint | undefined {
    this.forgetStale();
    const wanted = new Set(typeof pids === "number" ? [pids] : pids);
    const matches = [...this.runtimesByCookie.values()].filter((r) => wanted.has(r.pid));
    if (matches.length === 0) return undefined;
    if (matches.length > 1) {
      // A restarted process advertises with a new cookie; an old entry whose connection is gone is not a rival.
      const live = matches.filter((r) => r.idle.length > 0);
      if (live.length !== 1) {
        throw new DiagnosticIpcError(
          `${matches.length} runtimes advertised pid ${[...wanted].join("/")} on ${this.socketPath}; give each target its own DOTNET_DiagnosticPorts socket`,
        );
      }
      return this.endpoint(live[0]!);
    }
    return this.endpoint(matches[0]!);
  }

  /** Waits until a runtime with one of these pids has advertised (for tests and start-up). */
  async waitFor(pids: number | readonly number[], timeoutMs: number): Promise<DiagnosticEndpoint> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const ep = this.endpointFor(pids);
      if (ep !== undefined) return ep;
      if (Date.now() > end) throw new DiagnosticIpcError(`no runtime with pid ${String(pids)} advertised on ${this.socketPath} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private endpoint(entry: RuntimeEntry): DiagnosticEndpoint {
    return {
      description: `reverse:${this.socketPath}:pid ${entry.pid}`,
      connect: (signal?: AbortSignal, timeoutMs = 5000) => this.take(entry, signal, timeoutMs),
    };
  }

  /** Takes the runtime's idle connection, or waits for it to connect again. */
  private take(entry: RuntimeEntry, signal: AbortSignal | undefined, timeoutMs: number): Promise<IpcConnection> {
    const idle = entry.idle.shift();
    if (idle !== undefined) return Promise.resolve(idle);
    return new Promise((resolve, reject) => {
      const done = (conn: IpcConnection): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(conn);
      };
      const drop = (err: Error): void => {
        const i = entry.waiters.indexOf(done);
        if (i >= 0) entry.waiters.splice(i, 1);
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        reject(err);
      };
      const onAbort = (): void => drop(new DiagnosticIpcError("aborted while waiting for the runtime to connect"));
      const timer = setTimeout(
        () =>
          drop(new DiagnosticIpcError(`the runtime (pid ${entry.pid}) did not connect to ${this.socketPath} within ${timeoutMs} ms`, undefined, "ETIMEDOUT")),
        timeoutMs,
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      entry.waiters.push(done);
    });
  }

  private async accept(socket: net.Socket): Promise<void> {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.pending.add(socket);
    const conn = new IpcConnection(socket);
    let adv;
    try {
      adv = decodeAdvertise(await conn.read(ADVERTISE_SIZE, undefined, this.opts.advertiseTimeoutMs ?? 5000));
    } catch (err) {
      this.opts.logger?.warn({ err: (err as Error).message }, "diagnostic port: a connection did not advertise a .NET runtime");
      conn.close();
      return;
    } finally {
      this.pending.delete(socket);
    }
    if (this.closed) {
      conn.close();
      return;
    }
    let entry = this.runtimesByCookie.get(adv.cookie);
    if (entry === undefined) {
      entry = { pid: adv.pid, cookie: adv.cookie, lastSeen: Date.now(), ready: false, idle: [], waiters: [], resumed: false };
      this.runtimesByCookie.set(adv.cookie, entry);
      this.opts.logger?.info({ pid: adv.pid, cookie: adv.cookie }, "diagnostic port: runtime advertised");
    }
    entry.lastSeen = Date.now();
    if (!entry.resumed && (this.opts.resumeRuntime ?? true)) {
      entry.resumed = true;
      try {
        await conn.write(encodeMessage(CommandSet.Process, ProcessCommand.ResumeRuntime));
        await conn.readResponse("ResumeRuntime", undefined, 5000);
      } catch (err) {
        this.opts.logger?.warn({ pid: adv.pid, err: (err as Error).message }, "diagnostic port: ResumeRuntime failed");
      } finally {
        conn.close();
      }
      return;
    }
    const e = entry;
    conn.socket.once("close", () => {
      const i = e.idle.indexOf(conn);
      if (i >= 0) e.idle.splice(i, 1);
    });
    const waiter = entry.waiters.shift();
    if (waiter !== undefined) waiter(conn);
    else entry.idle.push(conn);
  }

  private forgetStale(): void {
    const limit = Date.now() - (this.opts.forgetAfterMs ?? 600_000);
    for (const [cookie, r] of this.runtimesByCookie) {
      if (r.idle.length === 0 && r.waiters.length === 0 && r.lastSeen < limit) this.runtimesByCookie.delete(cookie);
    }
  }
}
