// Aggregates a GC heap snapshot from EventPipe events into per-type counts and bytes, as the events arrive.
//
// The runtime, asked for the GCHeapSnapshot keywords, induces one full blocking GC (GCStart: Depth 2, Type
// NonConcurrentGC, Reason Induced), walks the live heap inside it and logs every object in GCBulkNode events
// (address, size, type id; numbered by Index from 0 for each walk), and the types in BulkType events (type id →
// name). This class keeps one counter per type id — memory grows with the number of types, never with the
// number of objects — and resolves names at the end, so nodes that arrive before their BulkType are fine.
// The dump is complete when GCEnd for the induced GC has been seen (what dotnet-gcdump waits for); an Index gap
// or lost events make it incomplete.
import { ParseError } from "../../model/parse-error.js";
import { capTypeName } from "../../formats/normalise.js";
import type { DumpSummaryBody, TypeRow } from "../../model/summary.js";
import { RUNTIME_PROVIDER, RuntimeEvent, GCReason, GCType, decodeBulkNode, decodeBulkType, decodeGCEnd, decodeGCStart } from "./protocol/events.js";
import type { EventHeader, EventMetadata, NettraceHandler, TraceInfo } from "./protocol/nettrace.js";

/** Most distinct type ids kept (a process has tens of thousands of types at most). */
export const MAX_TYPES = 2_000_000;

interface Counter {
  count: number;
  bytes: number;
}

/**
 * The name a type gets, the way dotnet-gcdump writes it: generic arity suffixes dropped, brackets of generic
 * arguments as angle brackets, arrays kept as `[]` (`System.Collections.Generic.List`1[System.String]` →
 * `System.Collections.Generic.List<System.String>`, `System.String[]` stays).
 */
export function gcdumpTypeName(raw: string, typeNameId = 0, isArray = false): string {
  let name = raw;
  if (name === "") name = isArray ? `ArrayType(0x${typeNameId.toString(16)})` : `Type(0x${typeNameId.toString(16)})`;
  if (name.includes("`")) name = name.replace(/`\d+/g, "");
  if (name.includes("[")) name = name.replace(/\[/g, "<").replace(/\]/g, ">").replace(/<>/g, "[]");
  return capTypeName(name);
}

/** BulkType flag: the type is an array. */
const TYPE_FLAG_ARRAY = 0x8;

export type HeapDumpState = "waiting" | "in_gc" | "complete";

export class HeapDumpAggregator implements NettraceHandler {
  private pointerSize = 8;
  /** Counters by type id (type ids are addresses < 2^53). */
  private readonly counters = new Map<number, Counter>();
  private readonly names = new Map<number, string>();
  private dumpGc: number | undefined;
  private nextIndex = 0;
  private walks = 0;
  /** Set when the walk could not be followed exactly (an Index gap); the dump is then incomplete. */
  problem: string | undefined;
  state: HeapDumpState = "waiting";
  objects = 0;
  bytes = 0;
  bulkNodeEvents = 0;
  droppedEvents = 0;
  /** Timestamps (trace ticks) of the induced GC's GCStart and GCEnd, and ticks per second. */
  private gcStartTicks: bigint | undefined;
  private gcEndTicks: bigint | undefined;
  private ticksPerSecond = 0n;
  /** The pid the trace says it comes from. */
  processId: number | undefined;
  /** Called once when the GCEnd of the induced GC arrives. */
  onComplete: (() => void) | undefined;

  onTrace(info: TraceInfo): void {
    this.pointerSize = info.pointerSize;
    this.processId = info.processId;
    this.ticksPerSecond = info.qpcFrequency;
  }

  onDropped(count: number): void {
    this.droppedEvents += count;
  }

  onEvent(meta: EventMetadata, header: EventHeader, payload: Buffer): void {
    if (meta.provider !== RUNTIME_PROVIDER) return;
    switch (meta.eventId) {
      case RuntimeEvent.GCStart: {
        const gc = decodeGCStart(payload);
        if (this.dumpGc === undefined && gc.depth >= 2 && gc.type === GCType.NonConcurrentGC && gc.reason === GCReason.Induced) {
          this.dumpGc = gc.count;
          this.state = "in_gc";
          this.gcStartTicks = header.timestamp;
        }
        return;
      }
      case RuntimeEvent.GCEnd: {
        const gc = decodeGCEnd(payload);
        if (this.state === "in_gc" && gc.count === this.dumpGc) {
          this.state = "complete";
          this.gcEndTicks = header.timestamp;
          this.onComplete?.();
        }
        return;
      }
      case RuntimeEvent.BulkType:
        decodeBulkType(payload, (v) => {
          const key = typeKey(Number(v.typeId & 0xffffffffn), Number(v.typeId >> 32n));
          if (key === undefined) return;
          if (!this.names.has(key) && this.names.size >= MAX_TYPES) throw new ParseError("nettrace", 0, `more than ${MAX_TYPES} types`);
          this.names.set(key, gcdumpTypeName(v.name, v.typeNameId, (v.flags & TYPE_FLAG_ARRAY) !== 0));
        });
        return;
      case RuntimeEvent.GCBulkNode:
        this.onBulkNode(payload, header);
        return;
    }
  }

  private onBulkNode(payload: Buffer, _header: EventHeader): void {
    // Only the first heap walk counts: another session asking for a heap dump at the same time starts another.
    if (this.walks > 1) return;
    const index = payload.length >= 4 ? payload.readUInt32LE(0) : -1;
    if (index === 0) {
      this.walks++;
      if (this.walks > 1) return;
    } else if (this.walks === 0) {
      this.problem ??= `the heap walk's first GCBulkNode event (Index 0) is missing (first seen: ${index})`;
      this.walks = 1;
    }
    if (index !== this.nextIndex && this.walks === 1 && index !== 0) {
      this.problem ??= `GCBulkNode events missing: expected Index ${this.nextIndex}, got ${index}`;
    }
    this.nextIndex = index + 1;
    this.bulkNodeEvents++;
    decodeBulkNode(payload, this.pointerSize, (size, lo, hi) => {
      const key = typeKey(lo, hi) ?? -1;
      let c = this.counters.get(key);
      if (c === undefined) {
        if (this.counters.size >= MAX_TYPES) throw new ParseError("nettrace", 0, `more than ${MAX_TYPES} types`);
        c = { count: 0, bytes: 0 };
        this.counters.set(key, c);
      }
      c.count++;
      c.bytes += size;
      this.objects++;
      this.bytes += size;
    });
  }

  /**
   * How long the induced GC took in the target, GCStart to GCEnd, heap walk included (seconds): the pause the dump
   * cost the target. Undefined until complete or when the trace has no usable clock.
   */
  get gcSeconds(): number | undefined {
    if (this.gcStartTicks === undefined || this.gcEndTicks === undefined || this.ticksPerSecond <= 0n) return undefined;
    const s = Number(this.gcEndTicks - this.gcStartTicks) / Number(this.ticksPerSecond);
    return Number.isFinite(s) && s >= 0 ? s : undefined;
  }

  /** Objects whose type id got no BulkType event (so far). */
  get unnamedObjects(): number {
    let n = 0;
    for (const [key, c] of this.counters) if (!this.names.has(key)) n += c.count;
    return n;
  }

  /** Number of distinct type ids seen in nodes. */
  get typeCount(): number {
    return this.counters.size;
  }

  /** The per-type table; rows with the same name (a type loaded twice) are merged. */
  summary(notes: string[] = []): DumpSummaryBody {
    const byName = new Map<string, TypeRow>();
    let unnamed = 0;
    for (const [key, c] of this.counters) {
      let name = this.names.get(key);
      if (name === undefined) {
        unnamed++;
        name = key < 0 ? "<unknown_type>" : `Type(0x${key.toString(16)})`;
      }
      const row = byName.get(name);
      if (row === undefined) byName.set(name, { type: name, count: c.count, bytes: c.bytes });
      else {
        row.count += c.count;
        row.bytes += c.bytes;
      }
    }
    const types = [...byName.values()].sort((a, b) => b.bytes - a.bytes || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
    const out = [...notes];
    if (unnamed > 0) out.push(`${unnamed} type id(s) had no BulkType event; named Type(0x…)`);
    return { format: "nettrace", totalObjects: this.objects, totalBytes: this.bytes, bytesExact: true, types, notes: out };
  }
}

/** A type id as a map key: exact when below 2^53 (type ids are addresses); undefined beyond. */
function typeKey(lo: number, hi: number): number | undefined {
  return hi < 0x200000 ? hi * 0x100000000 + lo : undefined;
}
