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

/**
 * A class name as the histogram prints it, from its internal form: `java/lang/String`, and a hidden class's
 * `Foo$$Lambda$56+0x80000005d` as `Foo$$Lambda$56/0x80000005d` (normalisation then drops the suffix either way).
 */
export function externalName(internal: string): string {
  return internal.replaceAll("/", ".").replace(/\+(0x[0-9a-fA-F]+)(?=\[|;|$)/g, "/$1");
}

/** A byte reader over a file with a refillable window: records may be anywhere, the window stays 4 MiB. */
class Reader {
  private buf = Buffer.allocUnsafe(1 << 22);
  private pos = 0;
  private end = 0;
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
  // Addresses are 8-aligned: mix the bits above the alignment.
  const lo = id >>> 0;
  const hi = (id / 0x100000000) >>> 0;
  return Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) ^ (lo >>> 15);
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
  /** Static reference fields: name id → value id. */
  statics: [number, number][];
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

class Growing {
  data: Float64Array<ArrayBuffer>;
  length = 0;
  constructor(size = 1 << 16) {
    this.data = new Float64Array(size);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Float64Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
}

/**
 * Reads an HPROF file into its per-class summary and its heap graph. Throws ParseError with one clear reason.
 * Reads synchronously (a 4 MiB window at a time): for the CLI; the daemon must run it off its event loop.
 */
export async function readHprofGraph(file: string): Promise<{ summary: DumpSummaryBody; graph: HeapGraph }> {
  const fd = openSync(file, "r");
  const r = new Reader(fd);
  try {
    return readHprof(r);
  } catch (err) {
    if (err instanceof ParseError) throw err;
    // A corrupt file must fail with a ParseError whatever it trips over, never another kind of error.
    throw new ParseError(FORMAT, r.offset, `corrupt HPROF file: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    closeSync(fd);
  }
}

function readHprof(r: Reader): { summary: DumpSummaryBody; graph: HeapGraph } {
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
  r.idSize = r.u4();
  if (r.idSize !== 4 && r.idSize !== 8) fail(`identifier size ${r.idSize}, expected 4 or 8`);
  r.skip(8);
  const idSize = r.idSize;

  const strings = new Map<number, string>();
  const classNameId = new Map<number, number>(); // class object id → name string id
  const classes = new Map<number, ClassInfo>();
  const ids = new IdTable();
  const nodeClass = new Growing(); // per node: class object id (arrays: their class id; primitive arrays: -type)
  const nodeSize = new Growing();
  // Each object's references are read right after it: per node the index of its first edge, per edge the target's id
  // (resolved to a node once every object is known) and its name (≥ 0: index in nameList; < 0: -1 - element index).
  const edgeFirst = new Growing();
  const edgeTo = new Growing();
  const edgeName = new Growing();
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
  const rootIds = new Growing();
  const rootKinds: number[] = [];
  let heapRecords = 0;
  let segments = false;
  let heapDumpEnd = false;

  const addNode = (id: number, cls: number, size: number): number => {
    const index = nodeSize.length;
    if (!ids.set(id, index)) fail(`object ${id.toString(16)} dumped twice`);
    nodeClass.push(cls);
    nodeSize.push(size);
    edgeFirst.push(edgeTo.length);
    return index;
  };
  /** A reference of the node read last. */
  const addEdge = (to: number, name: number): void => {
    if (to === 0) return;
    edgeTo.push(to);
    edgeName.push(name);
  };
  const skipValue = (type: number): number => {
    const size = type === 2 ? idSize : VALUE_SIZE[type];
    if (size === undefined || size <= 0) fail(`unknown basic type ${type}`);
    if (type === 2) return r.id();
    r.skip(size!);
    return 0;
  };

  const heapDump = (length: number): void => {
    const stop = r.offset + length;
    while (r.offset < stop) {
      const tag = r.u1();
      const root = ROOT_KINDS[tag];
      if (root !== undefined) {
        rootIds.push(r.id());
        rootKinds.push(nameOf(root));
        if (tag === 0x01) r.skip(idSize);
        else if (tag === 0x02 || tag === 0x03 || tag === 0x08) r.skip(8);
        else if (tag === 0x04 || tag === 0x06) r.skip(4);
        continue;
      }
      switch (tag) {
        case 0x20: {
          // CLASS DUMP
          const id = r.id();
          r.skip(4);
          const superId = r.id();
          const loader = r.id();
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
            if (type === 2 && v !== 0) statics.push([name, v]);
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
          const nameId = classNameId.get(id);
          const name = nameId === undefined ? undefined : strings.get(nameId);
          const fieldEdgeNames = fieldNames.map((f) => nameOf(strings.get(f) ?? "?"));
          classes.set(id, { name: name ?? `class@${id.toString(16)}`, superId, fieldNames, fieldTypes, fieldEdgeNames, statics });
          // The class object itself is a node (java.lang.Class): its statics are its references.
          addNode(id, -100, 0);
          for (const [nameStr, v] of statics) addEdge(v, nameOf(`static ${strings.get(nameStr) ?? "?"}`));
          if (loader !== 0) addEdge(loader, nameOf("<classloader>"));
          if (superId !== 0) addEdge(superId, nameOf("<super>"));
          break;
        }
        case 0x21: {
          // INSTANCE DUMP: field values of the class, then of its superclasses.
          const id = r.id();
          r.skip(4);
          const classId = r.id();
          const bytes = r.u4();
          const end = r.offset + bytes;
          if (!classes.has(classId)) fail(`instance of class ${classId.toString(16)} before its CLASS DUMP`);
          const cls = classes.get(classId)!;
          const layout = (cls.layout ??= layoutFor(cls, classes, strings));
          addNode(id, classId, layout.size);
          for (const c of layout.chain) {
            for (let f = 0; f < c.fieldTypes.length; f++) {
              const type = c.fieldTypes[f]!;
              if (type === 2) addEdge(r.id(), c.fieldEdgeNames[f]!);
              else r.skip(VALUE_SIZE[type]!);
            }
          }
          if (r.offset !== end) fail(`instance ${id.toString(16)}: ${bytes} bytes of fields, its class layout reads ${bytes - (end - r.offset)}`);
          break;
        }
        case 0x22: {
          // OBJECT ARRAY DUMP
          const id = r.id();
          r.skip(4);
          const n = r.u4();
          const classId = r.id();
          addNode(id, classId, align8(16 + 4 * n));
          for (let i = 0; i < n; i++) addEdge(r.id(), -1 - i);
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
          r.skip(n * size!);
          addNode(id, -type, align8(16 + n * size!));
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
        const id = r.id();
        if (length < idSize) fail("STRING record shorter than its identifier");
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
        heapDump(length);
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

  // Types: the histogram's names (java.lang.String, byte[], java.lang.Object[]).
  const typeIndex = new Map<string, number>();
  const typeOfClass = new Map<number, number>();
  const typeNamed = (label: string): number => {
    let t = typeIndex.get(label);
    if (t === undefined) typeIndex.set(label, (t = typeIndex.size));
    return t;
  };
  const n = nodeSize.length;
  const nodeType = new Uint32Array(n);
  const classType = typeNamed("java.lang.Class");
  for (let i = 0; i < n; i++) {
    const c = nodeClass.data[i]!;
    let t: number | undefined;
    if (c === -100) t = classType;
    else if (c < 0) t = typeNamed(PRIMITIVE_ARRAY[-c]!);
    else {
      t = typeOfClass.get(c);
      if (t === undefined) {
        const name = classes.get(c)?.name ?? strings.get(classNameId.get(c) ?? -1) ?? `class@${c.toString(16)}`;
        t = typeNamed(normaliseJavaClassName(externalName(name)));
        typeOfClass.set(c, t);
      }
    }
    nodeType[i] = t;
  }
  // Class objects' sizes: a java.lang.Class mirror; the VM's size depends on its statics, not recorded.
  for (let i = 0; i < n; i++) if (nodeClass.data[i] === -100) nodeSize.data[i] = 96;

  // Edges in CSR: resolved to nodes, those to objects not in the dump dropped, compacted in place.
  const m = edgeTo.length;
  const edgeStart = new Uint32Array(n + 1);
  const edgeTarget = new Uint32Array(m);
  const edgeNames = new Int32Array(m);
  let w = 0;
  for (let i = 0; i < n; i++) {
    edgeStart[i] = w;
    const end = i + 1 < n ? edgeFirst.data[i + 1]! : m;
    for (let e = edgeFirst.data[i]!; e < end; e++) {
      const to = ids.get(edgeTo.data[e]!);
      if (to < 0) continue;
      edgeTarget[w] = to;
      edgeNames[w++] = edgeName.data[e]!;
    }
  }
  edgeStart[n] = w;

  const roots: number[] = [];
  const rootName: number[] = [];
  for (let k = 0; k < rootIds.length; k++) {
    const node = ids.get(rootIds.data[k]!);
    if (node < 0) continue;
    roots.push(node);
    rootName.push(rootKinds[k]!);
  }
  const typeNames = [...typeIndex.keys()];
  const table = new TypeTable();
  const counts = new Float64Array(typeNames.length);
  const bytes = new Float64Array(typeNames.length);
  for (let i = 0; i < n; i++) {
    counts[nodeType[i]!]!++;
    bytes[nodeType[i]!]! += nodeSize.data[i]!;
  }
  for (let t = 0; t < typeNames.length; t++) if (counts[t]! > 0) table.add(typeNames[t]!, counts[t]!, bytes[t]!);
  const summary = table.toBody(FORMAT, {
    bytesExact: false,
    notes: ["HPROF heap dump: counts are exact; sizes are computed for compressed references and class pointers (HPROF does not record them)"],
  });
  const graph: HeapGraph = {
    nodeCount: n,
    nodeType,
    nodeSize: nodeSize.data.slice(0, n),
    edgeStart,
    edgeTarget: edgeTarget.slice(0, w),
    edgeName: edgeNames.slice(0, w),
    roots: Uint32Array.from(roots),
    rootName: Int32Array.from(rootName),
    typeNames,
    names: nameList,
  };
  return { summary, graph };
}
