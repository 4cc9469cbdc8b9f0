// A minimal nettrace V5 writer for tests: synthetic streams with chosen events, sequence numbers and defects.
import { readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { GC_HEAP_SNAPSHOT_KEYWORDS } from "../../../../src/runtimes/dotnet/protocol/events.js";

/** A recorded stream from test/fixtures/dotnet, unzipped. */
export function fixture(name: string): Buffer {
  return gunzipSync(readFileSync(path.resolve(__dirname, "../../../fixtures/dotnet", name)));
}

export interface SyntheticEvent {
  metadataId: number;
  payload: Buffer;
  /** Capture thread (default 1) and sequence number (default: previous on that thread + 1). */
  thread?: number;
  seq?: number;
}

export interface SyntheticMeta {
  id: number;
  provider: string;
  eventId: number;
  name?: string;
  version?: number;
}

function utf16z(s: string): Buffer {
  return Buffer.from(`${s}\0`, "utf16le");
}

function varU(n: number | bigint): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}

export class NettraceWriter {
  private parts: Buffer[] = [];
  private offset = 0;
  private threadSeq = new Map<number, number>();

  constructor(pid = 4242) {
    const head = Buffer.alloc(8 + 4 + 20);
    head.write("Nettrace", 0, "latin1");
    head.writeInt32LE(20, 8);
    head.write("!FastSerialization.1", 12, "latin1");
    this.push(head);
    const trace = Buffer.alloc(48);
    trace.writeInt16LE(2026, 0);
    trace.writeInt16LE(1, 2);
    trace.writeInt16LE(1, 6);
    trace.writeBigInt64LE(1000n, 16);
    trace.writeBigInt64LE(1_000_000_000n, 24);
    trace.writeInt32LE(8, 32);
    trace.writeInt32LE(pid, 36);
    trace.writeInt32LE(2, 40);
    this.object("Trace", 4, 4, trace, false);
  }

  private push(b: Buffer): void {
    this.parts.push(b);
    this.offset += b.length;
  }

  private object(name: string, version: number, minVersion: number, payload: Buffer, block: boolean): void {
    const type = Buffer.alloc(3 + 12);
    type[0] = 5;
    type[1] = 5;
    type[2] = 1;
    type.writeInt32LE(version, 3);
    type.writeInt32LE(minVersion, 7);
    type.writeInt32LE(name.length, 11);
    this.push(type);
    this.push(Buffer.from(name, "latin1"));
    this.push(Buffer.from([6]));
    if (block) {
      const size = Buffer.alloc(4);
      size.writeInt32LE(payload.length, 0);
      this.push(size);
      const pad = (4 - (this.offset % 4)) % 4;
      if (pad) this.push(Buffer.alloc(pad));
    }
    this.push(payload);
    this.push(Buffer.from([6]));
  }

  metadata(metas: SyntheticMeta[]): this {
    const events: Buffer[] = [];
    for (const m of metas) {
      const p = Buffer.concat([
        int32(m.id),
        utf16z(m.provider),
        int32(m.eventId),
        utf16z(m.name ?? ""),
        uint64(GC_HEAP_SNAPSHOT_KEYWORDS),
        int32(m.version ?? 0),
        int32(5),
        int32(0), // no V1 fields
      ]);
      events.push(this.compressedHeader(0, 0, 0, p.length, true), p);
    }
    this.object("MetadataBlock", 2, 2, Buffer.concat([blockHeader(), ...events]), true);
    return this;
  }

  events(list: SyntheticEvent[]): this {
    const parts: Buffer[] = [blockHeader()];
    let prevSeq = 0;
    for (const e of list) {
      const thread = e.thread ?? 1;
      const seq = e.seq ?? (this.threadSeq.get(thread) ?? 0) + 1;
      this.threadSeq.set(thread, seq);
      // Always send thread and sequence explicitly (flag 2): delta from the previous header's sequence number.
      const delta = (seq - prevSeq - 1) >>> 0;
      prevSeq = seq;
      const flags = 1 | 2 | 128;
      parts.push(Buffer.concat([Buffer.from([flags]), varU(e.metadataId), varU(delta), varU(thread), varU(0), varU(10), varU(e.payload.length)]), e.payload);
    }
    this.object("EventBlock", 2, 2, Buffer.concat(parts), true);
    return this;
  }

  sequencePoint(threads: Array<[number, number]>): this {
    const b = Buffer.alloc(12 + threads.length * 12);
    b.writeBigInt64LE(5000n, 0);
    b.writeInt32LE(threads.length, 8);
    threads.forEach(([t, s], i) => {
      b.writeBigInt64LE(BigInt(t), 12 + i * 12);
      b.writeInt32LE(s, 20 + i * 12);
    });
    this.object("SPBlock", 2, 2, b, true);
    return this;
  }

  private compressedHeader(metadataId: number, _seq: number, _thread: number, payloadSize: number, _meta: boolean): Buffer {
    return Buffer.concat([Buffer.from([1 | 128]), varU(metadataId), varU(0), varU(payloadSize)]);
  }

  end(): Buffer {
    this.push(Buffer.from([1]));
    return Buffer.concat(this.parts);
  }
}

function blockHeader(): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16LE(20, 0);
  h.writeUInt16LE(1, 2); // compressed headers
  return h;
}

export function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n, 0);
  return b;
}

export function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

export function uint16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n, 0);
  return b;
}

export function uint64(n: bigint | number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n), 0);
  return b;
}

/** Runtime event payloads. */
export const payloads = {
  gcStart(count: number, depth = 2, reason = 1, type = 0): Buffer {
    return Buffer.concat([uint32(count), uint32(depth), uint32(reason), uint32(type), uint16(0), uint64(0)]);
  },
  gcEnd(count: number, depth = 2): Buffer {
    return Buffer.concat([uint32(count), uint32(depth), uint16(0)]);
  },
  bulkType(types: Array<{ id: bigint; name: string; params?: bigint[]; flags?: number }>): Buffer {
    const vals = types.map((t) =>
      Buffer.concat([
        uint64(t.id),
        uint64(0x1000n),
        uint32(0),
        uint32(t.flags ?? 0),
        Buffer.from([0x12]),
        utf16z(t.name),
        uint32(t.params?.length ?? 0),
        ...(t.params ?? []).map(uint64),
      ]),
    );
    return Buffer.concat([uint32(types.length), uint16(0), ...vals]);
  },
  bulkNode(index: number, nodes: Array<{ size: number; type: bigint }>): Buffer {
    const vals = nodes.map((n, i) => Buffer.concat([uint64(0x7f0000000000n + BigInt(i * 64)), uint64(n.size), uint64(n.type), uint64(0)]));
    return Buffer.concat([uint32(index), uint32(nodes.length), uint16(0), ...vals]);
  },
};

/** Metadata ids used by heapDumpStream. */
export const META = { GCStart: 1, GCEnd: 2, BulkType: 3, BulkNode: 4 } as const;

export const RUNTIME_METAS: SyntheticMeta[] = [
  { id: META.GCStart, provider: "Microsoft-Windows-DotNETRuntime", eventId: 1, version: 2 },
  { id: META.GCEnd, provider: "Microsoft-Windows-DotNETRuntime", eventId: 2, version: 1 },
  { id: META.BulkType, provider: "Microsoft-Windows-DotNETRuntime", eventId: 15 },
  { id: META.BulkNode, provider: "Microsoft-Windows-DotNETRuntime", eventId: 18 },
];

/** A small complete heap dump stream: 3 Foo (24 B each), 2 List<String> (32 B), 1 String[] (100 B). */
export function heapDumpStream(
  opts: { seqGap?: boolean; indexGap?: boolean; spAhead?: boolean; nodesFirst?: boolean; lostNode?: boolean; lastFull?: boolean } = {},
): Buffer {
  const w = new NettraceWriter().metadata(RUNTIME_METAS);
  const types = {
    id: META.BulkType,
    payload: payloads.bulkType([
      { id: 0x10n, name: "App.Foo" },
      { id: 0x20n, name: "System.Collections.Generic.List`1[System.String]" },
      { id: 0x30n, name: "System.String[]", flags: 8 },
    ]),
  };
  const n0 = {
    id: META.BulkNode,
    payload: payloads.bulkNode(0, [
      { size: 24, type: 0x10n },
      { size: 32, type: 0x20n },
      { size: 24, type: 0x10n },
      { size: 24, type: 0x10n },
    ]),
  };
  // The walk's last node event holds fewer values than the others, as the runtime's does.
  const n1 = {
    id: META.BulkNode,
    payload: payloads.bulkNode(opts.indexGap ? 2 : 1, [
      { size: 32, type: 0x20n },
      { size: 100, type: 0x30n },
      // As full as the first: nothing says the walk ended here.
      ...(opts.lastFull
        ? [
            { size: 24, type: 0x10n },
            { size: 24, type: 0x10n },
          ]
        : []),
    ]),
  };
  const seq: SyntheticEvent[] = [{ metadataId: META.GCStart, payload: payloads.gcStart(7) }];
  const body = opts.nodesFirst ? [n0, n1, types] : [types, n0, n1];
  for (const e of body) seq.push({ metadataId: e.id, payload: e.payload });
  if (opts.seqGap) seq[2]!.seq = 5;
  // The runtime dropped GCBulkNode Index 1 (between n0 and n1): an Index gap that the sequence numbers show too.
  if (opts.lostNode) {
    n1.payload.writeUInt32LE(2, 0);
    seq[opts.nodesFirst ? 2 : 3]!.seq = opts.nodesFirst ? 4 : 5;
  }
  seq.push({ metadataId: META.GCEnd, payload: payloads.gcEnd(7) });
  w.events(seq);
  w.sequencePoint([[1, opts.spAhead ? 40 : opts.seqGap ? 7 : opts.lostNode ? 6 : 5]]);
  return w.end();
}
