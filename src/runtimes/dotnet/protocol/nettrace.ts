// A streaming decoder of the nettrace format (EventPipe), version 4/5: what the .NET runtime writes to a
// diagnostic IPC stream after CollectTracing with format=1. Reference: microsoft/perfview
// src/TraceEvent/EventPipe/NetTraceFormat_v5.md.
//
//   "Nettrace" | int32 20 "!FastSerialization.1" | objects… | NullReference tag (end of stream)
//   object = BeginPrivateObject(5) type payload EndObject(6)
//   type   = BeginPrivateObject(5) NullReference(1) int32 version int32 minReaderVersion int32 len name EndObject(6)
//   Trace payload: SyncTimeUTC (8 × int16), SyncTimeQPC int64, QPCFrequency int64, PointerSize int32, ProcessId
//                  int32, NumberOfProcessors int32, ExpectedCPUSamplingRate int32
//   EventBlock / MetadataBlock / StackBlock / SPBlock payload: int32 blockSize, zero padding to a 4-byte stream
//                  offset, blockSize bytes
//
// The decoder is push-based: feed it chunks as they arrive (push), then end(). It keeps at most one block in
// memory (blocks are capped at MAX_BLOCK_SIZE), validates every length against what is left, and throws
// ParseError("nettrace") for anything malformed. Events are handed to the handler as they are decoded; their
// payload is a view into the block, valid only during the call.
import { ParseError } from "../../../model/parse-error.js";

/** Largest block accepted. The runtime writes blocks of ≤ 100 KiB (its buffers are 1 MiB at most). */
export const MAX_BLOCK_SIZE = 16 * 1024 * 1024;
/** Longest UTF-16 string decoded from metadata or payloads, in code units (longer ones are cut). */
export const MAX_STRING_UNITS = 4096;
/** Most metadata definitions kept (event types in one session): a few hundred in practice. */
export const MAX_METADATA = 65_536;
/**
 * Most capture threads tracked for sequence numbers. V5 never says a thread is gone, so a long session with
 * thread churn would grow without bound: past this many, the table is cleared (losing gap detection for one event
 * per thread) rather than failing a days-long counters session.
 */
export const MAX_THREADS = 65_536;
/** Fields per metadata definition (nested objects included) and nesting depth. */
const MAX_FIELDS = 1024;
const MAX_DEPTH = 8;

const MAGIC = Buffer.from("Nettrace", "latin1");
const SERIALIZATION = "!FastSerialization.1";

const TAG_NULL = 1;
const TAG_BEGIN_PRIVATE_OBJECT = 5;
const TAG_END_OBJECT = 6;

/** System.TypeCode values used by EventPipe metadata (plus 19 = array in V2 params). */
export const TypeCode = {
  Object: 1,
  Boolean: 3,
  Char: 4,
  SByte: 5,
  Byte: 6,
  Int16: 7,
  UInt16: 8,
  Int32: 9,
  UInt32: 10,
  Int64: 11,
  UInt64: 12,
  Single: 13,
  Double: 14,
  Decimal: 15,
  DateTime: 16,
  Guid: 17,
  String: 18,
  Array: 19,
} as const;

export interface FieldDef {
  name: string;
  typeCode: number;
  /** For Object: the nested fields. */
  fields?: FieldDef[];
  /** For Array: the element type. */
  element?: FieldDef;
}

export interface EventMetadata {
  metadataId: number;
  provider: string;
  eventId: number;
  eventName: string;
  keywords: bigint;
  version: number;
  level: number;
  opcode?: number;
  fields: FieldDef[];
}

export interface EventHeader {
  metadataId: number;
  sequenceNumber: number;
  captureThreadId: bigint;
  threadId: bigint;
  processorNumber: number;
  stackId: number;
  timestamp: bigint;
  isSorted: boolean;
  payloadSize: number;
}

export interface TraceInfo {
  syncTimeUtc: Date;
  syncTimeQpc: bigint;
  qpcFrequency: bigint;
  pointerSize: number;
  processId: number;
  numberOfProcessors: number;
}

export interface NettraceHandler {
  onTrace?(info: TraceInfo): void;
  onMetadata?(meta: EventMetadata): void;
  /** An event of a known metadata id. `payload` is only valid during the call. */
  onEvent?(meta: EventMetadata, header: EventHeader, payload: Buffer): void;
  /** Events lost, found from a sequence-number gap in a thread's events or at a sequence point. */
  onDropped?(count: number, captureThreadId: bigint): void;
}

export interface NettraceStats {
  bytes: number;
  blocks: number;
  events: number;
  metadata: number;
  droppedEvents: number;
  /** True once the end-of-stream tag was read. */
  complete: boolean;
}

type State =
  | { kind: "magic" }
  | { kind: "object" } // expecting BeginPrivateObject or NullReference (end)
  | { kind: "type" }
  | { kind: "payload"; typeName: string; version: number }
  | { kind: "block"; typeName: string; size: number; padding: number }
  | { kind: "endObject"; typeName: string }
  | { kind: "done" };

const BLOCK_TYPES = new Set(["EventBlock", "MetadataBlock", "StackBlock", "SPBlock"]);

export class NettraceDecoder {
  private chunks: Buffer[] = [];
  private queued = 0;
  /** Stream offset of the first queued byte. */
  private offset = 0;
  private state: State = { kind: "magic" };
  private readonly metadata = new Map<number, EventMetadata>();
  /** Last sequence number seen per capture thread. */
  private readonly threads = new Map<bigint, number>();
  private failed: ParseError | undefined;
  private sawTrace = false;
  readonly stats: NettraceStats = { bytes: 0, blocks: 0, events: 0, metadata: 0, droppedEvents: 0, complete: false };
  pointerSize = 8;

  constructor(private readonly handler: NettraceHandler = {}) {}

  /** Bytes fed but not decoded yet (the start of an unfinished unit): the decoder holds the last chunks fed for them. */
  get pending(): number {
    return this.queued;
  }

  /** Feeds bytes; decodes every complete unit. Throws ParseError (also on every later call) when malformed. */
  push(chunk: Buffer): void {
    if (this.failed) throw this.failed;
    if (chunk.length === 0) return;
    if (this.state.kind === "done") {
      this.fail("data after the end of the stream");
    }
    this.chunks.push(chunk);
    this.queued += chunk.length;
    this.stats.bytes += chunk.length;
    try {
      this.drain();
    } catch (err) {
      if (err instanceof ParseError) this.failed = err;
      throw err;
    }
  }

  /** Declares the end of input: throws ParseError when the stream stopped before its end tag. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.state.kind !== "done") {
      this.failed = new ParseError("nettrace", 0, `stream truncated at byte ${this.offset + this.queued} (${this.describeState()})`);
      throw this.failed;
    }
  }

  get complete(): boolean {
    return this.state.kind === "done";
  }

  metadataFor(id: number): EventMetadata | undefined {
    return this.metadata.get(id);
  }

  private describeState(): string {
    const s = this.state;
    switch (s.kind) {
      case "magic":
        return "in the stream header";
      case "object":
        return "between objects";
      case "type":
        return "in an object type";
      case "payload":
        return `in the ${s.typeName} object`;
      case "block":
        return `in a ${s.typeName} of ${s.size} bytes`;
      case "endObject":
        return `at the end of a ${s.typeName}`;
      case "done":
        return "after the end";
    }
  }

  private fail(reason: string): never {
    throw new ParseError("nettrace", 0, `byte ${this.offset}: ${reason}`);
  }

  private take(n: number): Buffer {
    let out: Buffer;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - filled);
        c.copy(out, filled, 0, k);
        filled += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.queued -= n;
    this.offset += n;
    return out;
  }

  private peekByte(): number {
    return this.chunks[0]![0]!;
  }

  private drain(): void {
    for (;;) {
      const s = this.state;
      switch (s.kind) {
        case "magic": {
          if (this.queued < 8 + 4 + SERIALIZATION.length) return;
          const head = this.take(8 + 4 + SERIALIZATION.length);
          if (!head.subarray(0, 8).equals(MAGIC)) {
            this.offset = 0;
            this.fail('not a nettrace stream (no "Nettrace" magic)');
          }
          const len = head.readInt32LE(8);
          const name = head.toString("latin1", 12);
          if (len !== SERIALIZATION.length || name !== SERIALIZATION) {
            // NetTrace V6 starts "Nettrace" then uint32 0, uint32 major, uint32 minor.
            if (len === 0) this.fail(`nettrace format version ${head.readUInt32LE(12)} is not supported (only V4/V5, FastSerialization)`);
            this.fail(`unexpected serialization header ${JSON.stringify(name.replace(/[^\x20-\x7e]/g, "?"))}`);
          }
          this.state = { kind: "object" };
          break;
        }
        case "object": {
          if (this.queued < 1) return;
          const tag = this.peekByte();
          if (tag === TAG_NULL) {
            if (!this.sawTrace) this.fail("stream ends before its Trace object");
            this.take(1);
            this.state = { kind: "done" };
            this.stats.complete = true;
            if (this.queued > 0) this.fail("data after the end of the stream");
            return;
          }
          if (tag !== TAG_BEGIN_PRIVATE_OBJECT) this.fail(`expected an object (tag 5) or the end (tag 1), got tag ${tag}`);
          this.state = { kind: "type" };
          break;
        }
        case "type": {
          // 5 (object) 5 (type) 1 (null type-of-type) int32 version int32 minVersion int32 nameLength
          if (this.queued < 3 + 12) return;
          const head = this.peek(15);
          if (head[1] !== TAG_BEGIN_PRIVATE_OBJECT || head[2] !== TAG_NULL) this.fail("malformed object type header");
          const nameLen = head.readInt32LE(11);
          if (nameLen < 1 || nameLen > 64) this.fail(`object type name of ${nameLen} bytes`);
          if (this.queued < 15 + nameLen + 1) return;
          this.take(15);
          const version = head.readInt32LE(3);
          const minVersion = head.readInt32LE(7);
          const typeName = this.take(nameLen).toString("latin1");
          if (this.take(1)[0] !== TAG_END_OBJECT) this.fail(`object type ${typeName} not closed`);
          if ((typeName === "Trace") === this.sawTrace) {
            this.fail(this.sawTrace ? "a second Trace object" : `the first object is ${JSON.stringify(typeName.replace(/[^\x20-\x7e]/g, "?"))}, not Trace`);
          }
          if (typeName === "Trace") {
            this.sawTrace = true;
            if (minVersion > 5) this.fail(`Trace object version ${version} (minimum reader ${minVersion}) is newer than this decoder`);
            this.state = { kind: "payload", typeName, version };
          } else if (BLOCK_TYPES.has(typeName)) {
            if (minVersion > 2) this.fail(`${typeName} version ${version} (minimum reader ${minVersion}) is newer than this decoder`);
            this.state = { kind: "payload", typeName, version };
          } else {
            this.fail(`unknown object type ${JSON.stringify(typeName.replace(/[^\x20-\x7e]/g, "?"))}`);
          }
          break;
        }
        case "payload": {
          if (s.typeName === "Trace") {
            if (this.queued < 48) return;
            this.decodeTrace(this.take(48));
            this.state = { kind: "endObject", typeName: s.typeName };
            break;
          }
          if (this.queued < 4) return;
          const size = this.peek(4).readInt32LE(0);
          if (size < 0 || size > MAX_BLOCK_SIZE) this.fail(`${s.typeName} of ${size} bytes (limit ${MAX_BLOCK_SIZE})`);
          const afterSize = this.offset + 4;
          const padding = (4 - (afterSize % 4)) % 4;
          this.take(4);
          this.state = { kind: "block", typeName: s.typeName, size, padding };
          break;
        }
        case "block": {
          if (this.queued < s.padding + s.size) return;
          if (s.padding > 0) this.take(s.padding);
          const blockOffset = this.offset;
          const block = this.take(s.size);
          this.stats.blocks++;
          this.decodeBlock(s.typeName, block, blockOffset);
          this.state = { kind: "endObject", typeName: s.typeName };
          break;
        }
        case "endObject": {
          if (this.queued < 1) return;
          const tag = this.take(1)[0];
          if (tag !== TAG_END_OBJECT) {
            this.offset--;
            this.fail(`${s.typeName} not followed by the end-object tag (got ${tag})`);
          }
          this.state = { kind: "object" };
          break;
        }
        case "done":
          return;
      }
    }
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    for (const c of this.chunks) {
      const k = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, k);
      filled += k;
      if (filled === n) break;
    }
    return out;
  }

  private decodeTrace(b: Buffer): void {
    const y = b.readInt16LE(0);
    const mo = b.readInt16LE(2);
    const d = b.readInt16LE(6);
    const h = b.readInt16LE(8);
    const mi = b.readInt16LE(10);
    const se = b.readInt16LE(12);
    const ms = b.readInt16LE(14);
    const pointerSize = b.readInt32LE(32);
    if (pointerSize !== 4 && pointerSize !== 8) this.fail(`pointer size ${pointerSize}`);
    this.pointerSize = pointerSize;
    const info: TraceInfo = {
      syncTimeUtc: new Date(Date.UTC(y, mo - 1, d, h, mi, se, ms)),
      syncTimeQpc: b.readBigInt64LE(16),
      qpcFrequency: b.readBigInt64LE(24),
      pointerSize,
      processId: b.readInt32LE(36),
      numberOfProcessors: b.readInt32LE(40),
    };
    this.handler.onTrace?.(info);
  }

  private decodeBlock(typeName: string, block: Buffer, blockOffset: number): void {
    switch (typeName) {
      case "EventBlock":
      case "MetadataBlock":
        this.decodeEventBlock(block, typeName === "MetadataBlock", blockOffset);
        return;
      case "SPBlock":
        this.decodeSequencePoint(block, blockOffset);
        return;
      case "StackBlock":
        // Stacks are not needed: the sessions leakwatch starts do not ask for them. Check the header only.
        if (block.length < 8) this.failAt(blockOffset, "StackBlock header truncated");
        return;
    }
  }

  private failAt(offset: number, reason: string): never {
    throw new ParseError("nettrace", 0, `byte ${offset}: ${reason}`);
  }

  private decodeEventBlock(block: Buffer, isMetadata: boolean, blockOffset: number): void {
    const kind = isMetadata ? "MetadataBlock" : "EventBlock";
    if (block.length < 20) this.failAt(blockOffset, `${kind} header truncated`);
    const headerSize = block.readUInt16LE(0);
    if (headerSize < 20 || headerSize > block.length) this.failAt(blockOffset, `${kind} header size ${headerSize}`);
    const flags = block.readUInt16LE(2);
    const compressed = (flags & 1) !== 0;
    const r = new Reader(block, headerSize, blockOffset);
    const h: EventHeader = {
      metadataId: 0,
      sequenceNumber: 0,
      captureThreadId: 0n,
      threadId: 0n,
      processorNumber: 0,
      stackId: 0,
      timestamp: 0n,
      isSorted: false,
      payloadSize: 0,
    };
    while (r.pos < block.length) {
      if (compressed) readCompressedHeader(r, h);
      else readUncompressedHeader(r, h);
      if (h.payloadSize < 0 || h.payloadSize > block.length - r.pos) r.fail(`event payload of ${h.payloadSize} bytes overruns its block`);
      const payload = block.subarray(r.pos, r.pos + h.payloadSize);
      const payloadOffset = blockOffset + r.pos;
      r.pos += h.payloadSize;
      if (!compressed) r.pos = Math.min(block.length, (r.pos + 3) & ~3);
      if (isMetadata) {
        this.defineMetadata(payload, payloadOffset);
      } else {
        this.stats.events++;
        this.checkSequence(h);
        const meta = this.metadata.get(h.metadataId);
        if (meta === undefined) this.failAt(payloadOffset, `event refers to undefined metadata id ${h.metadataId}`);
        this.handler.onEvent?.(meta, h, payload);
      }
    }
  }

  private checkSequence(h: EventHeader): void {
    const last = this.threads.get(h.captureThreadId);
    if (last === undefined && this.threads.size >= MAX_THREADS) this.threads.clear();
    this.threads.set(h.captureThreadId, h.sequenceNumber);
    // A thread's first event sets its baseline. A thread id reused by the OS restarts at 1, and (as in TraceEvent
    // for V5) a last number of 0 is not checked.
    if (last === undefined || last === 0 || h.sequenceNumber === 1) return;
    const gap = (h.sequenceNumber - (last + 1)) | 0;
    // Going backwards means the numbers cannot be trusted: counted as at least one loss.
    if (gap !== 0) this.dropped(gap > 0 ? gap : 1, h.captureThreadId);
  }

  private dropped(n: number, thread: bigint): void {
    this.stats.droppedEvents += n;
    this.handler.onDropped?.(n, thread);
  }

  private decodeSequencePoint(block: Buffer, blockOffset: number): void {
    const r = new Reader(block, 0, blockOffset);
    r.i64(); // timestamp
    const count = r.i32();
    if (count < 0 || count * 12 > block.length - r.pos) r.fail(`sequence point with ${count} threads`);
    for (let i = 0; i < count; i++) {
      const thread = r.i64();
      const seq = r.i32();
      const last = this.threads.get(thread);
      if (last === undefined) {
        if (this.threads.size >= MAX_THREADS) this.threads.clear();
        this.threads.set(thread, seq);
        continue;
      }
      // The sequence point holds the number of the last event the thread tried to log: more than the last one
      // read means events were lost (typically a thread whose buffers stayed full and that dropped everything).
      const gap = (seq - last) | 0;
      if (gap > 0 && last !== 0) this.dropped(gap, thread);
      if (gap > 0 || last === 0) this.threads.set(thread, seq);
    }
  }

  private defineMetadata(p: Buffer, payloadOffset: number): void {
    const r = new Reader(p, 0, payloadOffset);
    const metadataId = r.i32();
    const provider = r.utf16z();
    const eventId = r.i32();
    const eventName = r.utf16z();
    const keywords = r.u64();
    const version = r.i32();
    const level = r.i32();
    let fields: FieldDef[] = [];
    let opcode: number | undefined;
    const budget = { n: 0 };
    // V1 field list (present, maybe empty), then optional tags (V5): OpCode (1), V2Params (2).
    if (r.pos < p.length) fields = readFieldList(r, false, 0, budget);
    while (r.pos < p.length) {
      const tagSize = r.i32();
      const tagKind = r.u8();
      if (tagSize < 0 || tagSize > p.length - r.pos) r.fail(`metadata tag of ${tagSize} bytes`);
      const end = r.pos + tagSize;
      if (tagKind === 1 && tagSize >= 1) opcode = r.u8();
      else if (tagKind === 2) fields = readFieldList(r, true, 0, budget);
      r.pos = end;
    }
    if (metadataId <= 0) r.fail(`metadata id ${metadataId}`);
    if (!this.metadata.has(metadataId) && this.metadata.size >= MAX_METADATA) r.fail(`more than ${MAX_METADATA} metadata definitions`);
    const meta: EventMetadata = { metadataId, provider, eventId, eventName, keywords, version, level, fields };
    if (opcode !== undefined) meta.opcode = opcode;
    this.metadata.set(metadataId, meta);
    this.stats.metadata++;
    this.handler.onMetadata?.(meta);
  }
}

function readFieldList(r: Reader, v2: boolean, depth: number, budget: { n: number }): FieldDef[] {
  if (depth > MAX_DEPTH) r.fail("metadata fields nested too deeply");
  const count = r.i32();
  if (count < 0 || count > MAX_FIELDS || count > r.remaining()) r.fail(`metadata with ${count} fields`);
  const fields: FieldDef[] = [];
  for (let i = 0; i < count; i++) {
    if (++budget.n > MAX_FIELDS) r.fail(`metadata with more than ${MAX_FIELDS} fields`);
    if (v2) {
      const size = r.i32();
      const start = r.pos;
      if (size < 4 || size - 4 > r.remaining()) r.fail(`metadata field of ${size} bytes`);
      const name = r.utf16z();
      const f = readFieldType(r, v2, depth, budget, name);
      r.pos = start - 4 + size;
      if (r.pos > r.end) r.fail("metadata field overruns its definition");
      fields.push(f);
    } else {
      const f = readFieldType(r, v2, depth, budget, "");
      f.name = r.utf16z();
      fields.push(f);
    }
  }
  return fields;
}

function readFieldType(r: Reader, v2: boolean, depth: number, budget: { n: number }, name: string): FieldDef {
  const typeCode = r.i32();
  const f: FieldDef = { name, typeCode };
  if (typeCode === TypeCode.Array) {
    if (!v2) r.fail("array field in V1 metadata");
    const elemCode = r.i32();
    const elem: FieldDef = { name: "", typeCode: elemCode };
    if (elemCode === TypeCode.Object) elem.fields = readFieldList(r, v2, depth + 1, budget);
    else if (elemCode === TypeCode.Array) r.fail("array of arrays in metadata");
    f.element = elem;
  } else if (typeCode === TypeCode.Object) {
    f.fields = readFieldList(r, v2, depth + 1, budget);
  }
  return f;
}

function readCompressedHeader(r: Reader, h: EventHeader): void {
  const flags = r.u8();
  if (flags & 1) h.metadataId = r.varU32();
  if (flags & 2) {
    h.sequenceNumber = (h.sequenceNumber + r.varU32() + 1) | 0;
    h.captureThreadId = r.varU64();
    h.processorNumber = r.varU32();
  } else if (h.metadataId !== 0) {
    h.sequenceNumber = (h.sequenceNumber + 1) | 0;
  }
  if (flags & 4) h.threadId = r.varU64();
  if (flags & 8) h.stackId = r.varU32();
  h.timestamp = BigInt.asIntN(64, h.timestamp + r.varU64());
  if (flags & 16) r.skip(16); // activity id
  if (flags & 32) r.skip(16); // related activity id
  h.isSorted = (flags & 64) !== 0;
  if (flags & 128) h.payloadSize = r.varU32();
}

function readUncompressedHeader(r: Reader, h: EventHeader): void {
  const start = r.pos;
  const eventSize = r.i32();
  if (eventSize < 0 || eventSize > r.end - r.pos) r.fail(`event of ${eventSize} bytes overruns its block`);
  const id = r.u32();
  h.metadataId = id & 0x7fffffff;
  h.isSorted = (id & 0x80000000) !== 0;
  h.sequenceNumber = r.i32();
  h.threadId = r.u64();
  h.captureThreadId = r.u64();
  h.processorNumber = r.i32();
  h.stackId = r.i32();
  h.timestamp = r.i64();
  r.skip(32); // activity ids
  h.payloadSize = r.i32();
  if (h.payloadSize > eventSize) r.fail(`payload of ${h.payloadSize} bytes in an event of ${eventSize}`);
  void start;
}

/** Bounds-checked little-endian reader over one block or payload; every failure is a ParseError. */
export class Reader {
  readonly end: number;
  constructor(
    readonly buf: Buffer,
    public pos = 0,
    /** Stream offset of buf[0], for messages. */
    readonly base = 0,
    end?: number,
  ) {
    this.end = end ?? buf.length;
  }

  fail(reason: string): never {
    throw new ParseError("nettrace", 0, `byte ${this.base + this.pos}: ${reason}`);
  }

  remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) this.fail(`truncated (needed ${n} bytes, ${this.end - this.pos} left)`);
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  /** A uint64 as a JS number (exact up to 2^53; larger values fail: they are garbage for sizes and counts). */
  u64n(): number {
    this.need(8);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readUInt32LE(this.pos + 4);
    if (hi > 0x1fffff) this.fail("64-bit value beyond 2^53");
    this.pos += 8;
    return hi * 0x100000000 + lo;
  }
  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }
  f32(): number {
    this.need(4);
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }
  varU32(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.u8();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) this.fail("varint32 out of range");
        return result;
      }
      shift += 7;
    }
    this.fail("varint32 longer than 5 bytes");
  }
  varU64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    this.fail("varint64 longer than 10 bytes");
  }
  /** A NUL-terminated UTF-16LE string; must end inside the buffer; cut to MAX_STRING_UNITS code units. */
  utf16z(): string {
    let i = this.pos;
    const end = this.end - 1;
    while (i < end && (this.buf[i] !== 0 || this.buf[i + 1] !== 0)) i += 2;
    if (i >= end) this.fail("unterminated UTF-16 string");
    const units = (i - this.pos) / 2;
    const s = this.buf.toString("utf16le", this.pos, this.pos + Math.min(units, MAX_STRING_UNITS) * 2);
    this.pos = i + 2;
    return s;
  }
}
