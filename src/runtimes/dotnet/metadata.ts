// The few ECMA-335 metadata tables leakwatch needs from an assembly file: each TypeDef's namespace and name, and
// which type each nested type is declared in (NestedClass). The runtime's BulkType event names a nested type by its
// own name only (`Inner`, `<>c`), without its declaring types; SOS reads them from this metadata
// (`Outer+Inner`, `System.Type+<>c`), and so does leakwatch, to give a type the same name whichever source dumped it.
//
// Read with positioned reads (headers, the `#~` tables stream, the `#Strings` heap), never the whole file, and
// checked as it goes: a malformed file is a ParseError (the caller then keeps the short names).
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { ParseError } from "../../model/parse-error.js";

/** Largest metadata stream read (System.Private.CoreLib's tables are ~5 MiB). */
const MAX_STREAM_BYTES = 256 * 1024 * 1024;
/** Largest TypeDef count accepted (a garbled header could claim billions). */
const MAX_TYPEDEFS = 16 * 1024 * 1024;

export interface AssemblyTypes {
  /** Number of TypeDef rows (tokens 0x02000001 … 0x02000000 + count). */
  readonly count: number;
  /** Namespace of TypeDef row `row` (1-based; "" for nested types and the global namespace). */
  namespace(row: number): string;
  /** Own name of TypeDef row `row`, with its generic arity suffix (`Dictionary\`2`, `Entry`, `<>c`). */
  name(row: number): string;
  /** The row of the type that declares row `row`, or 0 when it is not nested. */
  enclosing(row: number): number;
  /** The TypeDef rows that declare a static field of this name (a heap dump names a static root by its field only). */
  staticFieldOwners(field: string): readonly number[];
  /** The instance fields TypeDef row `row` declares itself (not inherited): name and signature blob (ECMA-335 II.23.2.4). */
  instanceFields(row: number): readonly InstanceField[];
  /** TypeDef row `row`'s base type as a TypeDefOrRef coded index (tag in the low 2 bits: 0 TypeDef, 1 TypeRef, 2 TypeSpec); 0: none. */
  baseType(row: number): number;
  /** Full name of TypeRef row `row` with its declaring types (`System.Collections.Generic.List\`1`); undefined when out of range. */
  typeRefName(row: number): string | undefined;
  /** Signature blob of TypeSpec row `row`; undefined when out of range. */
  typeSpec(row: number): Uint8Array | undefined;
  /** The interfaces TypeDef row `row` declares it implements (InterfaceImpl), as TypeDefOrRef coded indices. */
  interfaces(row: number): readonly number[];
}

export interface InstanceField {
  readonly name: string;
  readonly sig: Uint8Array;
}

/**
 * Full reflection name of TypeDef row `row` with its declaring types: `Leakwatch.Targets.Outer+Inner`,
 * `System.Collections.Generic.Dictionary\`2+Entry`. Undefined for a row out of range or a cycle (garbage).
 */
export function fullTypeDefName(types: AssemblyTypes, row: number): string | undefined {
  if (row < 1 || row > types.count) return undefined;
  const parts: string[] = [];
  for (let r = row, depth = 0; r !== 0; r = types.enclosing(r), depth++) {
    if (r < 1 || r > types.count || depth > 64) return undefined;
    parts.push(types.name(r));
    if (types.enclosing(r) === 0) {
      const ns = types.namespace(r);
      if (ns !== "") parts[parts.length - 1] = `${ns}.${parts[parts.length - 1]}`;
    }
  }
  return parts.reverse().join("+");
}

class File {
  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly path: string,
  ) {}

  async read(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || length < 0 || offset + length > this.size) this.fail(`read of ${length} bytes at ${offset} beyond the file's ${this.size}`);
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) this.fail("file shorter than it said");
      done += bytesRead;
    }
    return buf;
  }

  fail(why: string): never {
    throw new ParseError("unknown", 0, `${this.path}: not a .NET assembly: ${why}`);
  }
}

interface Section {
  va: number;
  vsize: number;
  raw: number;
  rawSize: number;
}

/**
 * Reads the TypeDef and NestedClass tables of the assembly at `file` (a path readable by this process).
 * Throws ParseError when it is not a .NET assembly or is malformed, and the fs error when it cannot be read.
 */
export async function readAssemblyTypes(file: string): Promise<AssemblyTypes> {
  // O_NONBLOCK: a FIFO planted where an assembly was expected must not hang the dump; it is then refused below.
  const fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    const f = new File(fh, st.size, file);
    if (!st.isFile()) f.fail("not a regular file");
    return await readTypes(f);
  } finally {
    await fh.close();
  }
}

async function readTypes(f: File): Promise<AssemblyTypes> {
  if (f.size < 0x40) f.fail("too short");
  const dos = await f.read(0, 0x40);
  if (dos.readUInt16LE(0) !== 0x5a4d) f.fail("no MZ header");
  const pe = dos.readUInt32LE(0x3c);
  const coff = await f.read(pe, 24);
  if (coff.readUInt32LE(0) !== 0x4550) f.fail("no PE signature");
  const sections = coff.readUInt16LE(6);
  const optSize = coff.readUInt16LE(20);
  const opt = await f.read(pe + 24, optSize);
  const magic = opt.readUInt16LE(0);
  const dirs = magic === 0x20b ? 112 : magic === 0x10b ? 96 : f.fail(`optional header magic 0x${magic.toString(16)}`);
  if (dirs + 15 * 8 > optSize) f.fail("no CLI header directory");
  const cliRva = opt.readUInt32LE(dirs + 14 * 8);
  if (cliRva === 0) f.fail("no CLI header (a native library)");
  const table = await f.read(pe + 24 + optSize, sections * 40);
  const secs: Section[] = [];
  for (let i = 0; i < sections; i++) {
    const o = i * 40;
    secs.push({ vsize: table.readUInt32LE(o + 8), va: table.readUInt32LE(o + 12), rawSize: table.readUInt32LE(o + 16), raw: table.readUInt32LE(o + 20) });
  }
  const offsetOf = (rva: number): number => {
    for (const s of secs) if (rva >= s.va && rva < s.va + Math.max(s.vsize, s.rawSize)) return s.raw + (rva - s.va);
    return f.fail(`RVA 0x${rva.toString(16)} in no section`);
  };
  const cli = await f.read(offsetOf(cliRva), 16);
  const mdOffset = offsetOf(cli.readUInt32LE(8));
  const mdSize = cli.readUInt32LE(12);
  const root = await f.read(mdOffset, Math.min(mdSize, 4096));
  if (root.readUInt32LE(0) !== 0x424a5342) f.fail("no metadata signature");
  const versionLength = root.readUInt32LE(12);
  let p = 16 + versionLength;
  if (p + 4 > root.length) f.fail("metadata root truncated");
  const streamCount = root.readUInt16LE(p + 2);
  p += 4;
  let tables: { offset: number; size: number } | undefined;
  let strings: { offset: number; size: number } | undefined;
  let blobs: { offset: number; size: number } | undefined;
  for (let i = 0; i < streamCount; i++) {
    if (p + 8 > root.length) f.fail("stream headers truncated");
    const offset = root.readUInt32LE(p);
    const size = root.readUInt32LE(p + 4);
    const end = root.indexOf(0, p + 8);
    if (end < 0) f.fail("stream name unterminated");
    const name = root.toString("latin1", p + 8, end);
    p += 8 + (((end - (p + 8)) >> 2) + 1) * 4;
    if (offset + size > mdSize || size > MAX_STREAM_BYTES) f.fail(`stream ${name} out of bounds`);
    if (name === "#~" || name === "#-") tables = { offset: mdOffset + offset, size };
    else if (name === "#Strings") strings = { offset: mdOffset + offset, size };
    else if (name === "#Blob") blobs = { offset: mdOffset + offset, size };
  }
  if (tables === undefined || strings === undefined) f.fail("no #~ or #Strings stream");
  const at = tables.offset;
  const size = tables.size;
  return decodeTables(
    (offset, length) => (offset + length > size ? f.fail("tables beyond the #~ stream") : f.read(at + offset, length)),
    size,
    await f.read(strings.offset, strings.size),
    // Read whole but only while the tables are decoded: the field and TypeSpec signatures are copied out of it.
    blobs === undefined ? Buffer.alloc(0) : await f.read(blobs.offset, blobs.size),
    (why) => f.fail(why),
  );
}

// Column kinds of the tables before NestedClass (ECMA-335 II.22), enough to find each table's row size.
// Numbers: fixed sizes in bytes; "s" string heap index, "g" guid, "b" blob; "t:N" index into table N;
// "c:NAME" a coded index.
const CODED: Record<string, { bits: number; tables: number[] }> = {
  TypeDefOrRef: { bits: 2, tables: [0x02, 0x01, 0x1b] },
  HasConstant: { bits: 2, tables: [0x04, 0x08, 0x17] },
  HasCustomAttribute: {
    bits: 5,
    tables: [0x06, 0x04, 0x01, 0x02, 0x08, 0x09, 0x0a, 0x00, 0x0e, 0x17, 0x14, 0x11, 0x1a, 0x1b, 0x20, 0x23, 0x26, 0x27, 0x28, 0x2a, 0x2c, 0x2b],
  },
  HasFieldMarshal: { bits: 1, tables: [0x04, 0x08] },
  HasDeclSecurity: { bits: 2, tables: [0x02, 0x06, 0x20] },
  MemberRefParent: { bits: 3, tables: [0x02, 0x01, 0x1a, 0x06, 0x1b] },
  HasSemantics: { bits: 1, tables: [0x14, 0x17] },
  MethodDefOrRef: { bits: 1, tables: [0x06, 0x0a] },
  MemberForwarded: { bits: 1, tables: [0x04, 0x06] },
  Implementation: { bits: 2, tables: [0x26, 0x23, 0x27] },
  CustomAttributeType: { bits: 3, tables: [0x06, 0x0a] },
  ResolutionScope: { bits: 2, tables: [0x00, 0x1a, 0x23, 0x01] },
};

const SCHEMA: readonly (readonly (number | string)[])[] = [
  /* 0x00 Module */ [2, "s", "g", "g", "g"],
  /* 0x01 TypeRef */ ["c:ResolutionScope", "s", "s"],
  /* 0x02 TypeDef */ [4, "s", "s", "c:TypeDefOrRef", "t:4", "t:6"],
  /* 0x03 FieldPtr */ ["t:4"],
  /* 0x04 Field */ [2, "s", "b"],
  /* 0x05 MethodPtr */ ["t:6"],
  /* 0x06 MethodDef */ [4, 2, 2, "s", "b", "t:8"],
  /* 0x07 ParamPtr */ ["t:8"],
  /* 0x08 Param */ [2, 2, "s"],
  /* 0x09 InterfaceImpl */ ["t:2", "c:TypeDefOrRef"],
  /* 0x0a MemberRef */ ["c:MemberRefParent", "s", "b"],
  /* 0x0b Constant */ [2, "c:HasConstant", "b"],
  /* 0x0c CustomAttribute */ ["c:HasCustomAttribute", "c:CustomAttributeType", "b"],
  /* 0x0d FieldMarshal */ ["c:HasFieldMarshal", "b"],
  /* 0x0e DeclSecurity */ [2, "c:HasDeclSecurity", "b"],
  /* 0x0f ClassLayout */ [2, 4, "t:2"],
  /* 0x10 FieldLayout */ [4, "t:4"],
  /* 0x11 StandAloneSig */ ["b"],
  /* 0x12 EventMap */ ["t:2", "t:20"],
  /* 0x13 EventPtr */ ["t:20"],
  /* 0x14 Event */ [2, "s", "c:TypeDefOrRef"],
  /* 0x15 PropertyMap */ ["t:2", "t:23"],
  /* 0x16 PropertyPtr */ ["t:23"],
  /* 0x17 Property */ [2, "s", "b"],
  /* 0x18 MethodSemantics */ [2, "t:6", "c:HasSemantics"],
  /* 0x19 MethodImpl */ ["t:2", "c:MethodDefOrRef", "c:MethodDefOrRef"],
  /* 0x1a ModuleRef */ ["s"],
  /* 0x1b TypeSpec */ ["b"],
  /* 0x1c ImplMap */ [2, "c:MemberForwarded", "s", "t:26"],
  /* 0x1d FieldRVA */ [4, "t:4"],
  /* 0x1e EncLog */ [4, 4],
  /* 0x1f EncMap */ [4],
  /* 0x20 Assembly */ [4, 2, 2, 2, 2, 4, "b", "s", "s"],
  /* 0x21 AssemblyProcessor */ [4],
  /* 0x22 AssemblyOS */ [4, 4, 4],
  /* 0x23 AssemblyRef */ [2, 2, 2, 2, 4, "b", "s", "s", "b"],
  /* 0x24 AssemblyRefProcessor */ [4, "t:35"],
  /* 0x25 AssemblyRefOS */ [4, 4, 4, "t:35"],
  /* 0x26 File */ [4, "s", "b"],
  /* 0x27 ExportedType */ [4, 4, "s", "s", "c:Implementation"],
  /* 0x28 ManifestResource */ [4, 4, "s", "c:Implementation"],
];
const TYPEREF = 0x01;
const TYPEDEF = 0x02;
const FIELD = 0x04;
const TYPESPEC = 0x1b;
const INTERFACE_IMPL = 0x09;
const NESTED_CLASS = 0x29;
/** FieldAttributes.Static. */
const FIELD_STATIC = 0x10;

/**
 * The TypeDef, TypeRef, TypeSpec, Field and NestedClass tables, read from the `#~` stream (`read`: offset and length
 * within it): its header first, then only those tables (the stream holds every table: megabytes, for
 * System.Private.CoreLib).
 */
async function decodeTables(
  read: (offset: number, length: number) => Promise<Buffer>,
  streamSize: number,
  strings: Buffer,
  blobHeap: Buffer,
  fail: (why: string) => never,
): Promise<AssemblyTypes> {
  if (streamSize < 24) fail("#~ stream too short");
  const t = await read(0, Math.min(streamSize, 24 + 64 * 4 + 4));
  const heapSizes = t.readUInt8(6);
  const valid = t.readBigUInt64LE(8);
  const rows = new Array<number>(64).fill(0);
  let p = 24;
  for (let i = 0; i < 64; i++) {
    if ((valid >> BigInt(i)) & 1n) {
      if (p + 4 > t.length) fail("row counts truncated");
      rows[i] = t.readUInt32LE(p);
      p += 4;
    }
  }
  // Bit 0x40: an extra 4 bytes after the row counts (written by some compilers for edit-and-continue).
  if (heapSizes & 0x40) p += 4;
  const str = heapSizes & 0x01 ? 4 : 2;
  const guid = heapSizes & 0x02 ? 4 : 2;
  const blob = heapSizes & 0x04 ? 4 : 2;
  const index = (table: number): number => (rows[table]! < 0x10000 ? 2 : 4);
  const coded = (name: string): number => {
    const c = CODED[name]!;
    const most = Math.max(...c.tables.map((x) => rows[x]!));
    return most < 2 ** (16 - c.bits) ? 2 : 4;
  };
  const columnSize = (col: number | string): number => {
    if (typeof col === "number") return col;
    if (col === "s") return str;
    if (col === "g") return guid;
    if (col === "b") return blob;
    if (col.startsWith("t:")) return index(Number(col.slice(2)));
    return coded(col.slice(2));
  };
  const tableAt: number[] = [];
  const rowSize: number[] = [];
  for (let i = 0; i < NESTED_CLASS; i++) {
    rowSize.push(SCHEMA[i]!.reduce<number>((s, c) => s + columnSize(c), 0));
    tableAt.push(p);
    p += rowSize[i]! * rows[i]!;
  }
  const typeDefAt = tableAt[TYPEDEF]!;
  const typeDefRowSize = rowSize[TYPEDEF]!;
  const fieldAt = tableAt[FIELD]!;
  const fieldRowSize = rowSize[FIELD]!;
  const nestedAt = p;
  const count = rows[TYPEDEF]!;
  if (count > MAX_TYPEDEFS) fail(`${count} TypeDef rows`);
  const typeIndex = index(TYPEDEF);
  const readIndex = (b: Buffer, at: number, size: number): number => (size === 2 ? b.readUInt16LE(at) : b.readUInt32LE(at));
  const nestedRows = await read(nestedAt, rows[NESTED_CLASS]! * 2 * typeIndex);
  const typeDefRows = await read(typeDefAt, count * typeDefRowSize);
  const enclosing = new Uint32Array(count + 1);
  for (let i = 0; i < rows[NESTED_CLASS]!; i++) {
    const at = i * 2 * typeIndex;
    const nested = readIndex(nestedRows, at, typeIndex);
    const outer = readIndex(nestedRows, at + typeIndex, typeIndex);
    if (nested >= 1 && nested <= count && outer <= count) enclosing[nested] = outer;
  }
  const stringAt = (offset: number): string => {
    const end = strings.indexOf(0, offset);
    return strings.toString("utf8", offset, end < 0 ? strings.length : end);
  };
  // Only the string offsets are kept (8 bytes a type), not the tables stream.
  const names = new Uint32Array(count + 1);
  const namespaces = new Uint32Array(count + 1);
  for (let row = 1; row <= count; row++) {
    const at = (row - 1) * typeDefRowSize;
    names[row] = readIndex(typeDefRows, at + 4, str);
    namespaces[row] = readIndex(typeDefRows, at + 4 + str, str);
    if (names[row]! >= strings.length || namespaces[row]! >= strings.length) fail(`TypeDef ${row}: string offset beyond the #Strings heap`);
  }
  // Static fields: each TypeDef's fields run from its FieldList to the next one's (ECMA-335 II.22.37). Kept as
  // string offsets (8 bytes a static field); the name → declaring types map is made on first use.
  const fields = rows[FIELD]!;
  const fieldIndex = index(FIELD);
  const fieldListAt = 4 + 2 * str + coded("TypeDefOrRef");
  const fieldRows = rows[0x03] === 0 && fields > 0 ? await read(fieldAt, fields * fieldRowSize) : undefined;
  const staticName: number[] = [];
  const staticOwner: number[] = [];
  // Instance fields, per TypeDef (CSR): the name's string offset and the signature, copied out of the blob heap
  // into one packed array (a few bytes each) so that the heap is not kept.
  const fieldStart = new Uint32Array(count + 2);
  const fieldName: number[] = [];
  const sigs = new Packed();
  const blobAt = (index: number, what: string): Uint8Array => {
    const b = blobOf(blobHeap, index);
    if (b === undefined) fail(`${what}: blob offset beyond the #Blob heap`);
    return b;
  };
  if (fieldRows !== undefined) {
    for (let row = 1; row <= count; row++) {
      fieldStart[row] = fieldName.length;
      const first = readIndex(typeDefRows, (row - 1) * typeDefRowSize + fieldListAt, fieldIndex);
      const next = row < count ? readIndex(typeDefRows, row * typeDefRowSize + fieldListAt, fieldIndex) : fields + 1;
      for (let f = Math.max(first, 1); f < next && f <= fields; f++) {
        const at = (f - 1) * fieldRowSize;
        const name = readIndex(fieldRows, at + 2, str);
        if (name >= strings.length) fail(`Field ${f}: string offset beyond the #Strings heap`);
        if ((fieldRows.readUInt16LE(at) & FIELD_STATIC) !== 0) {
          staticName.push(name);
          staticOwner.push(row);
        } else {
          fieldName.push(name);
          sigs.push(blobAt(readIndex(fieldRows, at + 2 + str, blob), `Field ${f}`));
        }
      }
    }
  }
  fieldStart[count + 1] = fieldName.length;
  const fieldNames = Uint32Array.from(fieldName);
  // Base types: TypeDef's Extends column.
  const extendsAt = 4 + 2 * str;
  const extendsSize = coded("TypeDefOrRef");
  const bases = new Uint32Array(count + 1);
  for (let row = 1; row <= count; row++) bases[row] = readIndex(typeDefRows, (row - 1) * typeDefRowSize + extendsAt, extendsSize);
  // TypeRefs: scope (a TypeRef when nested), name, namespace.
  const refCount = rows[TYPEREF]!;
  const refRows = await read(tableAt[TYPEREF]!, refCount * rowSize[TYPEREF]!);
  const scopeSize = coded("ResolutionScope");
  const refName = (row: number, depth = 0): string | undefined => {
    if (row < 1 || row > refCount || depth > 64) return undefined;
    const at = (row - 1) * rowSize[TYPEREF]!;
    const scope = readIndex(refRows, at, scopeSize);
    const name = stringAt(readIndex(refRows, at + scopeSize, str));
    if ((scope & 3) === 3) {
      const outer = refName(scope >>> 2, depth + 1);
      return outer === undefined ? undefined : `${outer}+${name}`;
    }
    const ns = stringAt(readIndex(refRows, at + scopeSize + str, str));
    return ns === "" ? name : `${ns}.${name}`;
  };
  // InterfaceImpl: (class, interface) rows; kept per class as coded indices.
  const implRowSize = rowSize[INTERFACE_IMPL]!;
  const implRows = await read(tableAt[INTERFACE_IMPL]!, rows[INTERFACE_IMPL]! * implRowSize);
  const implements_ = new Map<number, number[]>();
  for (let i = 0; i < rows[INTERFACE_IMPL]!; i++) {
    const cls = readIndex(implRows, i * implRowSize, typeIndex);
    const iface = readIndex(implRows, i * implRowSize + typeIndex, extendsSize);
    const list = implements_.get(cls);
    if (list === undefined) implements_.set(cls, [iface]);
    else list.push(iface);
  }
  // TypeSpecs: their signatures, packed as the fields' are.
  const specs = new Packed();
  const specRows = await read(tableAt[TYPESPEC]!, rows[TYPESPEC]! * rowSize[TYPESPEC]!);
  for (let row = 1; row <= rows[TYPESPEC]!; row++) specs.push(blobAt(readIndex(specRows, (row - 1) * rowSize[TYPESPEC]!, blob), `TypeSpec ${row}`));
  let owners: Map<string, number[]> | undefined;
  return {
    count,
    name: (row) => stringAt(names[row] ?? 0),
    namespace: (row) => stringAt(namespaces[row] ?? 0),
    enclosing: (row) => enclosing[row] ?? 0,
    staticFieldOwners: (field) => {
      if (owners === undefined) {
        owners = new Map();
        for (let i = 0; i < staticName.length; i++) {
          const n = stringAt(staticName[i]!);
          const list = owners.get(n);
          if (list === undefined) owners.set(n, [staticOwner[i]!]);
          else list.push(staticOwner[i]!);
        }
      }
      return owners.get(field) ?? [];
    },
    instanceFields: (row) => {
      if (row < 1 || row > count) return [];
      const out: InstanceField[] = [];
      for (let i = fieldStart[row]!; i < fieldStart[row + 1]!; i++) out.push({ name: stringAt(fieldNames[i]!), sig: sigs.get(i) });
      return out;
    },
    baseType: (row) => (row >= 1 && row <= count ? bases[row]! : 0),
    typeRefName: (row) => refName(row),
    typeSpec: (row) => (row >= 1 && row <= specs.length ? specs.get(row - 1) : undefined),
    interfaces: (row) => implements_.get(row) ?? [],
  };
}

/** The blob at `index` in the #Blob heap (its length is compressed in front of it: ECMA-335 II.24.2.4); undefined beyond it. */
function blobOf(heap: Buffer, index: number): Uint8Array | undefined {
  if (index >= heap.length) return index === 0 ? new Uint8Array(0) : undefined;
  const b = heap[index]!;
  let length: number;
  let at: number;
  if ((b & 0x80) === 0) {
    length = b;
    at = index + 1;
  } else if ((b & 0xc0) === 0x80) {
    if (index + 2 > heap.length) return undefined;
    length = ((b & 0x3f) << 8) | heap[index + 1]!;
    at = index + 2;
  } else {
    if (index + 4 > heap.length) return undefined;
    length = (b & 0x1f) * 2 ** 24 + (heap[index + 1]! << 16) + (heap[index + 2]! << 8) + heap[index + 3]!;
    at = index + 4;
  }
  return at + length <= heap.length ? heap.subarray(at, at + length) : undefined;
}

/** Byte strings packed end to end with their offsets: a few bytes each instead of an object each. */
class Packed {
  private bytes = new Uint8Array(256);
  private ends: number[] = [];
  private used = 0;

  get length(): number {
    return this.ends.length;
  }

  push(b: Uint8Array): void {
    if (this.used + b.length > this.bytes.length) {
      const more = new Uint8Array(Math.max(this.bytes.length * 2, this.used + b.length));
      more.set(this.bytes.subarray(0, this.used));
      this.bytes = more;
    }
    this.bytes.set(b, this.used);
    this.used += b.length;
    this.ends.push(this.used);
  }

  get(i: number): Uint8Array {
    return this.bytes.subarray(i === 0 ? 0 : this.ends[i - 1]!, this.ends[i]!);
  }
}
