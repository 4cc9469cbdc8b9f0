// Aggregates a GC heap snapshot from EventPipe events into per-type counts and bytes, as the events arrive.
//
// The runtime, asked for the GCHeapSnapshot keywords, induces one full blocking GC (GCStart: Depth 2, Type
// NonConcurrentGC, Reason Induced), walks the live heap inside it and logs every object in GCBulkNode events
// (address, size, type id; numbered by Index from 0 for each walk), the references between them in GCBulkEdge events
// (numbered the same way, on their own), and the types in BulkType events (type id → name). This class keeps one
// counter per type id — memory grows with the number of types, never with the number of objects — and resolves
// names at the end, so nodes that arrive before their BulkType are fine. The dump is complete when GCEnd for the
// induced GC has been seen (what dotnet-gcdump waits for).
//
// Lost events are told apart (losses()): a gap in the GCBulkNode Index is lost objects, one in the GCBulkEdge Index
// lost references; whatever else the runtime says was lost is "other" (types, roots, GC events, or the last node or
// edge events of the walk). The per-type counts are proven complete when no node event is missing — none inside
// (Index gaps) and none at the end (the last node event is the walk's smaller last one) — even when other events
// were lost.
import { ParseError } from "../../model/parse-error.js";
import { capTypeName } from "../../formats/normalise.js";
import { fullTypeDefName, type AssemblyTypes } from "./metadata.js";
import { maybeNested, type TypeDefSighting } from "./module-files.js";
import { DOTNET_TYPE_NAMES, parseRuntimeName, sosFromRuntime, sosFromRuntimeName, sosName } from "./type-names.js";
import type { DumpSummaryBody, TypeRow } from "../../model/summary.js";
import {
  RUNTIME_PROVIDER,
  RuntimeEvent,
  bulkIndex,
  bulkNodeValueSize,
  decodeBulkNode,
  decodeBulkType,
  decodeGCEnd,
  decodeGCStart,
  isHeapDumpGc,
} from "./protocol/events.js";
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

/** The whole state of an aggregation as plain data (Maps, numbers, bigints): it crosses from the decoding worker. */
export interface HeapDumpSaved {
  pointerSize: number;
  counters: Map<number, Counter>;
  types: Map<number, TypeInfo>;
  dumpGc: number | undefined;
  nodes: SeriesSaved;
  edges: SeriesSaved;
  state: HeapDumpState;
  objects: number;
  bytes: number;
  bulkNodeEvents: number;
  droppedEvents: number;
  gcStartTicks: bigint | undefined;
  gcEndTicks: bigint | undefined;
  ticksPerSecond: bigint;
  processId: number | undefined;
}

interface SeriesSaved {
  walks: number;
  next: number;
  events: number;
  lost: number;
  lastSize: number;
  maxSize: number;
}

/** What a heap snapshot stream lost, by kind (events, not objects: one GCBulkNode event holds up to ~2000 objects). */
export interface HeapDumpLosses {
  /** Events the runtime dropped in all (sequence-number gaps and sequence points). */
  dropped: number;
  /** GCBulkNode events missing (Index gaps, a missing Index 0). */
  nodeEvents: number;
  /** GCBulkEdge events missing (Index gaps, a missing Index 0). */
  edgeEvents: number;
  /** Dropped events that are neither (types, roots, GC events), or nodes or edges lost after the last one seen. */
  otherEvents: number;
  /** Objects lost, estimated from the node events lost and the average objects per node event. */
  objectsEstimate: number;
  /** Every object of the walk was counted: the per-type counts are exact. */
  nodesComplete: boolean;
  /** Every reference of the walk arrived. */
  edgesComplete: boolean;
}

/**
 * Follows one Index-numbered bulk event series of the walk (GCBulkNode or GCBulkEdge) for gaps and for its end. The
 * runtime fills each event of a series to the same size (≈ 64 KB: 2008 objects, 5354 references on 64-bit) and
 * sends a smaller one only with the last values of the walk: a series whose last event is smaller than the largest
 * ended there. Sequence numbers cannot tell that: the runtime numbers the events of each of its buffers in a row,
 * and a small event (a type, the GCEnd) that still fits in the buffer that a big one no longer did follows the last
 * event written with the next number, however many were dropped in between (only the sequence point at the end of
 * the stream shows the drops, not where they were).
 */
class IndexedSeries {
  /** Walks seen (an Index 0 starts one); only the first counts. */
  walks = 0;
  next = 0;
  events = 0;
  lost = 0;
  private lastSize = 0;
  private maxSize = 0;

  constructor(private readonly valueSize: () => number) {}

  save(): SeriesSaved {
    return { walks: this.walks, next: this.next, events: this.events, lost: this.lost, lastSize: this.lastSize, maxSize: this.maxSize };
  }

  load(s: SeriesSaved): void {
    ({ walks: this.walks, next: this.next, events: this.events, lost: this.lost, lastSize: this.lastSize, maxSize: this.maxSize } = s);
  }

  /** An event of the series with this Index: false when it belongs to a later walk (to be ignored). */
  accept(index: number, payloadSize: number): boolean {
    if (this.walks > 1) return false;
    if (index === 0) {
      this.walks++;
      if (this.walks > 1) return false;
    } else if (this.walks === 0) {
      // The walk's first events were lost.
      this.walks = 1;
      this.lost += index;
    } else if (index > this.next) {
      this.lost += index - this.next;
    }
    this.next = Math.max(this.next, index + 1);
    this.events++;
    this.lastSize = payloadSize;
    this.maxSize = Math.max(this.maxSize, payloadSize);
    return true;
  }

  /** The last event seen had room for more values than it holds: the walk's last of this series. */
  get endSeen(): boolean {
    return this.events > 1 && this.lastSize + this.valueSize() <= this.maxSize;
  }
}

export class HeapDumpAggregator implements NettraceHandler {
  private pointerSize = 8;
  /** Counters by type id (type ids are addresses < 2^53). */
  private readonly counters = new Map<number, Counter>();
  private readonly types = new Map<number, TypeInfo>();
  private dumpGc: number | undefined;
  private readonly nodes = new IndexedSeries(() => bulkNodeValueSize(this.pointerSize));
  private readonly edges = new IndexedSeries(() => this.pointerSize + 4);
  /** Counts objects per type (off for a first pass that only follows the stream: GC start and end, losses). */
  private readonly countObjects: boolean;
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

  constructor(options: { countObjects?: boolean } = {}) {
    this.countObjects = options.countObjects ?? true;
  }

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
        if (this.dumpGc === undefined && isHeapDumpGc(gc)) {
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
        if (!this.countObjects) return;
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
        this.onBulkNode(payload);
        return;
      case RuntimeEvent.GCBulkEdge:
        this.edges.accept(bulkIndex(payload), payload.length);
        return;
    }
  }

  private onBulkNode(payload: Buffer): void {
    // Only the first heap walk counts: another session asking for a heap dump at the same time starts another.
    if (!this.nodes.accept(bulkIndex(payload), payload.length)) return;
    this.bulkNodeEvents++;
    if (!this.countObjects) return;
    // The hot loop of a dump (once per object): a heap lays out runs of objects of one type, so the last type's
    // counter is kept at hand and the map is looked up only when the type changes.
    let lastLo = -1;
    let lastHi = -1;
    let c: Counter | undefined;
    let objects = 0;
    let bytes = 0;
    decodeBulkNode(payload, this.pointerSize, (size, lo, hi) => {
      if (lo !== lastLo || hi !== lastHi || c === undefined) {
        c = this.counter(lo, hi);
        lastLo = lo;
        lastHi = hi;
      }
      c.count++;
      c.bytes += size;
      objects++;
      bytes += size;
    });
    this.objects += objects;
    this.bytes += bytes;
  }

  private counter(lo: number, hi: number): Counter {
    const key = typeKey(lo, hi) ?? -1;
    let c = this.counters.get(key);
    if (c === undefined) {
      if (this.counters.size >= MAX_TYPES) throw new ParseError("nettrace", 0, `more than ${MAX_TYPES} types`);
      c = { count: 0, bytes: 0 };
      this.counters.set(key, c);
    }
    return c;
  }

  /**
   * What the stream lost, by kind. Index gaps are lost events inside a series; a series whose end was not seen (its
   * last event was as full as the others) may have lost its last events, which is proven not to be so only when
   * nothing at all was lost.
   */
  losses(): HeapDumpLosses {
    const dropped = this.droppedEvents;
    const nodeEvents = this.nodes.lost;
    const edgeEvents = this.edges.lost;
    const otherEvents = Math.max(0, dropped - nodeEvents - edgeEvents);
    const ended = (s: IndexedSeries): boolean => s.endSeen || dropped === 0;
    const perEvent = this.nodes.events > 0 ? this.objects / this.nodes.events : 0;
    return {
      dropped,
      nodeEvents,
      edgeEvents,
      otherEvents,
      objectsEstimate: Math.round(nodeEvents * perEvent),
      nodesComplete: this.nodes.walks > 0 && nodeEvents === 0 && ended(this.nodes),
      edgesComplete: edgeEvents === 0 && ended(this.edges),
    };
  }

  /** The aggregation as plain data, for another thread: HeapDumpAggregator.restore() makes it an aggregator again. */
  save(): HeapDumpSaved {
    return {
      pointerSize: this.pointerSize,
      counters: this.counters,
      types: this.types,
      dumpGc: this.dumpGc,
      nodes: this.nodes.save(),
      edges: this.edges.save(),
      state: this.state,
      objects: this.objects,
      bytes: this.bytes,
      bulkNodeEvents: this.bulkNodeEvents,
      droppedEvents: this.droppedEvents,
      gcStartTicks: this.gcStartTicks,
      gcEndTicks: this.gcEndTicks,
      ticksPerSecond: this.ticksPerSecond,
      processId: this.processId,
    };
  }

  static restore(s: HeapDumpSaved): HeapDumpAggregator {
    const agg = new HeapDumpAggregator();
    agg.pointerSize = s.pointerSize;
    for (const [k, v] of s.counters) agg.counters.set(k, v);
    for (const [k, v] of s.types) agg.types.set(k, v);
    agg.dumpGc = s.dumpGc;
    agg.nodes.load(s.nodes);
    agg.edges.load(s.edges);
    agg.state = s.state;
    agg.objects = s.objects;
    agg.bytes = s.bytes;
    agg.bulkNodeEvents = s.bulkNodeEvents;
    agg.droppedEvents = s.droppedEvents;
    agg.gcStartTicks = s.gcStartTicks;
    agg.gcEndTicks = s.gcEndTicks;
    agg.ticksPerSecond = s.ticksPerSecond;
    agg.processId = s.processId;
    return agg;
  }

  /** GCBulkEdge events seen in the walk. */
  get bulkEdgeEvents(): number {
    return this.edges.events;
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

  /** Names type keys (typeKey()) as summary() names its rows: what the heap graph's types are called. */
  namer(modules: ReadonlyMap<number, AssemblyTypes> = new Map()): (key: number) => string {
    const memo = new Map<number, string>();
    return (key) => this.typeName(key, modules, memo) ?? unnamedKey(key);
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
      const known = this.typeName(key, modules, memo);
      if (known === undefined) unnamed++;
      const name = known ?? unnamedKey(key);
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

/** The row name of a type key without a BulkType event. */
function unnamedKey(key: number): string {
  return key < 0 ? "<unknown_type>" : `Type(0x${key.toString(16)})`;
}

/** A type id as a map key: exact when below 2^53 (type ids are addresses); undefined beyond. */
export function typeKey(lo: number, hi: number): number | undefined {
  return hi < 0x200000 ? hi * 0x100000000 + lo : undefined;
}
