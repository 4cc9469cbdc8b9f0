// Streaming parser for V8 .heapsnapshot files (Node's v8.writeHeapSnapshot, --heapsnapshot-signal, Chrome,
// or the inspector's HeapProfiler.addHeapSnapshotChunk events).
//
// Layout: {"snapshot":{"meta":{...},"node_count":N,...},"nodes":[...],"edges":[...],"trace_function_infos":[...],
//          "trace_tree":[...],"samples":[...],"locations":[...],"strings":[...]}
// Snapshots run to gigabytes, so nothing but the small "snapshot" header is ever JSON.parse'd and the
// nodes/edges arrays are never stored. The big integer arrays go through a hand-rolled byte-level state
// machine instead of a JSON library: it keeps state across chunk boundaries (chunks may split anywhere,
// even inside a number or an escape), allocates nothing per number, and is what makes the parser an order of
// magnitude faster than tools that materialise the graph.
//
// Node names are indices into "strings", which comes AFTER "nodes". So nodes are aggregated during the nodes
// pass by name index (object/native nodes) or by node type (every other kind, see v8-classes.ts), and only
// the strings those aggregates reference are decoded when "strings" streams by. Memory grows with the number
// of distinct constructor names, not with the snapshot size.
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import type { DumpSummaryBody } from "../../model/summary.js";
import { LimitError, ParseError } from "../../model/parse-error.js";
import { DEFAULT_MAX_DUMP_TYPES, type DumpLimits } from "../../formats/limits.js";
import { capTypeName } from "../../formats/normalise.js";
import { normaliseV8Name } from "./normalise.js";
import { TypeTable } from "../../formats/type-table.js";
import { NAMED_NODE_TYPES, bucketForNodeType } from "./snapshot-classes.js";
import { SnapshotGraphCollector } from "./snapshot-graph.js";
import { type HeapGraph, sortedIndexOf } from "../../model/heap-graph.js";

const FORMAT = "v8-heapsnapshot";

/** The streaming parser: feed chunks with write(), get the summary from end(). */
export interface V8SnapshotParser {
  /** Feeds the next chunk. Throws ParseError as soon as the input is known to be bad (and on every later call). */
  write(chunk: string | Uint8Array): void;
  /** Finishes the parse. Throws ParseError when the snapshot is truncated or inconsistent. */
  end(): DumpSummaryBody;
  /** After end(), for a parser created with `{ graph: true }`: the heap graph of the same snapshot. */
  graph(): HeapGraph;
}

/**
 * Creates a streaming V8 heap-snapshot parser. `maxTypes` caps the distinct constructor names it aggregates (a
 * LimitError beyond): its memory grows with them, not with the snapshot's size, which therefore has no cap.
 */
export function createV8SnapshotParser(
  limits: Pick<DumpLimits, "maxTypes"> = { maxTypes: DEFAULT_MAX_DUMP_TYPES },
  options: { graph?: boolean } = {},
): V8SnapshotParser {
  // With the graph, the same pass over the snapshot feeds the summary and the graph: the target is asked for nothing more.
  return new SnapshotStreamParser(limits.maxTypes, options.graph === true);
}

/** Parses a snapshot from a readable stream or any async iterable of chunks. */
export async function parseV8SnapshotStream(readable: AsyncIterable<string | Uint8Array> | NodeJS.ReadableStream): Promise<DumpSummaryBody> {
  const parser = new SnapshotStreamParser();
  for await (const chunk of readable as AsyncIterable<string | Uint8Array>) parser.write(chunk);
  return parser.end();
}

/** Parses a snapshot file into its summary and its heap graph (nodes and strong edges), for the retention analysis. */
export async function readV8SnapshotGraph(path: string): Promise<{ summary: DumpSummaryBody; graph: HeapGraph }> {
  const parser = new SnapshotStreamParser(DEFAULT_MAX_DUMP_TYPES, true);
  await feedFile(path, parser);
  const summary = parser.end();
  return { summary, graph: parser.graph() };
}

/** Parses a snapshot file; a `.gz` file is decompressed on the fly. */
export async function parseV8SnapshotFile(path: string): Promise<DumpSummaryBody> {
  const parser = new SnapshotStreamParser();
  await feedFile(path, parser);
  return parser.end();
}

/** Feeds a snapshot file (a `.gz` one decompressed on the fly) to a parser. */
async function feedFile(path: string, parser: SnapshotStreamParser): Promise<void> {
  if (!path.endsWith(".gz")) {
    // Two reused buffers instead of a stream's fresh chunk per read (the parser copies what it keeps; fresh chunks
    // would pile up as garbage beside the graph): the next read runs on the thread pool while the current chunk is
    // parsed.
    const fh = await open(path, "r");
    let pending: Promise<{ bytesRead: number }> | undefined;
    try {
      let cur = Buffer.allocUnsafe(1 << 21);
      let next = Buffer.allocUnsafe(1 << 21);
      pending = fh.read(cur, 0, cur.length, null);
      for (;;) {
        const { bytesRead } = await pending;
        pending = undefined;
        if (bytesRead === 0) break;
        pending = fh.read(next, 0, next.length, null);
        parser.write(cur.subarray(0, bytesRead));
        [cur, next] = [next, cur];
      }
      return;
    } finally {
      // A ParseError may leave a read in flight: settle it before closing the file.
      await pending?.catch(() => undefined);
      await fh.close();
    }
  }
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  file.on("error", (e) => gunzip.destroy(e));
  for await (const chunk of file.pipe(gunzip) as AsyncIterable<Uint8Array>) parser.write(chunk);
}

// biome-ignore lint/suspicious/noConstEnum: file-local parser states, inlined as numbers in the hot loop
const enum S {
  Start,
  Key,
  KeyStr,
  Colon,
  Value,
  After,
  Done,
  Skip,
  Nodes,
  Strings,
  Edges,
}

// Byte values used by the state machines.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LF = 0x0a;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;

const MAX_HEADER_BYTES = 1 << 20;
const MAX_KEY_BYTES = 256;
/**
 * Raw bytes kept of one referenced name. Far more than the 200-character name cap needs, so that normalisation
 * (trimming, @id stripping) sees the same text as for the full name; still one bounded buffer.
 */
const MAX_NAME_BYTES = 1 << 16;

/** Bytes that need no attention inside a skipped array: digits, ',', ' ', '\r', '\t'. LF counts lines. */
const PLAIN_IN_ARRAY = new Uint8Array(256);
for (const c of "0123456789, \r\t") PLAIN_IN_ARRAY[c.charCodeAt(0)] = 1;

function isWs(c: number): boolean {
  return c === 0x20 || c === LF || c === 0x0d || c === 0x09;
}

class SnapshotStreamParser implements V8SnapshotParser {
  constructor(
    private readonly maxTypes = DEFAULT_MAX_DUMP_TYPES,
    /** Also collect the heap graph (nodes and strong edges) for the retention analysis. */
    private readonly withGraph = false,
  ) {}

  private state: S = S.Start;
  private line = 1;
  private failure: ParseError | undefined;
  private bytesSeen = 0;
  private pendingHighSurrogate = "";

  // Top-level object keys.
  private key = "";
  private keyBytes: number[] = [];
  private keyEsc = false;
  private readonly seenKeys = new Set<string>();
  private afterComma = false;

  // Generic value skipper (and capture of the "snapshot" header).
  private skDepth = 0;
  private skStack: number[] = [];
  private skInStr = false;
  private skEsc = false;
  private skStarted = false;
  private capture: Uint8Array[] | undefined;
  private captureLen = 0;

  // Meta, read by field name because the field lists differ between V8 versions.
  private metaRead = false;
  private fieldCount = 0;
  private typeField = 0;
  private nameField = 0;
  private sizeField = 0;
  private edgeCountField = -1;
  private collector: SnapshotGraphCollector | undefined;
  private edgeFields = 0;
  private edgeTypeField = 0;
  private edgeNameField = 0;
  private edgeToField = 0;
  private eState = 0; // as nState, for "edges"
  private eAcc = 0;
  private eFp = 0;
  private eType = 0;
  private eName = 0;
  private curEdges = 0;
  private eTo = 0;
  private edgesDone = false;
  private nodeTypeNames: string[] = [];
  private named = new Uint8Array(0);
  private expectedNodeCount: number | undefined;
  private expectedEdgeCount: number | undefined;

  // Nodes pass.
  private nState = 0; // 0: expecting a number, 1: inside a number, 2: after a number
  private acc = 0;
  private fieldPos = 0;
  private curType = 0;
  private curName = 0;
  private curSize = 0;
  private numbers = 0;
  private nodesDone = false;
  private readonly slotOfName = new Map<number, number>();
  private slotCount: Float64Array = new Float64Array(1024);
  private slotSize: Float64Array = new Float64Array(1024);
  /** Line of the first node with each name, for errors about the name index. */
  private slotLine: Float64Array = new Float64Array(1024);
  private slots = 0;
  private typeCount = new Float64Array(0);
  private typeSize = new Float64Array(0);

  // Strings pass.
  private sState = 0; // 0: expecting a string, 1: inside a string, 2: after a string
  private strIndex = 0;
  private strEsc = false;
  private collecting = false;
  private collectBuf = Buffer.allocUnsafe(MAX_NAME_BYTES);
  private collectLen = 0;
  private collectTruncated = false;
  private needed = new Float64Array(0);
  private neededPos = 0;
  private resolved: string[] = [];
  private stringsDone = false;

  write(chunk: string | Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    const buf = typeof chunk === "string" ? this.encode(chunk) : chunk;
    try {
      this.feed(buf);
    } catch (e) {
      if (e instanceof ParseError) this.failure = e;
      throw e;
    }
  }

  end(): DumpSummaryBody {
    if (this.failure !== undefined) throw this.failure;
    if (this.pendingHighSurrogate !== "") {
      const lone = this.pendingHighSurrogate;
      this.pendingHighSurrogate = "";
      this.write(Buffer.from(lone, "utf8"));
    }
    try {
      return this.finish();
    } catch (e) {
      if (e instanceof ParseError) this.failure = e;
      throw e;
    }
  }

  /** Encodes a string chunk; a high surrogate at its end waits for its pair in the next chunk. */
  private encode(chunk: string): Buffer {
    let s = this.pendingHighSurrogate + chunk;
    this.pendingHighSurrogate = "";
    const last = s.charCodeAt(s.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.pendingHighSurrogate = s.slice(-1);
      s = s.slice(0, -1);
    }
    return Buffer.from(s, "utf8");
  }

  private fail(reason: string, line = this.line): never {
    throw new ParseError(FORMAT, line, reason);
  }

  private feed(buf: Uint8Array): void {
    const n = buf.length;
    let i = 0;
    while (i < n) {
      switch (this.state) {
        case S.Nodes:
          i = this.feedNodes(buf, i, n);
          break;
        case S.Skip:
          i = this.feedSkip(buf, i, n);
          break;
        case S.Strings:
          i = this.feedStrings(buf, i, n);
          break;
        case S.Edges:
          i = this.feedEdges(buf, i, n);
          break;
        default:
          i = this.feedTop(buf, i);
      }
    }
    this.bytesSeen += n;
  }

  /** Top-level object: one byte at a time (it is a handful of bytes between the big sections). */
  private feedTop(buf: Uint8Array, i: number): number {
    const c = buf[i]!;
    if (c === LF && this.state !== S.KeyStr) this.line++;
    switch (this.state) {
      case S.Start:
        if (this.bytesSeen + i === 0 && c === 0x1f) this.fail("gzip-compressed input: decompress it first");
        if (this.bytesSeen + i < 3 && (c === 0xef || c === 0xbb || c === 0xbf)) return i + 1; // UTF-8 BOM
        if (isWs(c)) return i + 1;
        if (c !== OPEN_OBJ) this.fail("expected '{' at the start of the snapshot");
        this.state = S.Key;
        return i + 1;
      case S.Key:
        if (isWs(c)) return i + 1;
        if (c === QUOTE) {
          this.state = S.KeyStr;
          this.keyBytes = [];
          this.keyEsc = false;
          return i + 1;
        }
        if (c === CLOSE_OBJ && !this.afterComma) {
          this.state = S.Done;
          return i + 1;
        }
        return this.fail("expected a key in the top-level object");
      case S.KeyStr:
        if (this.keyEsc) this.keyEsc = false;
        else if (c === BACKSLASH) this.keyEsc = true;
        else if (c === QUOTE) {
          this.key = decodeJsonString(Uint8Array.from(this.keyBytes), this.keyBytes.length, false) ?? this.fail("bad escape in a key");
          if (this.seenKeys.has(this.key)) this.fail(`duplicate key "${this.key}"`);
          this.seenKeys.add(this.key);
          this.state = S.Colon;
          return i + 1;
        } else if (c < 0x20) this.fail("control character in a key");
        if (this.keyBytes.length >= MAX_KEY_BYTES) this.fail("top-level key too long");
        this.keyBytes.push(c);
        return i + 1;
      case S.Colon:
        if (isWs(c)) return i + 1;
        if (c !== COLON) this.fail("expected ':' after a key");
        this.state = S.Value;
        return i + 1;
      case S.Value:
        if (isWs(c)) return i + 1;
        return this.startValue(c, i);
      case S.After:
        if (isWs(c)) return i + 1;
        if (c === COMMA) {
          this.state = S.Key;
          this.afterComma = true;
          return i + 1;
        }
        if (c === CLOSE_OBJ) {
          this.state = S.Done;
          return i + 1;
        }
        return this.fail("expected ',' or '}' after a top-level value");
      case S.Done:
        if (isWs(c)) return i + 1;
        return this.fail("unexpected data after the end of the snapshot");
      default:
        return this.fail("internal state error");
    }
  }

  private startValue(c: number, i: number): number {
    this.afterComma = false;
    if (this.key === "nodes") {
      if (!this.metaRead) this.fail("'nodes' before the 'snapshot' meta");
      if (c !== OPEN_ARR) this.fail("'nodes' is not an array");
      this.state = S.Nodes;
      return i + 1;
    }
    if (this.key === "edges" && this.collector !== undefined) {
      if (!this.nodesDone) this.fail("'edges' before 'nodes' is not supported");
      if (c !== OPEN_ARR) this.fail("'edges' is not an array");
      this.collector.startEdges();
      this.state = S.Edges;
      return i + 1;
    }
    if (this.key === "strings") {
      if (!this.nodesDone) this.fail("'strings' before 'nodes' is not supported");
      if (c !== OPEN_ARR) this.fail("'strings' is not an array");
      this.prepareStrings();
      this.state = S.Strings;
      return i + 1;
    }
    if (this.key === "snapshot") {
      if (c !== OPEN_OBJ) this.fail("'snapshot' is not an object");
      this.capture = [];
      this.captureLen = 0;
    }
    // edges, locations, trace_*, samples and unknown keys are skipped without being stored.
    this.skDepth = 0;
    this.skStack = [];
    this.skInStr = false;
    this.skEsc = false;
    this.skStarted = false;
    this.state = S.Skip;
    return i;
  }

  /** Skips (or, for the header, captures) one JSON value of any shape, tracking nesting and strings. */
  private feedSkip(buf: Uint8Array, start: number, n: number): number {
    let depth = this.skDepth;
    let inStr = this.skInStr;
    let esc = this.skEsc;
    let line = this.line;
    let done = false;
    let i = start;
    for (; i < n; i++) {
      if (depth > 0 && !inStr) {
        // Fast path through numeric arrays (edges, locations, samples): digits, commas, blanks.
        while (i < n && PLAIN_IN_ARRAY[buf[i]!] === 1) i++;
        if (i === n) break;
      }
      const c = buf[i]!;
      if (inStr) {
        if (esc) esc = false;
        else if (c === BACKSLASH) esc = true;
        else if (c === QUOTE) {
          inStr = false;
          if (depth === 0) {
            i++;
            done = true;
            break;
          }
        } else if (c < 0x20) {
          this.fail("control character in a string", line);
        }
        continue;
      }
      if ((c >= 0x30 && c <= 0x39) || (c === COMMA && depth > 0)) continue;
      if (c === LF) {
        line++;
        continue;
      }
      if (c === OPEN_ARR || c === OPEN_OBJ) {
        this.skStack.push(c === OPEN_ARR ? CLOSE_ARR : CLOSE_OBJ);
        depth++;
        this.skStarted = true;
        continue;
      }
      if (c === CLOSE_ARR || c === CLOSE_OBJ || c === COMMA) {
        if (depth === 0) {
          // A primitive value ends where the enclosing object continues or closes.
          if (!this.skStarted) this.fail("missing value", line);
          done = true;
          break;
        }
        if (c === COMMA) continue;
        if (this.skStack.pop() !== c) this.fail("mismatched brackets", line);
        depth--;
        if (depth === 0) {
          i++;
          done = true;
          break;
        }
        continue;
      }
      if (c === QUOTE) {
        inStr = true;
        this.skStarted = true;
        continue;
      }
      if (c === 0x20 || c === 0x0d || c === 0x09) continue;
      if (c < 0x20 || c > 0x7e) this.fail("unexpected byte outside a string", line);
      this.skStarted = true; // true/false/null, signs, decimal points, exponents
    }
    this.skDepth = depth;
    this.skInStr = inStr;
    this.skEsc = esc;
    this.line = line;
    if (this.capture !== undefined) {
      this.captureLen += i - start;
      if (this.captureLen > MAX_HEADER_BYTES) this.fail("'snapshot' header larger than 1 MiB");
      this.capture.push(Uint8Array.prototype.slice.call(buf, start, i));
    }
    if (done) {
      this.state = S.After;
      if (this.capture !== undefined) {
        const text = Buffer.concat(this.capture).toString("utf8");
        this.capture = undefined;
        this.readMeta(text);
      }
    }
    return i;
  }

  private readMeta(text: string): void {
    let snap: unknown;
    try {
      snap = JSON.parse(text);
    } catch {
      this.fail("'snapshot' header is not valid JSON");
    }
    const meta = (snap as { meta?: unknown } | null)?.meta as Record<string, unknown> | undefined;
    const fields = meta?.node_fields;
    const types = meta?.node_types;
    if (!isStringArray(fields) || !Array.isArray(types)) this.fail("'snapshot.meta' lacks node_fields / node_types");
    const f = fields as string[];
    this.fieldCount = f.length;
    this.typeField = f.indexOf("type");
    this.nameField = f.indexOf("name");
    this.sizeField = f.indexOf("self_size");
    if (this.typeField < 0 || this.nameField < 0 || this.sizeField < 0) {
      this.fail("'snapshot.meta.node_fields' lacks type, name or self_size");
    }
    const typeNames = (types as unknown[])[this.typeField];
    if (!isStringArray(typeNames)) this.fail("'snapshot.meta.node_types' has no list of node type names");
    this.nodeTypeNames = typeNames as string[];
    this.named = Uint8Array.from(this.nodeTypeNames, (t) => (NAMED_NODE_TYPES.has(t) ? 1 : 0));
    this.typeCount = new Float64Array(this.nodeTypeNames.length);
    this.typeSize = new Float64Array(this.nodeTypeNames.length);
    const nodeCount = (snap as { node_count?: unknown }).node_count;
    if (typeof nodeCount === "number") this.expectedNodeCount = nodeCount;
    const edgeCount = (snap as { edge_count?: unknown }).edge_count;
    if (typeof edgeCount === "number" && Number.isSafeInteger(edgeCount) && edgeCount >= 0) this.expectedEdgeCount = edgeCount;
    if (this.withGraph) this.readEdgeMeta(meta!, f);
    this.metaRead = true;
  }

  private readEdgeMeta(meta: Record<string, unknown>, nodeFields: string[]): void {
    this.edgeCountField = nodeFields.indexOf("edge_count");
    const fields = meta.edge_fields;
    const types = meta.edge_types;
    if (this.edgeCountField < 0 || !isStringArray(fields) || !Array.isArray(types)) {
      this.fail("'snapshot.meta' lacks edge_count / edge_fields / edge_types (needed for the heap graph)");
    }
    const f = fields as string[];
    this.edgeFields = f.length;
    this.edgeTypeField = f.indexOf("type");
    this.edgeNameField = f.indexOf("name_or_index");
    this.edgeToField = f.indexOf("to_node");
    const kinds = (types as unknown[])[this.edgeTypeField];
    if (this.edgeTypeField < 0 || this.edgeNameField < 0 || this.edgeToField < 0 || !isStringArray(kinds)) {
      this.fail("'snapshot.meta.edge_fields' lacks type, name_or_index or to_node");
    }
    const k = kinds as string[];
    const at = (names: string[]) => new Set(names.map((n) => k.indexOf(n)).filter((i) => i >= 0));
    // Ranks on a retention path: what a JS developer wrote (properties, elements, closure variables) before V8's
    // internals; hidden and shortcut edges last.
    const rank = k.map((kind) => (kind === "property" || kind === "element" || kind === "context" ? 0 : kind === "internal" ? 1 : 2));
    const synthetic = this.nodeTypeNames.indexOf("synthetic");
    this.collector = new SnapshotGraphCollector(
      { weak: at(["weak"]), indexed: at(["element", "hidden"]), shortcut: at(["shortcut"]), rank, synthetic },
      this.fieldCount,
      this.expectedNodeCount,
      this.expectedEdgeCount,
    );
  }

  /** The hot loop: a byte-level integer tokenizer over the nodes array that aggregates node by node. */
  private feedNodes(buf: Uint8Array, i: number, n: number): number {
    let st = this.nState;
    let acc = this.acc;
    let fp = this.fieldPos;
    let line = this.line;
    let type = this.curType;
    let name = this.curName;
    let size = this.curSize;
    const fields = this.fieldCount;
    const typeF = this.typeField;
    const nameF = this.nameField;
    const sizeF = this.sizeField;
    const edgeCountF = this.edgeCountField;
    let numbers = this.numbers;
    let done = false;
    while (i < n) {
      let c = buf[i]!;
      let d = c - 0x30;
      if (d >= 0 && d <= 9) {
        if (st === 2) this.fail("missing ',' between numbers in 'nodes'", line);
        if (st === 0) {
          acc = 0;
          st = 1;
        }
        // Inner loop over the digits of one number: the bulk of the work.
        do {
          acc = acc * 10 + d;
          if (++i === n) break;
          d = buf[i]! - 0x30;
        } while (d >= 0 && d <= 9);
        if (i === n) break; // the number may go on in the next chunk
        c = buf[i]!;
      }
      if (st === 1) {
        if (acc > Number.MAX_SAFE_INTEGER) this.fail("number too large in 'nodes'", line);
        if (fp === typeF) type = acc;
        else if (fp === nameF) name = acc;
        else if (fp === sizeF) size = acc;
        else if (fp === edgeCountF) this.curEdges = acc;
        numbers++;
        if (++fp === fields) {
          fp = 0;
          this.addNode(type, name, size, line);
        }
        st = 2;
      }
      i++;
      if (c === COMMA) {
        if (st !== 2) this.fail("unexpected ',' in 'nodes'", line);
        st = 0;
      } else if (c === LF) line++;
      else if (c === CLOSE_ARR) {
        if (st === 0 && numbers > 0) this.fail("trailing ',' in 'nodes'", line);
        done = true;
        break;
      } else if (c !== 0x20 && c !== 0x0d && c !== 0x09) {
        this.fail("unexpected character in 'nodes'", line);
      }
    }
    this.numbers = numbers;
    this.nState = st;
    this.acc = acc;
    this.fieldPos = fp;
    this.line = line;
    this.curType = type;
    this.curName = name;
    this.curSize = size;
    if (done) this.finishNodes();
    return i;
  }

  private addNode(type: number, name: number, size: number, line: number): void {
    if (type >= this.named.length) this.fail(`node type ${type} not in 'snapshot.meta.node_types'`, line);
    if (this.named[type] === 1) {
      const slot = this.slotFor(name, line);
      this.collector?.node(slot, size, this.curEdges, type, name);
      this.slotCount[slot]!++;
      this.slotSize[slot]! += size;
    } else {
      this.collector?.node(-1 - type, size, this.curEdges, type, name);
      this.typeCount[type]!++;
      this.typeSize[type]! += size;
    }
  }

  /** The edges array, tokenized like "nodes": each edge goes to the graph collector (only when collecting one). */
  private feedEdges(buf: Uint8Array, i: number, n: number): number {
    const collector = this.collector!;
    let st = this.eState;
    let acc = this.eAcc;
    let fp = this.eFp;
    let line = this.line;
    const fields = this.edgeFields;
    let done = false;
    while (i < n) {
      let c = buf[i]!;
      let d = c - 0x30;
      if (d >= 0 && d <= 9) {
        if (st === 2) this.fail("missing ',' between numbers in 'edges'", line);
        if (st === 0) {
          acc = 0;
          st = 1;
        }
        do {
          acc = acc * 10 + d;
          if (++i === n) break;
          d = buf[i]! - 0x30;
        } while (d >= 0 && d <= 9);
        if (i === n) break; // the number may go on in the next chunk
        c = buf[i]!;
      }
      if (st === 1) {
        if (acc > Number.MAX_SAFE_INTEGER) this.fail("number too large in 'edges'", line);
        if (fp === this.edgeTypeField) this.eType = acc;
        else if (fp === this.edgeNameField) this.eName = acc;
        if (fp === this.edgeToField) this.eTo = acc;
        if (++fp === fields) {
          fp = 0;
          const problem = collector.edge(this.eType, this.eName, this.eTo);
          if (problem !== undefined) this.fail(problem, line);
        }
        st = 2;
      }
      i++;
      if (c === COMMA) {
        if (st !== 2) this.fail("unexpected ',' in 'edges'", line);
        st = 0;
      } else if (c === LF) line++;
      else if (c === CLOSE_ARR) {
        if (st === 0 && fp > 0) this.fail("trailing ',' in 'edges'", line);
        if (fp !== 0) this.fail(`'edges' does not end on a whole edge of ${fields} fields`, line);
        done = true;
        break;
      } else if (c !== 0x20 && c !== 0x0d && c !== 0x09) {
        this.fail("unexpected character in 'edges'", line);
      }
    }
    this.eState = st;
    this.eAcc = acc;
    this.eFp = fp;
    this.line = line;
    if (done) {
      const problem = collector.endEdges();
      if (problem !== undefined) this.fail(problem, line);
      this.edgesDone = true;
      this.state = S.After;
    }
    return i;
  }

  /** The heap graph (after end(); only when created with the graph). Types are labelled as the summary's rows are. */
  graph(): HeapGraph {
    if (this.collector === undefined || !this.edgesDone) this.fail("no heap graph: no 'edges' array was read");
    // needed is sorted: a binary search, not a Map of every decoded name (a Map's slot numbers alone are 100 000s).
    const needed = this.needed;
    const at = {
      get(index: number): number | undefined {
        const i = sortedIndexOf(needed, index);
        return i < 0 ? undefined : i;
      },
    };
    const slotName: number[] = [];
    for (const [name, slot] of this.slotOfName) slotName[slot] = name;
    return this.collector.build(
      (key) => (key >= 0 ? normaliseV8Name(this.resolved[at.get(slotName[key]!)!]!) : capTypeName(bucketForNodeType(this.nodeTypeNames[-1 - key]!))),
      (index) => this.resolved[at.get(index)!] ?? "?",
    );
  }

  private slotFor(name: number, line: number): number {
    let slot = this.slotOfName.get(name);
    if (slot === undefined) {
      if (this.slots >= this.maxTypes) throw new LimitError(FORMAT, line, "types", `more than ${this.maxTypes} distinct names (--max-dump-types)`);
      slot = this.slots++;
      if (slot === this.slotCount.length) {
        this.slotCount = grow(this.slotCount);
        this.slotSize = grow(this.slotSize);
        this.slotLine = grow(this.slotLine);
      }
      this.slotOfName.set(name, slot);
      this.slotLine[slot] = line;
    }
    return slot;
  }

  private finishNodes(): void {
    if (this.numbers % this.fieldCount !== 0) {
      this.fail(`'nodes' has ${this.numbers} numbers, not a multiple of the ${this.fieldCount} node fields`);
    }
    const nodes = this.numbers / this.fieldCount;
    if (this.expectedNodeCount !== undefined && nodes !== this.expectedNodeCount) {
      this.fail(`'nodes' has ${nodes} nodes but 'snapshot.node_count' says ${this.expectedNodeCount}`);
    }
    this.nodesDone = true;
    this.state = S.After;
  }

  private prepareStrings(): void {
    const wanted = new Set(this.slotOfName.keys());
    if (this.collector !== undefined) for (const s of this.collector.stringIndices()) wanted.add(s);
    this.needed = Float64Array.from(wanted).sort();
    this.neededPos = 0;
    this.resolved = [];
  }

  /** Streams the strings array, decoding only the strings referenced as object/native names. */
  private feedStrings(buf: Uint8Array, i: number, n: number): number {
    let st = this.sState;
    let esc = this.strEsc;
    let done = false;
    for (; i < n; i++) {
      const c = buf[i]!;
      if (st === 1) {
        if (this.collecting) {
          if (!esc && c === QUOTE) {
            st = 2;
            this.finishString();
            continue;
          }
          if (this.collectLen < MAX_NAME_BYTES) this.collectBuf[this.collectLen++] = c;
          else this.collectTruncated = true;
        }
        if (esc) esc = false;
        else if (c === BACKSLASH) esc = true;
        else if (c === QUOTE) {
          st = 2;
          this.strIndex++;
        } else if (c < 0x20) this.fail("control character in a string");
        continue;
      }
      if (c === QUOTE) {
        if (st !== 0) this.fail("missing ',' between strings");
        st = 1;
        this.collecting = this.neededPos < this.needed.length && this.needed[this.neededPos] === this.strIndex;
        this.collectLen = 0;
        this.collectTruncated = false;
      } else if (c === COMMA) {
        if (st !== 2) this.fail("unexpected ',' in 'strings'");
        st = 0;
      } else if (c === LF) this.line++;
      else if (c === CLOSE_ARR) {
        if (st === 0 && this.strIndex > 0) this.fail("trailing ',' in 'strings'");
        done = true;
        i++;
        break;
      } else if (c !== 0x20 && c !== 0x0d && c !== 0x09) {
        this.fail("unexpected character in 'strings'");
      }
    }
    this.sState = st;
    this.strEsc = esc;
    if (done) {
      this.stringsDone = true;
      this.state = S.After;
    }
    return i;
  }

  private finishString(): void {
    const s = decodeJsonString(this.collectBuf, this.collectLen, this.collectTruncated);
    if (s === null) this.fail("bad escape in a string");
    this.resolved.push(s);
    this.neededPos++;
    this.strIndex++;
    this.collecting = false;
  }

  private finish(): DumpSummaryBody {
    if (this.state !== S.Done) {
      const where =
        this.state === S.Nodes
          ? "inside 'nodes'"
          : this.state === S.Strings
            ? "inside 'strings'"
            : this.state === S.Skip
              ? `inside '${this.key}'`
              : "before the end of the top-level object";
      this.fail(`truncated: input ends ${where}`);
    }
    if (!this.nodesDone) this.fail("no 'nodes' array");
    if (!this.stringsDone) this.fail("no 'strings' array");
    if (this.neededPos < this.needed.length) {
      const index = this.needed[this.neededPos]!;
      const slot = this.slotOfName.get(index);
      if (slot === undefined) this.fail(`edge name index ${index} beyond the ${this.strIndex} strings`);
      this.fail(`node name index ${index} (first used here) beyond the ${this.strIndex} strings`, this.slotLine[slot]!);
    }
    const table = new TypeTable();
    for (let k = 0; k < this.needed.length; k++) {
      const slot = this.slotOfName.get(this.needed[k]!);
      if (slot === undefined) continue; // an edge name only
      table.add(normaliseV8Name(this.resolved[k]!), this.slotCount[slot]!, this.slotSize[slot]!);
    }
    for (let t = 0; t < this.nodeTypeNames.length; t++) {
      if (this.named[t] === 1 || this.typeCount[t] === 0) continue;
      table.add(capTypeName(bucketForNodeType(this.nodeTypeNames[t]!)), this.typeCount[t]!, this.typeSize[t]!);
    }
    const nodes = this.numbers / this.fieldCount;
    return table.toBody(FORMAT, {
      bytesExact: true,
      notes: [
        `counts all ${nodes} nodes in the snapshot, not only those reachable from the GC roots as DevTools' Summary does ` +
          "(reachability needs the edges, which are not kept); V8 takes snapshots after a full GC, so nearly all are live",
        "bytes are shallow sizes (self_size); objects and native nodes are grouped by constructor name, other kinds in (…) buckets",
      ],
    });
  }
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

function isStringArray(v: unknown): boolean {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

/**
 * Decodes the body of a JSON string (between the quotes). When `truncated`, the body was cut at the byte
 * limit, so an escape cut short at the end is dropped instead of being an error. Returns null on a bad escape.
 */
function decodeJsonString(bytes: Uint8Array, len: number, truncated: boolean): string | null {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, len);
  let out = "";
  let run = 0;
  let j = 0;
  while (j < len) {
    if (bytes[j] !== BACKSLASH) {
      j++;
      continue;
    }
    out += view.toString("utf8", run, j);
    if (j + 1 >= len) return truncated ? out : null;
    const e = bytes[j + 1]!;
    let step = 2;
    switch (e) {
      case 0x22:
        out += '"';
        break;
      case 0x5c:
        out += "\\";
        break;
      case 0x2f:
        out += "/";
        break;
      case 0x62:
        out += "\b";
        break;
      case 0x66:
        out += "\f";
        break;
      case 0x6e:
        out += "\n";
        break;
      case 0x72:
        out += "\r";
        break;
      case 0x74:
        out += "\t";
        break;
      case 0x75: {
        if (j + 6 > len) return truncated ? out : null;
        const hex = view.toString("latin1", j + 2, j + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) return null;
        out += String.fromCharCode(parseInt(hex, 16));
        step = 6;
        break;
      }
      default:
        return null;
    }
    j += step;
    run = j;
  }
  return out + view.toString("utf8", run, len);
}
