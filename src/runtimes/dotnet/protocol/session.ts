// One EventPipe session over diagnostic IPC: CollectTracing2 on one connection, whose nettrace stream is decoded
// as it arrives; StopTracing with the session id on a second connection. The runtime then flushes its buffers,
// writes the end-of-stream tag and closes the first connection.
import { ParseError } from "../../../model/parse-error.js";
import {
  DiagnosticIpcError,
  type DiagnosticEndpoint,
  type EventPipeProvider,
  type IpcConnection,
  DS_IPC_E_UNKNOWN_COMMAND,
  encodeCollectTracing,
  encodeCollectTracing2,
  encodeStopTracing,
} from "./ipc.js";
import { NettraceDecoder, type NettraceHandler, type NettraceStats } from "./nettrace.js";

export interface SessionOptions {
  providers: readonly EventPipeProvider[];
  /** Most memory the runtime may use for this session's buffers before it drops events (default 256). */
  circularBufferMB?: number;
  signal?: AbortSignal;
  /** Time allowed to connect and for each command's answer (default 5000 ms). */
  commandTimeoutMs?: number;
  /**
   * Time allowed for CollectTracing's answer (default commandTimeoutMs). A session that asks for a GC heap dump is
   * answered only once the runtime has run the induced GC and its heap walk: seconds on a big heap.
   */
  answerTimeoutMs?: number;
  /** Every raw stream chunk, before decoding (to keep a raw .nettrace file). */
  onRaw?: (chunk: Buffer) => void;
}

export type SessionEnd =
  /** The end-of-stream tag arrived and the runtime closed the stream. */
  | { kind: "complete" }
  /** The stream stopped without its end tag (the target exited, the socket broke, or we closed it). */
  | { kind: "truncated"; error?: Error }
  /** The stream could not be decoded; the connection was closed. */
  | { kind: "malformed"; error: ParseError };

export class EventPipeSession {
  readonly decoder: NettraceDecoder;
  /** Resolves (never rejects) when the stream is over, however it ended. */
  readonly ended: Promise<SessionEnd>;
  private resolveEnded!: (end: SessionEnd) => void;
  private endResult: SessionEnd | undefined;
  private stopped: Promise<void> | undefined;
  /** When the last stream bytes arrived (ms since epoch). */
  lastDataAt = Date.now();

  private constructor(
    private readonly endpoint: DiagnosticEndpoint,
    private readonly conn: IpcConnection,
    readonly sessionId: bigint,
    handler: NettraceHandler,
    private readonly opts: SessionOptions,
  ) {
    this.decoder = new NettraceDecoder(handler);
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  /**
   * Starts a session. Throws DiagnosticIpcError when the runtime cannot be reached or refuses (HRESULT set).
   * Decoding starts at once: handler callbacks run from the socket's data events.
   */
  static async start(endpoint: DiagnosticEndpoint, handler: NettraceHandler, opts: SessionOptions): Promise<EventPipeSession> {
    const timeout = opts.commandTimeoutMs ?? 5000;
    const circularBufferMB = opts.circularBufferMB ?? 256;
    let conn: IpcConnection | undefined;
    let sessionId: bigint | undefined;
    // CollectTracing2 (.NET Core 3.1+) lets us turn rundown off; a runtime that does not know it gets CollectTracing.
    for (const v2 of [true, false]) {
      const c = await endpoint.connect(opts.signal, timeout);
      const what = v2 ? "CollectTracing2" : "CollectTracing";
      try {
        await c.write(
          v2
            ? encodeCollectTracing2({ circularBufferMB, requestRundown: false, providers: opts.providers })
            : encodeCollectTracing({ circularBufferMB, providers: opts.providers }),
        );
        const payload = await c.readResponse(what, opts.signal, opts.answerTimeoutMs ?? timeout);
        if (payload.length < 8) throw new DiagnosticIpcError(`${what} answer without a session id`);
        sessionId = payload.readBigUInt64LE(0);
        conn = c;
        break;
      } catch (err) {
        c.close();
        if (v2 && err instanceof DiagnosticIpcError && err.hresult === DS_IPC_E_UNKNOWN_COMMAND) continue;
        throw err;
      }
    }
    if (conn === undefined || sessionId === undefined) throw new DiagnosticIpcError("CollectTracing failed");
    const session = new EventPipeSession(endpoint, conn, sessionId, handler, opts);
    session.attach();
    return session;
  }

  private attach(): void {
    this.conn.takeStream(
      (chunk) => {
        if (this.endResult !== undefined) return;
        this.lastDataAt = Date.now();
        this.opts.onRaw?.(chunk);
        try {
          this.decoder.push(chunk);
          if (this.decoder.complete) this.finish({ kind: "complete" });
        } catch (err) {
          this.conn.close();
          if (err instanceof ParseError) this.finish({ kind: "malformed", error: err });
          else this.finish({ kind: "truncated", error: err instanceof Error ? err : new Error(String(err)) });
        }
      },
      (err) => {
        if (this.decoder.complete) this.finish({ kind: "complete" });
        else this.finish({ kind: "truncated", error: err });
      },
    );
  }

  private finish(end: SessionEnd): void {
    if (this.endResult !== undefined) return;
    this.endResult = end;
    this.resolveEnded(end);
  }

  get stats(): NettraceStats {
    return this.decoder.stats;
  }

  get isEnded(): boolean {
    return this.endResult !== undefined;
  }

  /** True once the stream ended with its end tag: the runtime has ended the session itself. */
  get isComplete(): boolean {
    return this.endResult?.kind === "complete";
  }

  /**
   * Asks the runtime to stop the session (on a new connection), once; later calls return the same promise.
   * Rejects with DiagnosticIpcError when the runtime cannot be reached or refuses. Only a stream that completed
   * (end tag read) needs no stop: one we closed ourselves (malformed) or that broke may still be on in the runtime.
   */
  stop(timeoutMs = this.opts.commandTimeoutMs ?? 5000): Promise<void> {
    this.stopped ??= (async () => {
      if (this.endResult?.kind === "complete") return;
      const conn = await this.endpoint.connect(undefined, timeoutMs);
      try {
        await conn.write(encodeStopTracing(this.sessionId));
        await conn.readResponse("StopTracing", undefined, timeoutMs);
      } finally {
        conn.close();
      }
    })();
    return this.stopped;
  }

  /** Waits for the stream to end, at most timeoutMs; then closes it (the result says truncated). */
  async waitEnd(timeoutMs: number): Promise<SessionEnd> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<SessionEnd>((resolve) => {
      timer = setTimeout(() => resolve({ kind: "truncated", error: new Error(`the stream did not end within ${timeoutMs} ms of StopTracing`) }), timeoutMs);
    });
    const end = await Promise.race([this.ended, timeout]);
    clearTimeout(timer);
    if (!this.isEnded) {
      this.close();
      this.finish(end);
    }
    return end;
  }

  /** Closes the stream connection without stopping (the runtime ends a session whose reader went away). */
  close(): void {
    this.conn.close();
  }
}
