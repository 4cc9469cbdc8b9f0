// The heap graph of an EventPipe GC heap snapshot (the retention analysis's input, src/model/heap-graph.ts).
//
// During the induced GC the runtime logs every live object in GCBulkNode events (address, size, type id, and
// EdgeCount: how many references it holds), all references in GCBulkEdge events in the same walk order (the first
// node's EdgeCount targets, then the second's, …), and the roots: GCBulkRootEdge (an address, its GCRootKind and
// flags: stack, handles, finalizer queue), GCBulkRootStaticVar (a static field: declaring type and field name) and
// GCBulkRootConditionalWeakTableElementEdge (a ConditionalWeakTable key keeps its value alive: a reference from key
// to value, as dotnet-gcdump's graph reader treats it). Roots flagged WeakRef (weak and weak-tracking handles: a
// WeakReference's target) do not retain and are left out. A static root's TypeID is the type of the object it holds
// (CoreCLR's BulkStaticsLogger logs obj->GetTypeHandle()), not the field's declaring type, which the events never say.
//
// The runtime logs no field names (ReferencingFieldID is always 0) and no array indices, so an edge is named by what
// is known: `[]` for an element of an array (index unknown), the field where the target's assemblies say which one
// it is (fields.ts: the one reference field of the referring type that can hold it), else `(T)` for
// a field holding a T. A path reads e.g. `static Program.Owners → List<Owner>`, `_items → Owner[]`, `[] → Owner`,
// `(System.Byte[]) → System.Byte[]`. A root is named by its kind (`stack`, `pinned handle`, `handle`, `finalizer queue`) or, for a
// static field, `static Namespace.Type.Field` where the target's assemblies name one type declaring a static field of
// that name, else `static Field` (the events name the field only).
//
// Memory, bounded per object and reference (no JS object per either), in columns that grow in place and give their
// memory back when done (util/column.ts): while the stream is decoded, 14 bytes per object (address packed in 32 bits,
// AddressPacker, else a double; size and reference count as u32; type as u16, widened past 65 536 types) and none per
// reference — they are only counted then, and build() reads the stream a second time to match each to its object.
// While the graph is built: the address index adds nothing per object where the walk logged each 4 KiB page's objects
// in one ascending run (PageIndex: the GC walks its regions in order), else 8–16 (AddressTable: a u32 open-addressing
// table at ≤ 50 % load); the reference counts become the edge starts in place; the resolved targets take 4 bytes per reference; the
// addresses are given back before the other columns are copied out. Handed on: 10 bytes per object (type u16, size
// u32, edge start u32) and 4 per reference (target u32); edge names are derived from the types, not stored. Types and
// static roots are kept in Maps: there are thousands, not millions.
import { ANY_FIELD_TYPE, type EdgeNamesByType, type HeapGraph } from "../../model/heap-graph.js";
import type { TypeResolver } from "./fields.js";
import { Column } from "../../util/column.js";
import { typeKey } from "./heapdump.js";
import { type AssemblyTypes, fullTypeDefName } from "./metadata.js";
import {
  GCRootFlag,
  GCRootKind,
  RUNTIME_PROVIDER,
  RuntimeEvent,
  bulkEdgeCount,
  bulkIndex,
  decodeBulkEdge,
  decodeBulkNodeFull,
  decodeBulkRootCwtEdge,
  decodeBulkRootEdge,
  decodeBulkRootStaticVar,
  decodeGCEnd,
  decodeGCStart,
  isHeapDumpGc,
} from "./protocol/events.js";
import type { EventHeader, EventMetadata, NettraceHandler, TraceInfo } from "./protocol/nettrace.js";

/** Root names by label index: the GCRootKind values first, then the handle variants. */
const ROOT_LABELS = [
  "stack",
  "finalizer queue",
  "handle",
  "older generation",
  "sized-ref handle",
  "mark overflow",
  "dependent handle",
  "finalizer queue",
  "work stealing",
  "background GC",
  "GC root",
  "pinned handle",
  "ref-counted handle",
] as const;
const LABEL_OTHER = 10;
const LABEL_PINNED = 11;
const LABEL_REFCOUNTED = 12;

function rootLabel(kind: number, flags: number): number {
  if (kind === GCRootKind.Handle) {
    if ((flags & GCRootFlag.Pinning) !== 0) return LABEL_PINNED;
    if ((flags & GCRootFlag.RefCounted) !== 0) return LABEL_REFCOUNTED;
  }
  return kind >= 0 && kind < LABEL_OTHER ? kind : LABEL_OTHER;
}

/** A node size that stands for one of 4 GiB or more (kept apart). */
const HUGE = 0xffffffff;

/** The graph as built where the stream was decoded: plain data and typed arrays, transferable to another thread. */
export interface DotnetGraphParts {
  nodeCount: number;
  /** Per node: an index into typeKeys (renamed by finishGraph); 16-bit while the type ids are few enough. */
  nodeType: Uint16Array | Uint32Array;
  /** 32-bit unless an object reached 4 GiB. */
  nodeSize: Uint32Array | Float64Array;
  edgeStart: Uint32Array;
  edgeTarget: Uint32Array;
  /** The edges (indices, ascending) that are ConditionalWeakTable values; finishGraph names all edges. */
  cwtEdges: Uint32Array;
  roots: Uint32Array;
  /** Per root: an index into rootLabels. */
  rootName: Int32Array;
  rootLabels: string[];
  /** Type ids as heapdump.ts keys them. */
  typeKeys: number[];
  /** References whose target was not an object of the walk (left out). */
  unresolved: number;
  /** Time build() took (ms): matching addresses (a second read of the stream) and laying out the arrays. */
  buildMs: number;
  /** How addresses were matched: by page (the walk's order allowed it) or through a hash table. */
  index: "page" | "hash";
}

export type GraphOutcome = { parts: DotnetGraphParts } | { error: string };

/** The typed-array buffers of a graph, for a postMessage transfer list. */
export function graphTransfer(o: GraphOutcome | undefined): ArrayBuffer[] {
  if (o === undefined || !("parts" in o)) return [];
  const p = o.parts;
  return [p.nodeType, p.nodeSize, p.edgeStart, p.edgeTarget, p.cwtEdges, p.roots, p.rootName].map((a) => a.buffer as ArrayBuffer);
}

/** Feeds the same stream again, from its start, to a handler: the second read (the references) of build(). */
export type Replay = (handler: NettraceHandler) => void;

/**
 * Which events belong to the first induced GC's heap walk: the same decisions on the same stream, so that the
 * second read picks exactly the reference events the first one counted.
 */
class WalkTracker {
  dumpGc: number | undefined;
  state: "waiting" | "in_gc" | "after" = "waiting";
  readonly series = { node: -1, edge: -1 };
  /** Why the references cannot be matched to their objects (a gap in a series), if so. */
  broken: string | undefined;

  /** Follows GCStart/GCEnd; true when the event was one of them. */
  gcEvent(eventId: number, payload: Buffer): boolean {
    if (eventId === RuntimeEvent.GCStart) {
      const gc = decodeGCStart(payload);
      if (this.dumpGc === undefined && isHeapDumpGc(gc)) {
        this.dumpGc = gc.count;
        this.state = "in_gc";
      }
      return true;
    }
    if (eventId === RuntimeEvent.GCEnd) {
      if (this.state === "in_gc" && decodeGCEnd(payload).count === this.dumpGc) this.state = "after";
      return true;
    }
    return false;
  }

  /** An event of the first walk's node or edge series, in order (a gap leaves the references unmatched). */
  accept(series: "node" | "edge", payload: Buffer): boolean {
    if (this.state === "waiting") return false;
    const index = bulkIndex(payload);
    const last = this.series[series];
    // Index 0 again: another walk (another session's dump at the same time), ignored.
    if (index === 0 && last >= 0) {
      this.series[series] = Number.POSITIVE_INFINITY;
      return false;
    }
    if (last === Number.POSITIVE_INFINITY) return false;
    if (index !== last + 1) this.broken ??= `GCBulk${series === "node" ? "Node" : "Edge"} event ${last + 1} missing`;
    this.series[series] = index;
    return true;
  }
}

/**
 * Collects the objects and roots of the first induced GC's heap walk, and counts its references; build() reads the
 * stream a second time to match the references to their objects. The references are not held while the stream is
 * decoded: they would be 8 bytes each (their target addresses) on top of the objects, at the dump's peak.
 */
export class DotnetGraphCollector implements NettraceHandler {
  private pointerSize = 8;
  private readonly walk = new WalkTracker();
  /** Addresses packed in 32 bits (AddressPacker) while the walk allows, else as doubles. */
  private addr: Column<Uint32Array> | Column<Float64Array> = new Column(Uint32Array);
  /** Undefined once the addresses are kept as doubles. */
  private packer: AddressPacker | undefined = new AddressPacker(8);
  /** Sizes as u32 (HUGE: a size of 4 GiB or more, kept in hugeSizes): 4 bytes per object rather than 8. */
  private readonly size = new Column(Uint32Array);
  private readonly hugeSizes = new Map<number, number>();
  /** Type indices in 16 bits until a 65 537th type id (then widened). */
  private type: Column<Uint16Array> | Column<Uint32Array> = new Column(Uint16Array);
  private readonly refs = new Column(Uint32Array);
  private edgesSeen = 0;
  private readonly rootAddr = new Column(Float64Array);
  private readonly rootLabel = new Column(Uint32Array);
  private readonly cwtKey = new Column(Float64Array);
  private readonly cwtValue = new Column(Float64Array);
  private readonly typeIndex = new Map<number, number>();
  private readonly typeKeys: number[] = [];
  private readonly labels: string[] = [...ROOT_LABELS];
  private readonly staticLabels = new Map<string, number>();
  private expectedRefs = 0;

  onTrace(info: TraceInfo): void {
    this.pointerSize = info.pointerSize;
    // The stream says its pointer size before any object.
    if (this.packer !== undefined && this.addr.length === 0) this.packer = new AddressPacker(info.pointerSize);
  }

  private pushAddress(a: number): void {
    if (this.packer !== undefined) {
      const p = this.packer.add(a);
      if (p >= 0) {
        this.addr.push(p);
        return;
      }
      this.widenAddresses();
    }
    this.addr.push(a);
  }

  /** The walk's objects cannot be packed (AddressPacker): the addresses so far as doubles, and doubles from now on. */
  private widenAddresses(): void {
    const packer = this.packer!;
    this.addr = this.addr.widen(Float64Array, (p) => packer.unpack(p));
    this.packer = undefined;
  }

  onDropped(count: number): void {
    this.walk.broken ??= `${count} event(s) lost`;
  }

  onEvent(meta: EventMetadata, _header: EventHeader, payload: Buffer): void {
    if (meta.provider !== RUNTIME_PROVIDER) return;
    const walk = this.walk;
    if (walk.gcEvent(meta.eventId, payload)) return;
    switch (meta.eventId) {
      case RuntimeEvent.GCBulkNode:
        if (walk.accept("node", payload)) this.onNodes(payload);
        return;
      case RuntimeEvent.GCBulkEdge:
        if (walk.accept("edge", payload)) this.edgesSeen += bulkEdgeCount(payload, this.pointerSize);
        return;
      case RuntimeEvent.GCBulkRootEdge:
        if (walk.state === "waiting") return;
        decodeBulkRootEdge(payload, this.pointerSize, (address, kind, flags) => {
          // A weak handle (WeakReference, weak GCHandle) does not keep its object alive.
          if ((flags & GCRootFlag.WeakRef) !== 0 || address === 0) return;
          this.rootAddr.push(address);
          this.rootLabel.push(rootLabel(kind, flags));
        });
        return;
      case RuntimeEvent.GCBulkRootConditionalWeakTableElementEdge:
        if (walk.state === "waiting") return;
        decodeBulkRootCwtEdge(payload, this.pointerSize, (key, value) => {
          if (key === 0 || value === 0) return;
          this.cwtKey.push(key);
          this.cwtValue.push(value);
        });
        return;
      case RuntimeEvent.GCBulkRootStaticVar:
        if (walk.state === "waiting") return;
        decodeBulkRootStaticVar(payload, (object, _lo, _hi, field) => {
          if (object === 0) return;
          const name = `static ${field}`;
          let label = this.staticLabels.get(name);
          if (label === undefined) {
            label = this.labels.length;
            this.labels.push(name);
            this.staticLabels.set(name, label);
          }
          this.rootAddr.push(object);
          this.rootLabel.push(label);
        });
        return;
    }
  }

  private onNodes(payload: Buffer): void {
    let lastLo = -1;
    let lastHi = -1;
    let t = 0;
    decodeBulkNodeFull(payload, this.pointerSize, (address, size, lo, hi, refs) => {
      if (lo !== lastLo || hi !== lastHi) {
        const key = typeKey(lo, hi) ?? -1;
        let i = this.typeIndex.get(key);
        if (i === undefined) {
          i = this.typeKeys.length;
          this.typeKeys.push(key);
          this.typeIndex.set(key, i);
          if (i === 0x10000) this.type = this.type.widen(Uint32Array);
        }
        t = i;
        lastLo = lo;
        lastHi = hi;
      }
      this.pushAddress(address);
      if (size >= HUGE) {
        this.hugeSizes.set(this.size.length, size);
        this.size.push(HUGE);
      } else this.size.push(size);
      this.type.push(t);
      this.refs.push(refs);
      this.expectedRefs += refs;
    });
  }

  /**
   * The graph, or why there is none (lost events: references that cannot be told apart). `replay` feeds the stream
   * again from its start, for the references. Call once; the collector's memory is given back.
   */
  build(replay: Replay): GraphOutcome {
    const walk = this.walk;
    if (walk.state === "waiting" || walk.series.node < 0) return this.done({ error: "no heap walk in the stream" });
    if (walk.broken === undefined && this.edgesSeen !== this.expectedRefs) {
      walk.broken = `${this.edgesSeen} references arrived, the objects declare ${this.expectedRefs}`;
    }
    if (walk.broken !== undefined) return this.done({ error: `the references are incomplete (${walk.broken})` });
    const started = performance.now();
    const n = this.addr.length;
    // At the peak: the objects' columns (14 bytes each), the address index, and the references as they are resolved
    // (4 bytes each); the addresses are given back before the arrays are laid out.
    let edges: ReturnType<DotnetGraphCollector["resolve"]>;
    try {
      edges = this.resolve(replay);
    } catch (err) {
      // The second read failed (the file, or a stream that differs): the columns' memory goes back now all the same.
      this.done({ error: "" });
      throw err;
    }
    if ("error" in edges) return this.done(edges);
    const nodeType = this.type.take();
    const small = this.size.take();
    // The 32-bit sizes are the graph's own unless an object reached 4 GiB (then widened, for that heap only).
    let nodeSize: Uint32Array | Float64Array = small;
    if (this.hugeSizes.size > 0) {
      nodeSize = new Float64Array(n);
      for (let i = 0; i < n; i++) nodeSize[i] = small[i] === HUGE ? (this.hugeSizes.get(i) ?? 0) : small[i]!;
    }
    return this.done({
      parts: {
        nodeCount: n,
        nodeType,
        nodeSize,
        ...edges,
        rootLabels: this.labels,
        typeKeys: this.typeKeys,
        buildMs: performance.now() - started,
      },
    });
  }

  private done(o: GraphOutcome): GraphOutcome {
    for (const c of [this.addr, this.size, this.type, this.refs, this.rootAddr, this.rootLabel, this.cwtKey, this.cwtValue]) c.release();
    return o;
  }

  /** The references and roots resolved from addresses to node indices. */
  private resolve(
    replay: Replay,
  ): Pick<DotnetGraphParts, "edgeStart" | "edgeTarget" | "cwtEdges" | "roots" | "rootName" | "unresolved" | "index"> | { error: string } {
    const n = this.addr.length;
    const addr = this.addr.view();
    const packer = this.packer;
    const index = addressIndex(addr, packer?.page);
    // An address looked up: packed first where the objects' are (one outside their windows is no object's).
    const table = new PackedIndex(index, packer);

    // ConditionalWeakTable values as extra references of their keys, grouped by key (counting sort).
    const cwtFrom: number[] = [];
    const cwtTo: number[] = [];
    {
      const keys = this.cwtKey.view();
      const values = this.cwtValue.view();
      for (let i = 0; i < keys.length; i++) {
        const k = table.find(keys[i]!);
        const v = table.find(values[i]!);
        if (k >= 0 && v >= 0) {
          cwtFrom.push(k);
          cwtTo.push(v);
        }
      }
    }
    const cwtStart = new Uint32Array(cwtFrom.length > 0 ? n + 1 : 0);
    const cwtTarget = new Uint32Array(cwtFrom.length);
    if (cwtFrom.length > 0) {
      for (const k of cwtFrom) cwtStart[k + 1]!++;
      for (let i = 0; i < n; i++) cwtStart[i + 1]! += cwtStart[i]!;
      const fill = cwtStart.slice(0, n);
      for (let j = 0; j < cwtFrom.length; j++) cwtTarget[fill[cwtFrom[j]!]!++] = cwtTo[j]!;
    }
    const cwtEdges: number[] = [];

    // The objects' reference counts become their edge starts in place (one more entry), written as the references
    // are resolved: a reference to no object of the walk is left out.
    const m = this.expectedRefs + cwtFrom.length;
    const refs = this.refs.view();
    this.refs.setLength(n + 1);
    const edgeStart = this.refs.view();
    let edgeTarget = new Uint32Array(m);
    let w = 0;
    let unresolved = 0;
    let node = 0;
    let left = n > 0 ? refs[0]! : 0;
    edgeStart[0] = 0;
    const endNode = (): void => {
      // The node's references are all read: its ConditionalWeakTable values follow them.
      if (cwtFrom.length > 0) {
        for (let j = cwtStart[node]!, e = cwtStart[node + 1]!; j < e; j++) {
          cwtEdges.push(w);
          edgeTarget[w++] = cwtTarget[j]!;
        }
      }
      node++;
      // refs[node] is read before edgeStart[node] (the same memory) is written.
      left = node < n ? refs[node]! : 0;
      edgeStart[node] = w;
    };
    while (node < n && left === 0) endNode();
    const again = new WalkTracker();
    const pointerSize = this.pointerSize;
    const onTarget = (a: number): void => {
      const t = table.find(a);
      if (t >= 0) edgeTarget[w++] = t;
      else unresolved++;
      left--;
      while (node < n && left === 0) endNode();
    };
    let seen = 0;
    replay({
      onEvent: (meta, _header, payload) => {
        if (meta.provider !== RUNTIME_PROVIDER || again.gcEvent(meta.eventId, payload)) return;
        if (meta.eventId !== RuntimeEvent.GCBulkEdge || !again.accept("edge", payload)) return;
        // More than the first read counted: not the same stream.
        if ((seen += bulkEdgeCount(payload, pointerSize)) > this.expectedRefs) return;
        decodeBulkEdge(payload, pointerSize, onTarget);
      },
    });
    if (seen !== this.expectedRefs) return { error: `the second read of the stream found ${seen} references, the first ${this.expectedRefs}` };
    while (node < n) endNode();
    // A few unmatched references leave a few unused entries at the end (not copied for that).
    if (w < m) edgeTarget = edgeTarget.subarray(0, w);

    const rootAddr = this.rootAddr.view();
    const rootLabels = this.rootLabel.view();
    const roots: number[] = [];
    const rootName: number[] = [];
    for (let i = 0; i < rootAddr.length; i++) {
      const v = table.find(rootAddr[i]!);
      if (v < 0) continue;
      roots.push(v);
      rootName.push(rootLabels[i]!);
    }
    // The addresses are done with: given back before the node arrays are copied out of their columns.
    this.addr.release();
    return {
      edgeStart: this.refs.take(),
      edgeTarget,
      cwtEdges: Uint32Array.from(cwtEdges),
      roots: Uint32Array.from(roots),
      rootName: Int32Array.from(rootName),
      unresolved,
      index: index instanceof PageIndex ? "page" : "hash",
    };
  }
}

/** Windows of address space a packed address can name (9 bits). */
const PACK_WINDOWS = 512;
/** Pointer-size units per window (23 bits): 64 MiB windows of a 64-bit process. */
const PACK_UNITS = 2 ** 23;
/** Windows found by a direct table (those of the first 2^48 bytes on a 64-bit process), the rest in a Map. */
const NEAR_WINDOWS = 2 ** 22;

/**
 * Object addresses in 32 bits rather than a double's 64: the number of the address's window (of 2^23 pointer-size
 * units, 64 MiB on a 64-bit process) among the windows the walk's objects lie in, and the offset in the window in
 * pointer-size units (objects are aligned to a pointer). Order within a window and its pages is kept, so PageIndex
 * still applies (a 4 KiB page is 4096 / pointer size units). A heap whose objects span more than 512 such windows
 * (32 GiB of address space in 64 MiB pieces), or an object not so aligned, cannot be packed: the addresses are then
 * kept as doubles (the collector widens). 4 bytes per object less at the dump's peak.
 */
export class AddressPacker {
  /** Window number → id + 1 (0: none), for windows below 2^48 bytes; untouched pages cost nothing. */
  private readonly near = new Uint16Array(NEAR_WINDOWS);
  private readonly ids = new Map<number, number>();
  /** Per window id: the window's first address. */
  readonly bases: number[] = [];
  private readonly span: number;

  private readonly shift: number;
  private readonly misalign: number;

  /** unit: the pointer size, 4 or 8. */
  constructor(readonly unit: number) {
    this.span = unit * PACK_UNITS;
    this.shift = Math.log2(unit);
    this.misalign = unit - 1;
  }

  /** Units of a packed address per 4 KiB page. */
  get page(): number {
    return PAGE / this.unit;
  }

  /** An object's address packed, its window added when new; -1 when it cannot be packed. */
  add(a: number): number {
    const w = Math.floor(a / this.span);
    let id = this.idOf(w);
    if (id < 0) {
      if (this.bases.length === PACK_WINDOWS) return -1;
      id = this.bases.length;
      if (w < NEAR_WINDOWS) this.near[w] = id + 1;
      else this.ids.set(w, id);
      this.bases.push(w * this.span);
    }
    // Under 2^26: small integers, so the bit operations are exact (and fast where % on a double is not).
    const off = a - w * this.span;
    return (off & this.misalign) === 0 ? id * PACK_UNITS + (off >>> this.shift) : -1;
  }

  /** An address packed if it lies in a window of the walk's objects, aligned; else -1 (no object is there). */
  find(a: number): number {
    const w = Math.floor(a / this.span);
    const id = this.idOf(w);
    if (id < 0) return -1;
    const off = a - w * this.span;
    return (off & this.misalign) === 0 ? id * PACK_UNITS + (off >>> this.shift) : -1;
  }

  private idOf(w: number): number {
    if (w < NEAR_WINDOWS) return this.near[w]! - 1;
    return this.ids.get(w) ?? -1;
  }

  /** The address a packed value stands for. */
  unpack(p: number): number {
    return this.bases[Math.floor(p / PACK_UNITS)]! + (p % PACK_UNITS) * this.unit;
  }
}

/** Finds the node at an address (-1: none). */
export interface AddressIndex {
  find(a: number): number;
}

/** An index of packed addresses, looked up by real ones. */
class PackedIndex implements AddressIndex {
  constructor(
    private readonly index: AddressIndex,
    private readonly packer: AddressPacker | undefined,
  ) {}

  find(a: number): number {
    if (this.packer === undefined) return this.index.find(a);
    const p = this.packer.find(a);
    return p < 0 ? -1 : this.index.find(p);
  }
}

/** Addresses as the index reads them: real ones, or packed in 32 bits (AddressPacker). */
export type Addresses = Float64Array | Uint32Array;

/**
 * The cheapest index the walk's order allows: by page where it can (PageIndex), else a hash table. page: the units
 * of `addr` in one 4 KiB page (4096 for real addresses; fewer for packed ones).
 */
export function addressIndex(addr: Addresses, page = PAGE): AddressIndex {
  return PageIndex.build(addr, page) ?? new AddressTable(addr);
}

/** Bytes of address space per PageIndex page: at most ~170 objects (of ≥ 24 bytes) to search in one. */
const PAGE = 4096;

/**
 * Object address → node index where the walk logged the objects of each 4 KiB page of address space in one run,
 * in ascending order (the GC walks its heap a region at a time, from start to end): a table of page → run of nodes
 * (a few bytes per page), then a search within the run from where the address falls between the run's first and
 * last. Nothing per object, and lookups of nearby addresses (an array's elements, allocated together) stay in the
 * same few cache lines, where a hash table misses the cache on each (measured: 3-4× faster on such a heap).
 */
export class PageIndex {
  private lastPage = -1;
  private lastStart = 0;
  private lastEnd = 0;
  private lastHit = -1;

  private constructor(
    private readonly addr: Addresses,
    private readonly keys: Float64Array,
    private readonly starts: Uint32Array,
    private readonly ends: Uint32Array,
    private readonly mask: number,
    private readonly pageSize: number,
  ) {}

  /** Undefined when the walk's order does not allow it (a page's objects out of order or not in one run). */
  static build(addr: Addresses, pageSize = PAGE): PageIndex | undefined {
    const runStart: number[] = [];
    let page = -1;
    for (let i = 0; i < addr.length; i++) {
      const p = Math.floor(addr[i]! / pageSize);
      if (p !== page) {
        runStart.push(i);
        page = p;
      } else if (addr[i]! <= addr[i - 1]!) return undefined;
    }
    let cap = 16;
    while (cap < runStart.length * 2) cap *= 2;
    const keys = new Float64Array(cap).fill(-1);
    const starts = new Uint32Array(cap);
    const ends = new Uint32Array(cap);
    const mask = cap - 1;
    for (let r = 0; r < runStart.length; r++) {
      const start = runStart[r]!;
      const p = Math.floor(addr[start]! / pageSize);
      let h = hash(p) & mask;
      while (keys[h] !== -1) {
        if (keys[h] === p) return undefined;
        h = (h + 1) & mask;
      }
      keys[h] = p;
      starts[h] = start;
      ends[h] = r + 1 < runStart.length ? runStart[r + 1]! : addr.length;
    }
    return new PageIndex(addr, keys, starts, ends, mask, pageSize);
  }

  find(a: number): number {
    const p = Math.floor(a / this.pageSize);
    if (p !== this.lastPage) {
      let h = hash(p) & this.mask;
      for (;;) {
        const k = this.keys[h]!;
        if (k === p) break;
        if (k === -1) return -1;
        h = (h + 1) & this.mask;
      }
      this.lastPage = p;
      this.lastStart = this.starts[h]!;
      this.lastEnd = this.ends[h]!;
    }
    const addr = this.addr;
    const s = this.lastStart;
    const e = this.lastEnd - 1;
    // The object after the last one found: the next element of an array of objects allocated in a row.
    const next = this.lastHit + 1;
    if (next >= s && next <= e && addr[next] === a) return (this.lastHit = next);
    const first = addr[s]!;
    const last = addr[e]!;
    if (a < first || a > last) return -1;
    let i = e > s ? s + Math.floor(((a - first) / (last - first)) * (e - s)) : s;
    while (addr[i]! < a) i++;
    while (addr[i]! > a) i--;
    return addr[i] === a ? (this.lastHit = i) : -1;
  }
}

/**
 * Object address → node index: open addressing over a u32 table of node index + 1 (0: empty), the addresses
 * themselves read from the node array, so the table costs 4 bytes per slot at ≤ 50 % load. The first node at an
 * address wins (a walk logs each object once).
 */
export class AddressTable implements AddressIndex {
  private readonly slots: Uint32Array;
  private readonly mask: number;

  constructor(private readonly addr: Addresses) {
    let cap = 16;
    while (cap < addr.length * 2) cap *= 2;
    this.slots = new Uint32Array(cap);
    this.mask = cap - 1;
    for (let i = 0; i < addr.length; i++) {
      const a = addr[i]!;
      let h = hash(a) & this.mask;
      for (;;) {
        const s = this.slots[h]!;
        if (s === 0) {
          this.slots[h] = i + 1;
          break;
        }
        if (addr[s - 1] === a) break;
        h = (h + 1) & this.mask;
      }
    }
  }

  /** The node at this address, or -1. */
  find(a: number): number {
    let h = hash(a) & this.mask;
    for (;;) {
      const s = this.slots[h]!;
      if (s === 0) return -1;
      if (this.addr[s - 1] === a) return s - 1;
      h = (h + 1) & this.mask;
    }
  }
}

// The address's IEEE-754 bits, through a scratch view: splitting the double arithmetically (% 2^32, / 2^32) leaves
// V8's integer fast path and costs several times more (measured: 190 ns a hash against ~15).
const scratch = new Float64Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** Mixes an address (exact in a double) into 32 bits. */
function hash(a: number): number {
  scratch[0] = a;
  let h = Math.imul(scratchBits[0]! ^ Math.imul(scratchBits[1]!, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Names a static field by its declaring type where the target's assemblies (all it has mapped) say which type
 * declares a static field of that name (one type only): `Owners` → `Leakwatch.Retention.Program.Owners`. Undefined
 * otherwise.
 */
export function staticFieldNamer(assemblies: Iterable<AssemblyTypes>): (field: string) => string | undefined {
  return (field) => {
    const found = new Set<string>();
    for (const types of assemblies) {
      for (const row of types.staticFieldOwners(field)) {
        const name = fullTypeDefName(types, row);
        if (name !== undefined) found.add(name);
      }
    }
    return found.size === 1 ? `${[...found][0]!}.${field}` : undefined;
  };
}

/**
 * A heap graph from its parts and the types' names (as the summary names them: heapdump.ts namer()); `staticName`
 * spells a static field's full name where it is known (staticFieldNamer). Takes the parts.
 */
export function finishGraph(
  p: DotnetGraphParts,
  nameOf: (typeKey: number) => string,
  staticName?: (field: string) => string | undefined,
  types?: TypeResolver,
): HeapGraph {
  // Types: keys with the same name (a type loaded twice) become one type, as in the summary.
  const typeNames: string[] = [];
  const byName = new Map<string, number>();
  const remap = new Uint32Array(p.typeKeys.length);
  p.typeKeys.forEach((key, i) => {
    const name = nameOf(key);
    let t = byName.get(name);
    if (t === undefined) {
      t = typeNames.length;
      typeNames.push(name);
      byName.set(name, t);
    }
    remap[i] = t;
  });
  // Remapped in place where the width allows (16 bits when the types are few enough: 2 bytes an object less).
  const nodeType = typeNames.length <= 0x10000 && !(p.nodeType instanceof Uint16Array) ? new Uint16Array(p.nodeCount) : p.nodeType;
  for (let i = 0; i < p.nodeCount; i++) nodeType[i] = remap[p.nodeType[i]!]!;

  // Names: the roots' labels, then `[]`, the ConditionalWeakTable value, then `(T)` for each type T, then the fields'
  // names (fieldTable). The runtime logs no field names, so an edge's name follows from the types at its ends:
  // derived when a path is drawn, not stored.
  const names: string[] = p.rootLabels.map((l, i) =>
    i >= ROOT_LABELS.length && l.startsWith("static ") ? `static ${staticName?.(l.slice(7)) ?? l.slice(7)}` : l,
  );
  const element = names.length;
  names.push("[]");
  const cwt = names.length;
  names.push("(ConditionalWeakTable value)");
  const field = names.length;
  for (const t of typeNames) names.push(`(${t})`);
  // SOS spells arrays with a rank suffix: `System.String[]`, `System.Int32[,]`.
  const elementTypes = Uint8Array.from(typeNames, (t) => (/\[,*\]$/.test(t) ? 1 : 0));
  const { edgeStart, edgeTarget, cwtEdges } = p;
  const fields = types === undefined ? undefined : fieldTable(typeNames, names, types);
  const edgeName: EdgeNamesByType = { elementTypes, element, field, special: cwtEdges, specialName: cwt, ...(fields ? { fields } : {}) };
  return {
    nodeCount: p.nodeCount,
    nodeType,
    nodeSize: p.nodeSize,
    edgeStart,
    edgeTarget,
    edgeName,
    roots: p.roots,
    rootName: p.rootName,
    typeNames,
    names,
  };
}

/** Most field entries kept for one graph (a few per type on the heap). */
const MAX_FIELD_ENTRIES = 1_000_000;
/** Types on the heap whose base classes and interfaces are looked up (beyond: a field matches its exact type only). */
const MAX_SUPERTYPE_LOOKUPS = 20_000;
/** A field that more types on the heap than this could be held in is taken as able to hold anything. */
const MAX_HOLDERS = 256;

/**
 * EdgeNamesByType.fields: per type on the heap, the reference fields that can hold a type on the heap — declared with
 * that type, a base class or an interface of it, or object (able to hold anything: ANY_FIELD_TYPE) — their names
 * appended to `names`. A reference is named by its field only where exactly one of its source's fields could hold it.
 */
function fieldTable(typeNames: readonly string[], names: string[], types: TypeResolver): NonNullable<EdgeNamesByType["fields"]> {
  // The heap types a field declared as D can hold: D itself, and those with D among their base classes or interfaces.
  const holders = new Map<string, number[]>();
  for (let t = 0; t < typeNames.length; t++) {
    const own = typeNames[t]!;
    for (const d of t < MAX_SUPERTYPE_LOOKUPS ? [own, ...types.supertypes(own)] : [own]) {
      const list = holders.get(d);
      if (list === undefined) holders.set(d, [t]);
      else list.push(t);
    }
  }
  const start = new Uint32Array(typeNames.length + 1);
  const type: number[] = [];
  const name: number[] = [];
  const nameIndex = new Map<string, number>();
  for (let t = 0; t < typeNames.length; t++) {
    start[t] = type.length;
    if (type.length >= MAX_FIELD_ENTRIES) continue;
    for (const f of types.fields(typeNames[t]!) ?? []) {
      const held = f.type === "System.Object" ? undefined : holders.get(f.type);
      if (held === undefined && f.type !== "System.Object") continue;
      let n = nameIndex.get(f.name);
      if (n === undefined) {
        n = names.length;
        names.push(f.name);
        nameIndex.set(f.name, n);
      }
      for (const h of held === undefined || held.length > MAX_HOLDERS ? [ANY_FIELD_TYPE] : held) {
        type.push(h);
        name.push(n);
      }
    }
  }
  start[typeNames.length] = type.length;
  return { start, type: Uint32Array.from(type), name: Uint32Array.from(name) };
}
