// A long-running EventPipe session per .NET target that keeps the latest System.Runtime EventCounters values
// relevant to memory. Cheap: the counters EventSource computes a handful of values every IntervalSec and writes
// one small event per counter; no GC is induced (keywords 0, no runtime provider). The collector reads the kept
// values on scrape; no session is ever opened on the scrape path.
//
// Values are converted to base units from the counters' DisplayUnits ("MB" is 10^6 bytes in RuntimeEventSource,
// "%" becomes a 0..1 ratio, "ms" seconds). "Sum" counters (alloc-rate, gen-N-gc-count, …) carry the increment
// over the interval: their increments are added up into totals that start at 0 when the session starts.
import type { Logger } from "pino";
import { resolveEndpoint, type EndpointOptions } from "./endpoint.js";
import { decodeFields, type FieldValue } from "./protocol/events.js";
import type { DiagnosticEndpoint } from "./protocol/ipc.js";
import type { EventMetadata, EventHeader } from "./protocol/nettrace.js";
import { EventPipeSession } from "./protocol/session.js";

export const COUNTERS_PROVIDER = "System.Runtime";

export interface CounterReading {
  /** Counter name as the runtime names it: gc-heap-size, gen-0-size, alloc-rate, … */
  name: string;
  /** "mean" counters (a level) or "sum" counters (an increment per interval). */
  kind: "mean" | "sum";
  /** The latest mean, or the latest interval's increment, in base units (bytes, ratio, seconds, count). */
  value: number;
  /** For sum counters: all increments since the session started, in base units. */
  total: number;
  /** When it arrived (ms since epoch). */
  at: number;
}

export interface CountersSessionOptions extends EndpointOptions {
  /** EventCounterIntervalSec (default 5). */
  intervalSec?: number;
  /** Time to connect and for each IPC answer (default 5000 ms). */
  commandTimeoutMs?: number;
  logger?: Logger;
  /** Use this endpoint instead of resolving one from the pid (tests). */
  endpoint?: DiagnosticEndpoint;
}

/** Base-unit factor for a counter's DisplayUnits. */
export function unitFactor(units: string): number {
  switch (units) {
    case "MB":
      return 1e6;
    case "KB":
      return 1e3;
    case "GB":
      return 1e9;
    case "%":
      return 0.01;
    case "ms":
      return 1e-3;
    default:
      return 1;
  }
}

/** One EventCounters payload as a reading (without totals), or undefined when it is not a counter payload. */
export function parseCounterPayload(fields: Record<string, FieldValue>): Omit<CounterReading, "total" | "at"> | undefined {
  // EventSource wraps it: { "": { Payload: { Name, Mean | Increment, CounterType, DisplayUnits, … } } } or { Payload: … }
  let p: FieldValue | undefined = fields.Payload;
  if (p === undefined) {
    for (const v of Object.values(fields)) {
      if (v !== null && typeof v === "object" && !Array.isArray(v) && "Payload" in v) p = v.Payload;
    }
  }
  if (p === undefined || typeof p !== "object" || Array.isArray(p)) return undefined;
  const name = p.Name;
  if (typeof name !== "string" || name === "") return undefined;
  const units = typeof p.DisplayUnits === "string" ? p.DisplayUnits : "";
  const factor = unitFactor(units);
  const isSum = p.CounterType === "Sum" || (p.Increment !== undefined && p.Mean === undefined);
  const raw = isSum ? p.Increment : p.Mean;
  const value = typeof raw === "number" ? raw : typeof raw === "bigint" ? Number(raw) : Number.NaN;
  if (!Number.isFinite(value)) return undefined;
  return { name, kind: isSum ? "sum" : "mean", value: value * factor };
}

export class DotnetCountersSession {
  private session: EventPipeSession | undefined;
  private readonly readings = new Map<string, CounterReading>();
  private currentPid: number | undefined;
  private stopping = false;
  /** Why the last session ended or failed to start, for logs. */
  lastError: string | undefined;

  constructor(private readonly opts: CountersSessionOptions = {}) {}

  get pid(): number | undefined {
    return this.currentPid;
  }

  /** True while the session's stream is open. */
  get running(): boolean {
    return this.session !== undefined && !this.session.isEnded;
  }

  get intervalSec(): number {
    return this.opts.intervalSec ?? 5;
  }

  /** The latest reading of every counter seen. */
  latest(): ReadonlyMap<string, CounterReading> {
    return this.readings;
  }

  /** When the newest reading arrived (ms since epoch), or undefined. */
  get lastUpdate(): number | undefined {
    let t: number | undefined;
    for (const r of this.readings.values()) if (t === undefined || r.at > t) t = r.at;
    return t;
  }

  /**
   * Starts the counters session for a process (stopping any previous one). Throws DumpError (attach_failed,
   * not_supported, target_exited) or DiagnosticIpcError when it cannot.
   */
  async start(pid: number): Promise<void> {
    await this.stop();
    this.stopping = false;
    this.readings.clear();
    this.currentPid = pid;
    this.lastError = undefined;
    const endpoint = this.opts.endpoint ?? (await resolveEndpoint(pid, this.opts));
    const session = await EventPipeSession.start(
      endpoint,
      { onEvent: (meta, header, payload) => this.onEvent(meta, header, payload) },
      {
        providers: [{ name: COUNTERS_PROVIDER, keywords: 0n, level: 4, filterData: `EventCounterIntervalSec=${this.intervalSec}` }],
        // Counter events are small and few: a small buffer is plenty.
        circularBufferMB: 16,
        commandTimeoutMs: this.opts.commandTimeoutMs,
      },
    );
    this.session = session;
    void session.ended.then((end) => {
      if (this.session !== session) return;
      if (!this.stopping) {
        this.lastError =
          end.kind === "complete"
            ? "the runtime ended the session"
            : `the session ended: ${end.kind}${"error" in end && end.error ? ` (${end.error.message})` : ""}`;
        this.opts.logger?.info({ pid, reason: this.lastError }, "dotnet counters session ended");
      }
    });
  }

  private onEvent(meta: EventMetadata, _header: EventHeader, payload: Buffer): void {
    if (meta.provider !== COUNTERS_PROVIDER || meta.eventName !== "EventCounters") return;
    const r = parseCounterPayload(decodeFields(payload, meta.fields));
    if (r === undefined) return;
    const prev = this.readings.get(r.name);
    const total = r.kind === "sum" ? (prev?.total ?? 0) + Math.max(0, r.value) : r.value;
    this.readings.set(r.name, { ...r, total, at: Date.now() });
  }

  /** Stops the session (StopTracing, then closing the stream); never throws. */
  async stop(): Promise<void> {
    const session = this.session;
    if (session === undefined) return;
    this.stopping = true;
    this.session = undefined;
    if (!session.isComplete) {
      try {
        await session.stop(this.opts.commandTimeoutMs ?? 5000);
      } catch (err) {
        this.opts.logger?.debug({ pid: this.currentPid, err: (err as Error).message }, "dotnet counters: StopTracing failed");
      }
    }
    await session.waitEnd(5000);
  }
}
