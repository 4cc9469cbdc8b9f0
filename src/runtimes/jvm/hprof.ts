// HPROF heap dumps (`jcmd PID GC.heap_dump FILE`, `jmap -dump`) read as a stream into a heap graph: STRING and
// LOAD CLASS records name the classes; HEAP DUMP / HEAP DUMP SEGMENT hold CLASS DUMP (layout and statics),
// INSTANCE DUMP (field values decoded with the class's layout, superclasses included), OBJECT and PRIMITIVE ARRAY
// DUMP and the GC ROOT records. 4- and 8-byte identifiers.
//
// Written by hand: the npm HPROF readers materialise an object per heap object, which a 10 M-object dump cannot
// afford. Here objects are typed-array rows and object ids go through an open-addressing table of doubles (an id
// is an address: below 2^53 on every 64-bit JVM), ~24 bytes per object while reading.
//
// Sizes: HPROF does not record the VM's object sizes. They are computed as HotSpot (JDK 15+) lays objects out with
// compressed class pointers and, below a 32 GB heap, compressed references (the defaults): a 12-byte header, 4-byte
// references, 16-byte array headers, 8-byte alignment, and each class's fields placed by HotSpot's field layout
// algorithm (layoutFor), which fills the holes its superclasses left. Instance sizes then equal GC.class_histogram's,
// except for the few JDK classes with fields the VM injects (HPROF omits them: java.lang.ClassLoader, Throwable,
// MemberName, …) and java.lang.Class objects, whose size depends on their statics' layout; counts are exact.
import { openSync, readSync, closeSync, fstatSync } from "node:fs";
import type { HeapGraph } from "../../model/heap-graph.js";
import { ParseError } from "../../model/parse-error.js";
import type { DumpSummaryBody } from "../../model/summary.js";
import { TypeTable } from "../../formats/type-table.js";
import { normaliseJavaClassName } from "./normalise.js";

const FORMAT = "hprof";

/** HPROF basic types: 2 object, 4 boolean, 5 char, 6 float, 7 double, 8 byte, 9 short, 10 int, 11 long. */
const VALUE_SIZE = [0, 0, -1, 0, 1, 2, 4, 8, 1, 2, 4, 8];
/** The same types' sizes in the VM's objects (references: compressed). */
const VM_SIZE = [0, 0, 4, 0, 1, 2, 4, 8, 1, 2, 4, 8];
const PRIMITIVE_ARRAY = ["", "", "", "", "boolean[]", "char[]", "float[]", "double[]", "byte[]", "short[]", "int[]", "long[]"];
const ROOT_KINDS: Record<number, string> = {
  0xff: "unknown root",
  0x01: "JNI global",
  0x02: "JNI local",
  0x03: "Java frame (stack local)",
  0x04: "native stack",
  0x05: "system class",
  0x06: "thread block",
  0x07: "monitor",
  0x08: "thread",
};

const align8 = (n: number) => Math.ceil(n / 8) * 8;
const u32 = (b: Buffer, p: number): number => ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;

/**
 * A class name as the histogram prints it, from its internal form: `java/lang/String`, and a hidden class's
 * `Foo$$Lambda$56+0x80000005d` as `Foo$$Lambda$56/0x80000005d` (normalisation then drops the suffix either way).
 */
export function externalName(internal: string): string {
  return internal.replaceAll("/", ".").replace(/\+(0x[0-9a-fA-F]+)(?=\[|;|$)/g, "/$1");
}

/** A byte reader over a file with a refillable window: records may be anywhere, the window stays 4 MiB. */
class Reader {
  /** The window and the read position in it: the hot loops read fields straight from it after need(). */
  buf = Buffer.allocUnsafe(1 << 22);
  pos = 0;
  end = 0;
  private fileOffset = 0;
  readonly size: number;
  idSize = 4;

  constructor(private readonly fd: number) {
    this.size = fstatSync(fd).size;
  }

  /** Bytes of the file consumed so far. */
  get offset(): number {
    return this.fileOffset - (this.end - this.pos);
  }

  need(n: number): void {
    if (this.end - this.pos >= n) return;
    // A length past the end of the file (truncated, or a corrupt length field) fails before any buffer is sized by it.
    if (this.offset + n > this.size)
      throw new ParseError(FORMAT, this.size, `truncated: a record runs ${this.offset + n - this.size} bytes past the end of the file`);
    if (n > this.buf.length) this.buf = Buffer.concat([this.buf.subarray(this.pos, this.end), Buffer.allocUnsafe(n)]).subarray(0);
    else this.buf.copy(this.buf, 0, this.pos, this.end);
    this.end -= this.pos;
    this.pos = 0;
    while (this.end < n) {
      const got = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, this.fileOffset);
      if (got === 0) throw new ParseError(FORMAT, this.offset + 1, `truncated: the file ends inside a record (${this.size} bytes)`);
      this.end += got;
      this.fileOffset += got;
    }
  }

  atEnd(): boolean {
    if (this.pos < this.end) return false;
    return this.fileOffset >= this.size;
  }

  u1(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u2(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u4(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  /** An identifier as a number (0 is null). */
  id(): number {
    if (this.idSize === 4) return this.u4();
    this.need(8);
    const hi = this.buf.readUInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    if (hi >= 0x200000) throw new ParseError(FORMAT, this.offset, "an identifier beyond 2^53 (not a 64-bit JVM address)");
    return hi * 0x100000000 + lo;
  }
  skip(n: number): void {
    const here = this.end - this.pos;
    if (n <= here) {
      this.pos += n;
      return;
    }
    const offset = this.offset + n;
    if (offset > this.size) throw new ParseError(FORMAT, this.size, `truncated: a record runs ${offset - this.size} bytes past the end of the file`);
    this.pos = this.end = 0;
    this.fileOffset = offset;
  }
  /** The identifier at p in the window (need() first). */
  idAt(p: number): number {
    const b = this.buf;
    const w0 = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
    if (this.idSize === 4) return w0;
    if (w0 >= 0x200000) throw new ParseError(FORMAT, this.offset, "an identifier beyond 2^53 (not a 64-bit JVM address)");
    return w0 * 0x100000000 + (((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0);
  }
  utf8(n: number): string {
    this.need(n);
    const s = this.buf.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

/** Object id → node index, open addressing over doubles (ids are never 0: 0 is null). */
class IdTable {
  private keys = new Float64Array(1 << 16);
  private values = new Int32Array(1 << 16);
  private count = 0;

  set(id: number, value: number): boolean {
    if (this.count * 2 >= this.keys.length) this.grow();
    const mask = this.keys.length - 1;
    let i = hash(id) & mask;
    while (this.keys[i] !== 0) {
      if (this.keys[i] === id) return false;
      i = (i + 1) & mask;
    }
    this.keys[i] = id;
    this.values[i] = value;
    this.count++;
    return true;
  }

  get(id: number): number {
    const mask = this.keys.length - 1;
    let i = hash(id) & mask;
    for (;;) {
      const k = this.keys[i]!;
      if (k === id) return this.values[i]!;
      if (k === 0) return -1;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.values = new Int32Array(keys.length * 2);
    this.count = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.set(keys[i]!, values[i]!);
  }
}

function hash(id: number): number {
  // Addresses are 8-aligned: the bits above the alignment, both words, mixed (murmur3's finaliser).
  let h = ((id / 8) >>> 0) ^ Math.imul((id / 0x100000000) >>> 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

interface ClassInfo {
  name: string;
  superId: number;
  /** Instance fields of this class only: name string id and HPROF type. */
  fieldNames: number[];
  fieldTypes: number[];
  /** Per field: its name's index in the graph's names (paths show field names). */
  fieldEdgeNames: number[];
  /** The VM instance size and the fields' [offset, size] pairs, superclasses' included; computed on first use. */
  layout?: Layout;
  /** Set while its layout is being computed: a superclass chain that comes back to it is corrupt. */
  visiting?: boolean;
  /** Static reference fields: [edge name index, value id]. */
  statics: [number, number][];
  loaderId: number;
  /** Its node, its index among the classes (the node type of its instances), its CLASS DUMP's length in bytes. */
  node: number;
  index: number;
  recordBytes: number;
  /** Where its instances' references lie in an INSTANCE DUMP's field bytes; computed on first use. */
  shape?: InstanceShape;
}

interface InstanceShape {
  /** Bytes of field values an INSTANCE DUMP of the class holds. */
  bytes: number;
  refOffsets: Int32Array;
  refNames: Int32Array;
}

interface Layout {
  size: number;
  /** The class and its superclasses, in the order INSTANCE DUMP lists their field values. */
  chain: ClassInfo[];
  /** [offset, size] of every instance field, superclasses' included, by offset. */
  fields: number[];
}

/** A stretch of an object being laid out: a field (or the header) or an empty slot (size Infinity at the end). */
interface Slot {
  offset: number;
  size: number;
  empty: boolean;
}

const HEADER = 12;

/** @Contended padding (-XX:ContendedPaddingWidth, default 128) around the JDK's contended fields and classes. */
const CONTENDED_PADDING = 128;
/** JDK classes annotated @jdk.internal.vm.annotation.Contended: their fields sit between two paddings. */
const CONTENDED_CLASSES = new Set([
  "java/util/concurrent/ConcurrentHashMap$CounterCell",
  "java/util/concurrent/atomic/Striped64$Cell",
  "java/util/concurrent/Exchanger$Node",
]);
/** JDK fields annotated @Contended("group"): each group is laid out after the other fields, between paddings. */
const CONTENDED_FIELDS = new Map<string, Map<string, string>>([
  [
    "java/lang/Thread",
    new Map([
      ["threadLocalRandomSeed", "tlr"],
      ["threadLocalRandomProbe", "tlr"],
      ["threadLocalRandomSecondarySeed", "tlr"],
    ]),
  ],
  ["java/util/concurrent/ForkJoinPool", new Map([["ctl", "fjpctl"]])],
]);
const hasContended = (c: ClassInfo): boolean => CONTENDED_CLASSES.has(c.name) || CONTENDED_FIELDS.has(c.name);

/**
 * A class's instance layout as HotSpot's FieldLayoutBuilder (JDK 15+) makes it: the superclasses' fields where they
 * are, the holes between them and the tail as empty slots; this class's primitive fields (largest first), then its
 * references, each put in the smallest empty slot that fits it aligned (searching from the end), or at the end.
 * A @Contended class or field group is appended between paddings, and a subclass of one only appends. The
 * instance size is the end of the last field (or padding), 8-aligned. HPROF names no annotation: the JDK's few
 * contended classes are listed above.
 */
function layoutFor(c: ClassInfo, classes: Map<number, ClassInfo>, strings: Map<number, string>): Layout {
  const sup = c.superId === 0 ? undefined : classes.get(c.superId);
  if (sup?.visiting) throw new ParseError(FORMAT, 0, `class ${c.name} is its own superclass (a corrupt CLASS DUMP)`);
  c.visiting = true;
  const supLayout = sup === undefined ? undefined : (sup.layout ??= layoutFor(sup, classes, strings));
  c.visiting = false;
  const inherited = supLayout?.fields ?? [];
  // Behind a contended superclass the holes are padding and the fields start a padding after its last field.
  const supContended = sup !== undefined && hasContended(sup);
  const slots: Slot[] = [{ offset: 0, size: HEADER, empty: false }];
  for (let i = 0; i < inherited.length; i += 2) {
    const last = slots[slots.length - 1]!;
    const end = last.offset + last.size;
    if (inherited[i]! > end) slots.push({ offset: end, size: inherited[i]! - end, empty: !supContended });
    slots.push({ offset: inherited[i]!, size: inherited[i + 1]!, empty: false });
  }
  const lastField = slots[slots.length - 1]!;
  const tail: Slot = { offset: lastField.offset + lastField.size + (supContended ? CONTENDED_PADDING : 0), size: Number.POSITIVE_INFINITY, empty: true };
  slots.push(tail);

  const put = (at: number, size: number): void => {
    const slot = slots[at]!;
    const adjust = (size - (slot.offset % size)) % size;
    if (adjust > 0) {
      slots.splice(at, 0, { offset: slot.offset, size: adjust, empty: true });
      at++;
      slot.offset += adjust;
      slot.size -= adjust;
    }
    slots.splice(at, 0, { offset: slot.offset, size, empty: false });
    slot.offset += size;
    slot.size -= size;
    if (slot.size === 0) slots.splice(at + 1, 1);
  };
  const place = (sizes: number[], append: boolean): void => {
    let lastSize = 0;
    let lastSuccess = false;
    for (const size of sizes) {
      let at = slots.length - 1;
      if (!append && !(size === lastSize && !lastSuccess)) {
        lastSize = size;
        lastSuccess = true;
        let best = -1;
        for (let i = slots.length - 2; i > 0; i--) {
          const s = slots[i]!;
          if (s.empty && s.size >= size + ((size - (s.offset % size)) % size) && (best < 0 || s.size < slots[best]!.size)) best = i;
        }
        if (best < 0) lastSuccess = false;
        else at = best;
      }
      put(at, size);
    }
  };
  const placeGroup = (types: number[], append: boolean): void => {
    const primitives = types.filter((t) => t !== 2).map((t) => VM_SIZE[t]!);
    primitives.sort((a, b) => b - a);
    place(primitives, append);
    place(
      types.filter((t) => t === 2).map(() => VM_SIZE[2]!),
      append,
    );
  };
  const pad = (): void => {
    tail.offset += CONTENDED_PADDING;
  };
  const contendedFields = CONTENDED_FIELDS.get(c.name);
  const groups = new Map<string, number[]>();
  const regular: number[] = [];
  c.fieldTypes.forEach((t, i) => {
    const group = contendedFields?.get(strings.get(c.fieldNames[i]!) ?? "");
    if (group === undefined) regular.push(t);
    else groups.set(group, [...(groups.get(group) ?? []), t]);
  });
  const contendedClass = CONTENDED_CLASSES.has(c.name);
  if (contendedClass) pad();
  placeGroup(regular, contendedClass || supContended);
  for (const types of groups.values()) {
    pad();
    placeGroup(types, true);
  }
  if (contendedClass || groups.size > 0) pad();
  const fields: number[] = [];
  for (const s of slots) if (!s.empty && s.offset >= HEADER) fields.push(s.offset, s.size);
  return { size: align8(tail.offset), fields, chain: [c, ...(supLayout?.chain ?? [])] };
}

/** A Float64Array that grows (object ids while the file is first read). */
class Growing {
  data: Float64Array<ArrayBuffer>;
  length = 0;
  constructor(size = 1 << 16) {
    this.data = new Float64Array(size);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Float64Array(Math.ceil(this.data.length * 1.5));
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
}

/** Node index of an object id, or -1. */
type Lookup = (id: number) => number;

/**
 * Object ids → nodes. HotSpot writes the objects as it walks its heap, by address: ids (addresses) then rise in node
 * order, and a lookup is a search in the ids themselves, narrowed by a bucket index (no table, 1 byte a node). Class
 * objects (written first, in no order; `ids` holds them negated) go through a Map. Ids in any other order fall back
 * on a hash table.
 */
function idLookup(ids: Float64Array, n: number, classNodes: Map<number, number>, fail: (reason: string) => never): Lookup {
  let first = -1;
  let count = 0;
  let contiguous = true;
  let sorted = true;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const v = ids[i]!;
    if (v < 0) {
      if (first >= 0) contiguous = false;
      continue;
    }
    if (first < 0) first = i;
    if (v <= prev) sorted = false;
    prev = v;
    count++;
  }
  const viaClass = (id: number): number => classNodes.get(id) ?? -1;
  if (count === 0) return viaClass;
  if (!sorted) {
    const table = new IdTable();
    for (let i = 0; i < n; i++) {
      const v = ids[i]!;
      if (v > 0 && !table.set(v, i)) fail(`object ${v.toString(16)} dumped twice`);
    }
    return (id) => {
      const node = table.get(id);
      return node >= 0 ? node : viaClass(id);
    };
  }
  let keys: Float64Array;
  let nodeAt: (pos: number) => number;
  if (contiguous) {
    keys = ids.subarray(first, first + count);
    nodeAt = (pos) => pos + first;
  } else {
    keys = new Float64Array(count);
    const nodes = new Uint32Array(count);
    for (let i = 0, k = 0; i < n; i++) {
      if (ids[i]! < 0) continue;
      keys[k] = ids[i]!;
      nodes[k++] = i;
    }
    nodeAt = (pos) => nodes[pos]!;
  }
  const min = keys[0]!;
  const max = keys[count - 1]!;
  const buckets = Math.max(1, count >>> 3);
  const width = (max - min + 1) / buckets;
  const start = new Uint32Array(buckets + 1);
  for (let pos = 0, b = 0; pos < count; pos++) {
    const kb = Math.min(buckets - 1, Math.floor((keys[pos]! - min) / width));
    while (b <= kb) start[b++] = pos;
    if (pos === count - 1) while (b <= buckets) start[b++] = count;
  }
  return (id) => {
    if (id >= min && id <= max) {
      const b = Math.min(buckets - 1, Math.floor((id - min) / width));
      let lo = start[b]!;
      let hi = start[b + 1]!;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const k = keys[mid]!;
        if (k === id) return nodeAt(mid);
        if (k < id) lo = mid + 1;
        else hi = mid;
      }
    }
    return viaClass(id);
  };
}

/**
 * Reads an HPROF file into its per-class summary and its heap graph. Throws ParseError with one clear reason.
 * Reads synchronously (a 4 MiB window at a time) in two passes: the first collects the classes, the object ids and
 * the number of references, the second fills the graph's arrays, sized exactly, resolving each reference as it
 * goes. The daemon must run it off its event loop.
 */
export async function readHprofGraph(file: string): Promise<{ summary: DumpSummaryBody; graph: HeapGraph }> {
  const fd = openSync(file, "r");
  let r = new Reader(fd);
  try {
    return readHprof(r, () => (r = new Reader(fd)));
  } catch (err) {
    if (err instanceof ParseError) throw err;
    // A corrupt file must fail with a ParseError whatever it trips over, never another kind of error.
    throw new ParseError(FORMAT, r.offset, `corrupt HPROF file: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    closeSync(fd);
  }
}

const CLASS_NODE = -100;
/** In a 32-bit size: an array of 4 GiB or more, whose size is kept aside. */
const HUGE = 0xffffffff;

function readHprof(first: Reader, reopen: () => Reader): { summary: DumpSummaryBody; graph: HeapGraph } {
  let r = first;
  const fail = (reason: string): never => {
    throw new ParseError(FORMAT, r.offset, reason);
  };
  // Header: "JAVA PROFILE 1.0.x\0", u4 identifier size, u8 timestamp.
  r.need(Math.min(r.size, 19));
  const magic = r.utf8(Math.min(r.size, 18));
  if (!magic.startsWith("JAVA PROFILE 1.0.")) fail("not an HPROF file (no 'JAVA PROFILE 1.0.' header)");
  while (r.u1() !== 0) {
    if (r.offset > 64) fail("HPROF header not terminated");
  }
  const idSize = r.u4();
  if (idSize !== 4 && idSize !== 8) fail(`identifier size ${idSize}, expected 4 or 8`);
  r.idSize = idSize;
  r.skip(8);
  const headerEnd = r.offset;

  const strings = new Map<number, string>();
  const classNameId = new Map<number, number>(); // class object id → name string id
  const classes = new Map<number, ClassInfo>();
  /** Class names by class index: the dumped classes, then array classes known only by name. */
  const classNames: string[] = [];
  const otherClassIndex = new Map<number, number>();
  const nameList: string[] = [];
  const nameIndex = new Map<string, number>();
  const nameOf = (s: string): number => {
    let i = nameIndex.get(s);
    if (i === undefined) {
      nameIndex.set(s, (i = nameList.length));
      nameList.push(s);
    }
    return i;
  };
  const ids = new Growing(); // per node: its object id (a class object's negated)
  const classNodes = new Map<number, number>();
  const rootIds = new Growing();
  const rootKinds: number[] = [];
  let edgeBound = 0;
  let heapRecords = 0;
  let segments = false;
  let heapDumpEnd = false;

  const skipValue = (type: number): number => {
    const size = type === 2 ? idSize : VALUE_SIZE[type];
    if (size === undefined || size <= 0) fail(`unknown basic type ${type}`);
    if (type === 2) return r.id();
    r.skip(size!);
    return 0;
  };
  const shapeOf = (cls: ClassInfo): InstanceShape => {
    const layout = (cls.layout ??= layoutFor(cls, classes, strings));
    const offsets: number[] = [];
    const names: number[] = [];
    let bytes = 0;
    for (const c of layout.chain) {
      for (let f = 0; f < c.fieldTypes.length; f++) {
        const type = c.fieldTypes[f]!;
        if (type === 2) {
          offsets.push(bytes);
          names.push(c.fieldEdgeNames[f]!);
          bytes += idSize;
        } else bytes += VALUE_SIZE[type]!;
      }
    }
    return { bytes, refOffsets: Int32Array.from(offsets), refNames: Int32Array.from(names) };
  };
  const arrayClassIndex = (classId: number): number => {
    const cls = classes.get(classId);
    if (cls !== undefined) return cls.index;
    let index = otherClassIndex.get(classId);
    if (index === undefined) {
      otherClassIndex.set(classId, (index = classNames.length));
      classNames.push(strings.get(classNameId.get(classId) ?? -1) ?? `class@${classId.toString(16)}`);
    }
    return index;
  };

  // Pass 1: strings, classes, roots; per object its id; the number of references.
  const rootExtra = (tag: number): number => (tag === 0x01 ? idSize : tag === 0x02 || tag === 0x03 || tag === 0x08 ? 8 : tag === 0x04 || tag === 0x06 ? 4 : 0);
  // The longest header of an INSTANCE, OBJECT ARRAY or PRIMITIVE ARRAY DUMP: read straight from the window.
  const header = 1 + 2 * idSize + 8;
  let lastClassId = -1;
  let lastClass: ClassInfo | undefined;
  const classOf = (classId: number): ClassInfo | undefined => {
    if (classId !== lastClassId) {
      lastClassId = classId;
      lastClass = classes.get(classId);
    }
    return lastClass;
  };
  const scanHeap = (length: number): void => {
    const stop = r.offset + length;
    while (r.offset < stop) {
      if (r.end - r.pos >= header) {
        const b = r.buf;
        const p = r.pos;
        const tag = b[p]!;
        if (tag === 0x21 || tag === 0x22 || tag === 0x23) {
          const id = r.idAt(p + 1);
          if (id === 0) fail("an object with a null identifier");
          ids.push(id);
          const n = u32(b, p + 1 + idSize + 4);
          if (tag === 0x21) {
            const classId = r.idAt(p + 1 + idSize + 4);
            const bytes = u32(b, p + 1 + 2 * idSize + 4);
            const cls = classOf(classId);
            if (cls === undefined) fail(`instance of class ${classId.toString(16)} before its CLASS DUMP`);
            const shape = (cls!.shape ??= shapeOf(cls!));
            if (bytes !== shape.bytes) fail(`instance ${id.toString(16)}: ${bytes} bytes of fields, its class layout reads ${shape.bytes}`);
            edgeBound += shape.refOffsets.length;
            r.pos = p + 1 + 2 * idSize + 8;
            r.skip(bytes);
          } else if (tag === 0x22) {
            edgeBound += n;
            r.pos = p + 1 + 2 * idSize + 8;
            r.skip(n * idSize);
          } else {
            const size = VALUE_SIZE[b[p + 1 + idSize + 8]!];
            if (size === undefined || size <= 0) fail(`primitive array of unknown type ${b[p + 1 + idSize + 8]}`);
            r.pos = p + 1 + idSize + 9;
            r.skip(n * size!);
          }
          continue;
        }
      }
      const start = r.offset;
      const tag = r.u1();
      const root = ROOT_KINDS[tag];
      if (root !== undefined) {
        rootIds.push(r.id());
        rootKinds.push(nameOf(root));
        r.skip(rootExtra(tag));
        continue;
      }
      switch (tag) {
        case 0x20: {
          // CLASS DUMP
          const id = r.id();
          r.skip(4);
          const superId = r.id();
          const loaderId = r.id();
          r.skip(idSize * 4);
          r.u4(); // instance size in HPROF terms (references as identifiers): not the VM's
          const cp = r.u2();
          for (let i = 0; i < cp; i++) {
            r.skip(2);
            skipValue(r.u1());
          }
          const statics: [number, number][] = [];
          const nStatics = r.u2();
          for (let i = 0; i < nStatics; i++) {
            const name = r.id();
            const type = r.u1();
            const v = skipValue(type);
            if (type === 2 && v !== 0) statics.push([nameOf(`static ${strings.get(name) ?? "?"}`), v]);
          }
          const nFields = r.u2();
          const fieldNames: number[] = [];
          const fieldTypes: number[] = [];
          for (let i = 0; i < nFields; i++) {
            fieldNames.push(r.id());
            const type = r.u1();
            if (VM_SIZE[type] === undefined || VM_SIZE[type] === 0) fail(`unknown field type ${type}`);
            fieldTypes.push(type);
          }
          if (classes.has(id)) fail(`class ${id.toString(16)} dumped twice`);
          const name = strings.get(classNameId.get(id) ?? -1) ?? `class@${id.toString(16)}`;
          const fieldEdgeNames = fieldNames.map((f) => nameOf(strings.get(f) ?? "?"));
          const node = ids.length;
          classes.set(id, {
            name,
            superId,
            loaderId,
            fieldNames,
            fieldTypes,
            fieldEdgeNames,
            statics,
            node,
            index: classNames.length,
            recordBytes: r.offset - start,
          });
          classNames.push(name);
          classNodes.set(id, node);
          ids.push(-id);
          edgeBound += statics.length + 2;
          break;
        }
        case 0x21: {
          // INSTANCE DUMP: field values of the class, then of its superclasses.
          const id = r.id();
          r.skip(4);
          const classId = r.id();
          const bytes = r.u4();
          const cls = classes.get(classId);
          if (cls === undefined) fail(`instance of class ${classId.toString(16)} before its CLASS DUMP`);
          const shape = (cls!.shape ??= shapeOf(cls!));
          if (bytes !== shape.bytes) fail(`instance ${id.toString(16)}: ${bytes} bytes of fields, its class layout reads ${shape.bytes}`);
          if (id <= 0) fail("an object with a null identifier");
          ids.push(id);
          edgeBound += shape.refOffsets.length;
          r.skip(bytes);
          break;
        }
        case 0x22: {
          // OBJECT ARRAY DUMP
          const id = r.id();
          r.skip(4);
          const n = r.u4();
          r.id();
          if (id <= 0) fail("an object with a null identifier");
          ids.push(id);
          edgeBound += n;
          r.skip(n * idSize);
          break;
        }
        case 0x23: {
          // PRIMITIVE ARRAY DUMP
          const id = r.id();
          r.skip(4);
          const n = r.u4();
          const type = r.u1();
          const size = VALUE_SIZE[type];
          if (size === undefined || size <= 0 || type === 2) fail(`primitive array of unknown type ${type}`);
          if (id <= 0) fail("an object with a null identifier");
          ids.push(id);
          r.skip(n * size!);
          break;
        }
        default:
          fail(`unknown heap dump sub-record tag 0x${tag.toString(16)}`);
      }
    }
    if (r.offset !== stop) fail("a heap dump sub-record runs past its segment");
  };

  while (!r.atEnd()) {
    const tag = r.u1();
    r.skip(4);
    const length = r.u4();
    switch (tag) {
      case 0x01: {
        if (length < idSize) fail("STRING record shorter than its identifier");
        const id = r.id();
        strings.set(id, r.utf8(length - idSize));
        break;
      }
      case 0x02: {
        r.skip(4);
        const id = r.id();
        r.skip(4);
        classNameId.set(id, r.id());
        break;
      }
      case 0x0c:
      case 0x1c:
        heapRecords++;
        segments ||= tag === 0x1c;
        scanHeap(length);
        break;
      case 0x2c:
        heapDumpEnd = true;
        r.skip(length);
        break;
      default:
        r.skip(length);
    }
  }
  if (heapRecords === 0) fail("no HEAP DUMP record");
  // A file cut between two segments reads as a smaller heap: the end record says the dump is whole.
  if (segments && !heapDumpEnd) fail("truncated: no HEAP DUMP END record after the heap dump segments");

  const n = ids.length;
  // Cut to size before the graph's arrays are made: the growing array holds up to half as much again.
  const lookup = idLookup(ids.data.slice(0, n), n, classNodes, fail);
  ids.data = new Float64Array(0);

  // Pass 2: each object's class and size, its references resolved to nodes (those to objects not in the dump dropped).
  const nodeClass = new Int32Array(n); // class index; primitive arrays: -type; class objects: CLASS_NODE
  // Sizes in 32 bits (4 bytes an object less than a Float64Array): only an array can reach 4 GiB, and one that does is
  // kept aside (HUGE in its place) and the sizes widened at the end.
  let nodeSize: Uint32Array | Float64Array = new Uint32Array(n);
  let huge: Map<number, number> | undefined;
  const arraySize = (v: number, size: number): void => {
    if (size < HUGE) nodeSize[v] = size;
    else {
      nodeSize[v] = HUGE;
      (huge ??= new Map()).set(v, size);
    }
  };
  const edgeStart = new Uint32Array(n + 1);
  const edgeTarget = new Uint32Array(edgeBound);
  const edgeName = new Int32Array(edgeBound);
  let node = 0;
  let w = 0;
  const edge = (id: number, name: number): void => {
    if (id === 0) return;
    const to = lookup(id);
    if (to < 0) return;
    edgeTarget[w] = to;
    edgeName[w++] = name;
  };
  const loaderName = nameOf("<classloader>");
  const superName = nameOf("<super>");
  const idsPerWindow = (1 << 21) / idSize;

  const readHeap = (length: number): void => {
    const stop = r.offset + length;
    while (r.offset < stop) {
      const tag = r.u1();
      if (ROOT_KINDS[tag] !== undefined) {
        r.skip(idSize + rootExtra(tag));
        continue;
      }
      if (node >= n) fail("the file changed while it was read");
      edgeStart[node] = w;
      if (tag === 0x21 && r.end - r.pos >= header - 1) {
        const p = r.pos;
        const cls = classOf(r.idAt(p + idSize + 4))!;
        const bytes = u32(r.buf, p + 2 * idSize + 4);
        r.pos = p + 2 * idSize + 8;
        const shape = cls.shape!;
        r.need(bytes);
        const base = r.pos;
        const offsets = shape.refOffsets;
        for (let k = 0; k < offsets.length; k++) edge(r.idAt(base + offsets[k]!), shape.refNames[k]!);
        r.pos += bytes;
        nodeClass[node] = cls.index;
        nodeSize[node++] = cls.layout!.size;
        continue;
      }
      if (tag === 0x23 && r.end - r.pos >= header - 1) {
        const p = r.pos;
        const count = u32(r.buf, p + idSize + 4);
        const type = r.buf[p + idSize + 8]!;
        r.pos = p + idSize + 9;
        r.skip(count * VALUE_SIZE[type]!);
        nodeClass[node] = -type;
        arraySize(node++, align8(16 + count * VALUE_SIZE[type]!));
        continue;
      }
      switch (tag) {
        case 0x20: {
          const cls = classes.get(r.id())!;
          r.skip(cls.recordBytes - 1 - idSize);
          nodeClass[node] = CLASS_NODE;
          // A java.lang.Class mirror; the VM's size depends on its statics, not recorded.
          nodeSize[node] = 96;
          for (const [name, v] of cls.statics) edge(v, name);
          edge(cls.loaderId, loaderName);
          edge(cls.superId, superName);
          break;
        }
        case 0x21: {
          r.skip(idSize + 4);
          const cls = classOf(r.id())!;
          const bytes = r.u4();
          const shape = cls.shape!;
          r.need(bytes);
          const base = r.pos;
          for (let k = 0; k < shape.refOffsets.length; k++) edge(r.idAt(base + shape.refOffsets[k]!), shape.refNames[k]!);
          r.pos += bytes;
          nodeClass[node] = cls.index;
          nodeSize[node] = cls.layout!.size;
          break;
        }
        case 0x22: {
          r.skip(idSize + 4);
          const count = r.u4();
          nodeClass[node] = arrayClassIndex(r.id());
          arraySize(node, align8(16 + 4 * count));
          for (let i = 0; i < count; ) {
            const k = Math.min(count - i, idsPerWindow);
            r.need(k * idSize);
            for (let j = 0, p = r.pos; j < k; j++, p += idSize) edge(r.idAt(p), -1 - (i + j));
            r.pos += k * idSize;
            i += k;
          }
          break;
        }
        case 0x23: {
          r.skip(idSize + 4);
          const count = r.u4();
          const type = r.u1();
          r.skip(count * VALUE_SIZE[type]!);
          nodeClass[node] = -type;
          arraySize(node, align8(16 + count * VALUE_SIZE[type]!));
          break;
        }
        default:
          fail(`unknown heap dump sub-record tag 0x${tag.toString(16)}`);
      }
      node++;
    }
  };
  r = reopen();
  r.idSize = idSize;
  r.skip(headerEnd);
  while (!r.atEnd()) {
    const tag = r.u1();
    r.skip(4);
    const length = r.u4();
    if (tag === 0x0c || tag === 0x1c) readHeap(length);
    else r.skip(length);
  }
  if (node !== n) fail("the file changed while it was read");
  edgeStart[n] = w;
  if (huge !== undefined) {
    const wide = Float64Array.from(nodeSize);
    for (const [v, size] of huge) wide[v] = size;
    nodeSize = wide;
  }

  // Types: the histogram's names (java.lang.String, byte[], java.lang.Object[]), written over the class indexes.
  const typeIndex = new Map<string, number>();
  const typeNamed = (label: string): number => {
    let t = typeIndex.get(label);
    if (t === undefined) typeIndex.set(label, (t = typeIndex.size));
    return t;
  };
  const classType = typeNamed("java.lang.Class");
  const primitiveType = PRIMITIVE_ARRAY.map((name) => (name === "" ? -1 : typeNamed(name)));
  const typeOfClass = classNames.map((name) => typeNamed(normaliseJavaClassName(externalName(name))));
  // 16 bits when there are few enough types (almost always: a JVM's loaded classes), else over the class indexes.
  const nodeType = typeIndex.size <= 0x10000 ? new Uint16Array(n) : new Uint32Array(nodeClass.buffer, 0, n);
  for (let i = 0; i < n; i++) {
    const c = nodeClass[i]!;
    nodeType[i] = c === CLASS_NODE ? classType : c < 0 ? primitiveType[-c]! : typeOfClass[c]!;
  }

  const roots: number[] = [];
  const rootName: number[] = [];
  for (let k = 0; k < rootIds.length; k++) {
    const v = lookup(rootIds.data[k]!);
    if (v < 0) continue;
    roots.push(v);
    rootName.push(rootKinds[k]!);
  }
  const typeNames = [...typeIndex.keys()];
  const table = new TypeTable();
  const counts = new Float64Array(typeNames.length);
  const bytes = new Float64Array(typeNames.length);
  for (let i = 0; i < n; i++) {
    counts[nodeType[i]!]!++;
    bytes[nodeType[i]!]! += nodeSize[i]!;
  }
  for (let t = 0; t < typeNames.length; t++) if (counts[t]! > 0) table.add(typeNames[t]!, counts[t]!, bytes[t]!);
  const summary = table.toBody(FORMAT, {
    bytesExact: false,
    notes: [
      "HPROF heap dump: counts are exact; sizes are computed as HotSpot lays objects out with compressed references and class pointers (HPROF does not record them), equal to GC.class_histogram's but for java.lang.Class and the few JDK classes with VM-injected fields",
    ],
  });
  const graph: HeapGraph = {
    nodeCount: n,
    nodeType,
    nodeSize,
    edgeStart,
    edgeTarget: edgeTarget.subarray(0, w),
    edgeName: edgeName.subarray(0, w),
    roots: Uint32Array.from(roots),
    rootName: Int32Array.from(rootName),
    typeNames,
    names: nameList,
  };
  return { summary, graph };
}
