// Payloads of the runtime events leakwatch reads (Microsoft-Windows-DotNETRuntime, from the runtime's event
// manifest ClrEtwAll.man; the runtime's EventPipe metadata for these carries no field descriptions, so the
// layouts are fixed here), and the self-described EventCounters payloads of EventSources such as System.Runtime.
// Every decoder is bounds-checked through Reader and throws ParseError on a short or inconsistent payload.
import { type FieldDef, Reader, TypeCode } from "./nettrace.js";

export const RUNTIME_PROVIDER = "Microsoft-Windows-DotNETRuntime";
export const SAMPLE_PROFILER_PROVIDER = "Microsoft-DotNETCore-SampleProfiler";

export const RuntimeEvent = {
  GCStart: 1,
  GCEnd: 2,
  GCHeapStats: 4,
  BulkType: 15,
  GCBulkRootEdge: 16,
  GCBulkRootConditionalWeakTableElementEdge: 17,
  GCBulkNode: 18,
  GCBulkEdge: 19,
  GCBulkRootStaticVar: 38,
} as const;

/** GCBulkRootEdge GCRootKind values (ClrEtwAll.man GCRootKindMap). */
export const GCRootKind = { Stack: 0, Finalizer: 1, Handle: 2, Older: 3, SizedRef: 4, Overflow: 5, DependentHandle: 6, NewFQ: 7, Steal: 8, BGC: 9 } as const;
/** GCBulkRootEdge GCRootFlag bits (GCRootFlagsMap): a WeakRef root does not keep its object alive. */
export const GCRootFlag = { Pinning: 0x1, WeakRef: 0x2, Interior: 0x4, RefCounted: 0x8 } as const;

/** Runtime keywords. */
export const Keywords = {
  GC: 0x1n,
  Type: 0x80000n,
  GCHeapDump: 0x100000n,
  /** Asks the runtime to induce a full blocking GC when the session starts (ManagedHeapCollect). */
  GCHeapCollect: 0x800000n,
  GCHeapAndTypeNames: 0x1000000n,
} as const;

/** What dotnet-gcdump enables (TraceEvent's ClrTraceEventParser.Keywords.GCHeapSnapshot): 0x1980001. */
export const GC_HEAP_SNAPSHOT_KEYWORDS = Keywords.GC | Keywords.GCHeapCollect | Keywords.GCHeapDump | Keywords.GCHeapAndTypeNames | Keywords.Type;

/** GCStart Reason and Type values. */
export const GCReason = { Induced: 1 } as const;
export const GCType = { NonConcurrentGC: 0, BackgroundGC: 1, ForegroundGC: 2 } as const;

export interface GCStart {
  count: number;
  depth: number;
  reason: number;
  type: number;
}

/** GCStart (V1/V2): Count u32, Depth u32, Reason u32, Type u32, ClrInstanceID u16[, ClientSequenceNumber u64]. */
/** The GC a heap dump session induces (full, blocking, induced): the one whose heap walk is the dump. */
export function isHeapDumpGc(gc: GCStart): boolean {
  return gc.depth >= 2 && gc.type === GCType.NonConcurrentGC && gc.reason === GCReason.Induced;
}

export function decodeGCStart(p: Buffer, base = 0): GCStart {
  const r = new Reader(p, 0, base);
  const count = r.u32();
  const depth = r.u32();
  const reason = r.u32();
  // Version 0 has no Type field: a blocking GC.
  const type = r.remaining() >= 4 ? r.u32() : GCType.NonConcurrentGC;
  return { count, depth, reason, type };
}

/** GCEnd (V1): Count u32, Depth u32, ClrInstanceID u16. */
export function decodeGCEnd(p: Buffer, base = 0): { count: number; depth: number } {
  const r = new Reader(p, 0, base);
  return { count: r.u32(), depth: r.u32() };
}

export interface BulkTypeValue {
  typeId: bigint;
  moduleId: bigint;
  typeNameId: number;
  flags: number;
  corElementType: number;
  name: string;
  typeParameters: bigint[];
}

/** Most type parameters read per type (generic arity): more means garbage. */
const MAX_TYPE_PARAMETERS = 4096;

/**
 * BulkType (V0): Count u32, ClrInstanceID u16, then Count × { TypeID u64, ModuleID u64, TypeNameID u32,
 * Flags u32, CorElementType u8, Name (NUL-terminated UTF-16), TypeParameterCount u32, TypeParameters u64[] }.
 * Calls `each` per type (no array of all types is built).
 */
export function decodeBulkType(p: Buffer, each: (v: BulkTypeValue) => void, base = 0): number {
  const r = new Reader(p, 0, base);
  const count = r.u32();
  r.u16();
  // Every value takes at least 8+8+4+4+1+2+4 = 31 bytes.
  if (count > r.remaining() / 31) r.fail(`BulkType with ${count} values in ${p.length} bytes`);
  for (let i = 0; i < count; i++) {
    const typeId = r.u64();
    const moduleId = r.u64();
    const typeNameId = r.u32();
    const flags = r.u32();
    const corElementType = r.u8();
    const name = r.utf16z();
    const n = r.u32();
    if (n > MAX_TYPE_PARAMETERS || n * 8 > r.remaining()) r.fail(`BulkType value with ${n} type parameters`);
    const typeParameters: bigint[] = [];
    for (let k = 0; k < n; k++) typeParameters.push(r.u64());
    each({ typeId, moduleId, typeNameId, flags, corElementType, name, typeParameters });
  }
  return count;
}

export interface BulkNodeHeader {
  index: number;
  count: number;
}

/** The Index of a GCBulkNode or GCBulkEdge event (its first field; -1 when the payload is too short). */
export function bulkIndex(p: Buffer): number {
  return p.length >= 4 ? p.readUInt32LE(0) : -1;
}

/** Size of one GCBulkNode value: Address (pointer), Size u64, TypeID u64, EdgeCount u64. */
export function bulkNodeValueSize(pointerSize: number): number {
  return pointerSize + 24;
}

/**
 * GCBulkNode (V0): Index u32, Count u32, ClrInstanceID u16, then Count × { Address ptr, Size u64, TypeID u64,
 * EdgeCount u64 }. Calls `each(size, typeIdLo, typeIdHi)` per object with the 64-bit type id split in two 32-bit
 * halves (no BigInt per object: a heap has millions).
 */
export function decodeBulkNode(p: Buffer, pointerSize: number, each: (size: number, typeIdLo: number, typeIdHi: number) => void, base = 0): BulkNodeHeader {
  const r = new Reader(p, 0, base);
  const index = r.u32();
  const count = r.u32();
  r.u16();
  const valueSize = bulkNodeValueSize(pointerSize);
  if (count !== (p.length - 10) / valueSize) r.fail(`GCBulkNode declares ${count} objects in ${p.length - 10} bytes`);
  const dv = view(p);
  let off = 10 + pointerSize;
  for (let i = 0; i < count; i++, off += valueSize) {
    const sizeLo = dv.getUint32(off, true);
    const sizeHi = dv.getUint32(off + 4, true);
    // An object of 2^40 bytes or more is garbage (and would lose precision in sums).
    if (sizeHi >= 0x100) r.fail(`object of ${sizeHi * 2 ** 32 + sizeLo} bytes`);
    each(sizeHi * 0x100000000 + sizeLo, dv.getUint32(off + 8, true), dv.getUint32(off + 12, true));
  }
  return { index, count };
}

/** Reads a pointer-sized value as a number (exact below 2^53: user-space addresses are below 2^48). */
function ptrAt(dv: DataView, off: number, pointerSize: number): number {
  return pointerSize === 8 ? dv.getUint32(off + 4, true) * 0x100000000 + dv.getUint32(off, true) : dv.getUint32(off, true);
}

/**
 * The payload as a DataView, for the per-object loops: its reads are inlined by the compiler, where Buffer's
 * readUInt32LE checks its argument on each call (measured: about half the decoding time of a 10 M-object walk).
 */
function view(p: Buffer): DataView {
  return new DataView(p.buffer, p.byteOffset, p.byteLength);
}

/** Checks a bulk event's Count against its size: Count values of valueSize bytes after a header of `header` bytes. */
function bulkCount(r: Reader, p: Buffer, header: number, valueSize: number, what: string): number {
  r.skip(4);
  const count = r.u32();
  if (count !== (p.length - header) / valueSize) r.fail(`${what} declares ${count} values in ${p.length - header} bytes`);
  return count;
}

/** How many references a GCBulkEdge event holds, checked against its size (ParseError when they disagree). */
export function bulkEdgeCount(p: Buffer, pointerSize: number, base = 0): number {
  return bulkCount(new Reader(p, 0, base), p, 10, pointerSize + 4, "GCBulkEdge");
}

/**
 * GCBulkEdge (V0): Index u32, Count u32, ClrInstanceID u16, then Count × { Value ptr, ReferencingFieldID u32 }. The
 * references of the walk's objects in walk order: each GCBulkNode value's EdgeCount says how many of them are its
 * own. ReferencingFieldID is always 0 (the runtime does not name fields). Calls `each(target)` per reference.
 */
export function decodeBulkEdge(p: Buffer, pointerSize: number, each: (target: number) => void, base = 0): number {
  const r = new Reader(p, 0, base);
  const size = pointerSize + 4;
  const count = bulkCount(r, p, 10, size, "GCBulkEdge");
  const dv = view(p);
  for (let i = 0, off = 10; i < count; i++, off += size) each(ptrAt(dv, off, pointerSize));
  return count;
}

/**
 * GCBulkNode values as the graph needs them: `each(address, size, typeIdLo, typeIdHi, edgeCount)` per object (layout
 * in decodeBulkNode).
 */
export function decodeBulkNodeFull(
  p: Buffer,
  pointerSize: number,
  each: (address: number, size: number, typeIdLo: number, typeIdHi: number, edgeCount: number) => void,
  base = 0,
): number {
  const r = new Reader(p, 0, base);
  const valueSize = bulkNodeValueSize(pointerSize);
  const count = bulkCount(r, p, 10, valueSize, "GCBulkNode");
  const dv = view(p);
  for (let i = 0, off = 10; i < count; i++, off += valueSize) {
    const s = off + pointerSize;
    const sizeHi = dv.getUint32(s + 4, true);
    if (sizeHi >= 0x100) r.fail(`object of ${sizeHi * 2 ** 32 + dv.getUint32(s, true)} bytes`);
    // 2^32 references or more from one object is garbage (its array would be 32 GiB).
    if (dv.getUint32(s + 20, true) !== 0) r.fail("object with 2^32 or more references");
    each(
      ptrAt(dv, off, pointerSize),
      sizeHi * 0x100000000 + dv.getUint32(s, true),
      dv.getUint32(s + 8, true),
      dv.getUint32(s + 12, true),
      dv.getUint32(s + 16, true),
    );
  }
  return count;
}

/**
 * GCBulkRootEdge (V0): Index u32, Count u32, ClrInstanceID u16, then Count × { RootedNodeAddress ptr, GCRootKind u8,
 * GCRootFlag u32, GCRootID ptr }. Calls `each(address, kind, flags)` per root.
 */
export function decodeBulkRootEdge(p: Buffer, pointerSize: number, each: (address: number, kind: number, flags: number) => void, base = 0): number {
  const r = new Reader(p, 0, base);
  const size = 2 * pointerSize + 5;
  const count = bulkCount(r, p, 10, size, "GCBulkRootEdge");
  const dv = view(p);
  for (let i = 0, off = 10; i < count; i++, off += size)
    each(ptrAt(dv, off, pointerSize), dv.getUint8(off + pointerSize), dv.getUint32(off + pointerSize + 1, true));
  return count;
}

/**
 * GCBulkRootConditionalWeakTableElementEdge (V0): Index u32, Count u32, ClrInstanceID u16, then Count × { GCKeyNodeID
 * ptr, GCValueNodeID ptr, GCRootID ptr }: a ConditionalWeakTable's value lives as long as its key (a reference from
 * key to value, not a root). Calls `each(key, value)`.
 */
export function decodeBulkRootCwtEdge(p: Buffer, pointerSize: number, each: (key: number, value: number) => void, base = 0): number {
  const r = new Reader(p, 0, base);
  const size = 3 * pointerSize;
  const count = bulkCount(r, p, 10, size, "GCBulkRootConditionalWeakTableElementEdge");
  const dv = view(p);
  for (let i = 0, off = 10; i < count; i++, off += size) each(ptrAt(dv, off, pointerSize), ptrAt(dv, off + pointerSize, pointerSize));
  return count;
}

/**
 * GCBulkRootStaticVar (V0): Count u32, AppDomainID u64, ClrInstanceID u16, then Count × { GCRootID u64, ObjectID u64,
 * TypeID u64, Flags u32, FieldName (NUL-terminated UTF-16) }: a static field (of type TypeID) holding ObjectID.
 * Calls `each(object, typeIdLo, typeIdHi, field)`.
 */
export function decodeBulkRootStaticVar(p: Buffer, each: (object: number, typeIdLo: number, typeIdHi: number, field: string) => void, base = 0): number {
  const r = new Reader(p, 0, base);
  const count = r.u32();
  r.skip(10);
  // Every value takes at least 8+8+8+4+2 = 30 bytes.
  if (count > r.remaining() / 30) r.fail(`GCBulkRootStaticVar with ${count} values in ${p.length} bytes`);
  for (let i = 0; i < count; i++) {
    r.skip(8);
    const objLo = r.u32();
    const objHi = r.u32();
    const typeLo = r.u32();
    const typeHi = r.u32();
    r.skip(4);
    const field = r.utf16z();
    each(objHi * 0x100000000 + objLo, typeLo, typeHi, field);
  }
  return count;
}

// ---------------------------------------------------------------------------------------------------------------
// Self-described payloads (EventSource events such as EventCounters)

export type FieldValue = number | bigint | string | boolean | FieldValue[] | { [name: string]: FieldValue };

/** Most array elements decoded in a self-described payload. */
const MAX_ARRAY = 65_536;

/** Decodes a payload described by its metadata fields into a plain object. */
export function decodeFields(p: Buffer, fields: readonly FieldDef[], base = 0): Record<string, FieldValue> {
  const r = new Reader(p, 0, base);
  return readObject(r, fields, 0);
}

function readObject(r: Reader, fields: readonly FieldDef[], depth: number): Record<string, FieldValue> {
  if (depth > 8) r.fail("payload nested too deeply");
  const out: Record<string, FieldValue> = {};
  for (const f of fields) out[f.name] = readValue(r, f, depth);
  return out;
}

function readValue(r: Reader, f: FieldDef, depth: number): FieldValue {
  switch (f.typeCode) {
    case TypeCode.Object:
      return readObject(r, f.fields ?? [], depth + 1);
    case TypeCode.Boolean:
      return r.u32() !== 0;
    case TypeCode.Char:
      return String.fromCharCode(r.u16());
    case TypeCode.SByte:
      return (r.u8() << 24) >> 24;
    case TypeCode.Byte:
      return r.u8();
    case TypeCode.Int16:
      return (r.u16() << 16) >> 16;
    case TypeCode.UInt16:
      return r.u16();
    case TypeCode.Int32:
      return r.i32();
    case TypeCode.UInt32:
      return r.u32();
    case TypeCode.Int64:
      return r.i64();
    case TypeCode.UInt64:
      return r.u64();
    case TypeCode.Single:
      return r.f32();
    case TypeCode.Double:
      return r.f64();
    case TypeCode.Decimal:
      r.skip(16);
      return Number.NaN;
    case TypeCode.DateTime:
      return r.i64();
    case TypeCode.Guid:
      r.skip(16);
      return "";
    case TypeCode.String:
      return r.utf16z();
    case TypeCode.Array: {
      const n = r.u16();
      if (n > MAX_ARRAY || n > r.remaining()) r.fail(`array of ${n} elements`);
      const out: FieldValue[] = [];
      for (let i = 0; i < n; i++) out.push(readValue(r, f.element ?? { name: "", typeCode: TypeCode.Byte }, depth + 1));
      return out;
    }
    default:
      r.fail(`field ${JSON.stringify(f.name)} has unknown type code ${f.typeCode}`);
  }
}
