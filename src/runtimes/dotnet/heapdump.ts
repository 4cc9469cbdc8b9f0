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
import { fullTypeDefName, type AssemblyTypes } from "./metadata.js";
import { maybeNested, type TypeDefSighting } from "./module-files.js";
import { DOTNET_TYPE_NAMES, parseRuntimeName, sosFromRuntime, sosFromRuntimeName, sosName } from "./type-names.js";
import type { DumpSummaryBody, TypeRow } from "../../model/summary.js";
import { RUNTIME_PROVIDER, RuntimeEvent, GCReason, GCType, decodeBulkNode, decodeBulkType, decodeGCEnd, decodeGCStart } from "./protocol/events.js";
import type { EventHeader, EventMetadata, NettraceHandler, TraceInfo } from "./protocol/nettrace.js";

/** Most distinct type ids kept (a process has tens of thousands of types at most). */
export const MAX_TYPES = 2_000_000;

interface Counter {
  count: number;
  bytes: number;
}

/** What a BulkType event says of one type; its name is spelt at the end, when every type is known. */
interface TypeInfo {
  raw: string;
  flags: number;
  module: number;
  typeNameId: number;
  /** Type keys of its generic arguments, or of an array's element type. */
  params: number[];
}

/** Placeholder names for a type the runtime logged without one. */
function unnamedType(typeNameId: number, isArray: boolean): string {
  return isArray ? `ArrayType(0x${typeNameId.toString(16)})` : `Type(0x${typeNameId.toString(16)})`;
}

/**
 * The name of a type as the runtime logs it, spelt the way SOS prints it (type-names.ts), without the declaring
 * types that only the assembly's metadata knows: `System.Collections.Generic.List\`1[System.String]` →
 * `System.Collections.Generic.List<System.String>`, `System.String[,]` stays.
 */
export function gcdumpTypeName(raw: string, typeNameId = 0, isArray = false): string {
  return capTypeName(raw === "" ? unnamedType(typeNameId, isArray) : sosFromRuntimeName(raw));
}

/** The row of a TypeDef token (0x02xxxxxx), or 0 for any other id (arrays, generic instantiations have 0x02000000). */
function typeDefRow(typeNameId: number): number {
  return typeNameId >>> 24 === 0x02 ? typeNameId & 0xffffff : 0;
}

/** Deepest generic argument / array element chain spelt (a garbled trace could make a cycle). */
const MAX_NAME_DEPTH = 32;

/** BulkType flag: the type is an array. */
const TYPE_FLAG_ARRAY = 0x8;

export type HeapDumpState = "waiting" | "in_gc" | "complete";

export class HeapDumpAggregator implements NettraceHandler {
  private pointerSize = 8;
  /** Counters by type id (type ids are addresses < 2^53). */
  private readonly counters = new Map<number, Counter>();
  private readonly types = new Map<number, TypeInfo>();
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
          if (!this.types.has(key) && this.types.size >= MAX_TYPES) throw new ParseError("nettrace", 0, `more than ${MAX_TYPES} types`);
          const params: number[] = [];
          for (const p of v.typeParameters) params.push(typeKey(Number(p & 0xffffffffn), Number(p >> 32n)) ?? -1);
          const module = typeKey(Number(v.moduleId & 0xffffffffn), Number(v.moduleId >> 32n)) ?? -1;
          this.types.set(key, { raw: v.name, flags: v.flags, module, typeNameId: v.typeNameId, params });
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
    for (const [key, c] of this.counters) if (!this.types.has(key)) n += c.count;
    return n;
  }

  /** Number of distinct type ids seen in nodes. */
  get typeCount(): number {
    return this.counters.size;
  }

  /**
   * Each named type's module, TypeDef row and definition name as the runtime spelt it: what module-files.ts needs
   * to find the assembly that holds the declaring types of nested ones.
   */
  *typeDefs(): Generator<TypeDefSighting> {
    for (const t of this.types.values()) {
      const row = typeDefRow(t.typeNameId);
      if (row === 0 || t.module < 0 || t.raw === "" || (t.flags & TYPE_FLAG_ARRAY) !== 0) continue;
      const parsed = parseRuntimeName(t.raw);
      if (parsed !== undefined && parsed.suffix === "") yield { module: t.module, row, def: parsed.def };
    }
  }

  /**
   * The SOS spelling of type `key`: generic arguments and array elements spelt from their own BulkType events, and
   * the declaring types of a nested type from its module's metadata when `modules` has it.
   */
  private typeName(key: number, modules: ReadonlyMap<number, AssemblyTypes>, memo: Map<number, string>, depth = 0): string | undefined {
    const known = memo.get(key);
    if (known !== undefined) return known;
    const t = this.types.get(key);
    if (t === undefined || depth > MAX_NAME_DEPTH) return undefined;
    const isArray = (t.flags & TYPE_FLAG_ARRAY) !== 0;
    let name: string;
    const parsed = t.raw === "" ? undefined : parseRuntimeName(t.raw);
    if (t.raw === "") name = unnamedType(t.typeNameId, isArray);
    else if (parsed === undefined) name = t.raw;
    else if (isArray) {
      // The element's own name (it may be nested) and this array's rank: the last suffix (`[]`, `[,]`).
      const element = t.params.length === 1 ? this.typeName(t.params[0]!, modules, memo, depth + 1) : undefined;
      const rank = /(\[[,*]*\])$/.exec(parsed.suffix)?.[1];
      name = element !== undefined && rank !== undefined ? element + rank : sosFromRuntime(parsed);
    } else {
      const types = modules.get(t.module);
      const row = typeDefRow(t.typeNameId);
      const full = types !== undefined && row !== 0 ? fullTypeDefName(types, row) : undefined;
      const def = full ?? parsed.def;
      // The runtime spells generic arguments in full, declaring types included; only one it named by its own name
      // (none seen so far) is taken from the argument's own BulkType event.
      const args = parsed.args.map((a, i) => {
        const spelt = sosFromRuntime(a);
        if (t.params.length !== parsed.args.length || !maybeNested(a.def)) return spelt;
        return this.typeName(t.params[i]!, modules, memo, depth + 1) ?? spelt;
      });
      name = sosName(def, args, parsed.suffix);
    }
    name = capTypeName(name);
    memo.set(key, name);
    return name;
  }

  /**
   * The per-type table; rows with the same name (a type loaded twice) are merged. `modules`: the assembly of each
   * module whose nested types get their declaring types (module-files.ts); without it they keep their own names.
   */
  summary(notes: string[] = [], modules: ReadonlyMap<number, AssemblyTypes> = new Map()): DumpSummaryBody {
    const byName = new Map<string, TypeRow>();
    const memo = new Map<number, string>();
    let unnamed = 0;
    for (const [key, c] of this.counters) {
      let name = this.typeName(key, modules, memo);
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
    return { format: "nettrace", totalObjects: this.objects, totalBytes: this.bytes, bytesExact: true, types, notes: out, typeNames: DOTNET_TYPE_NAMES };
  }
}

/** A type id as a map key: exact when below 2^53 (type ids are addresses); undefined beyond. */
function typeKey(lo: number, hi: number): number | undefined {
  return hi < 0x200000 ? hi * 0x100000000 + lo : undefined;
}
