// Test support for the V8 snapshot parser: a generator of small valid snapshots, an independent oracle that
// JSON.parses the whole text, and chunking helpers.
import fc from "fast-check";
import type { DumpSummaryBody, TypeRow } from "../../../../src/model/summary.js";
import { capTypeName } from "../../../../src/formats/normalise.js";
import { normaliseV8Name } from "../../../../src/runtimes/node/normalise.js";
import { createV8SnapshotParser } from "../../../../src/runtimes/node/snapshot.js";
import { ParseError } from "../../../../src/model/parse-error.js";

export const V8_NODE_TYPES = [
  "hidden",
  "array",
  "string",
  "object",
  "code",
  "closure",
  "regexp",
  "number",
  "native",
  "synthetic",
  "concatenated string",
  "sliced string",
  "symbol",
  "bigint",
  "object shape",
];

/** The buckets the brief asks for, written out independently of src/runtimes/node/snapshot-classes.ts. */
const EXPECTED_BUCKET: Record<string, string> = {
  hidden: "(system)",
  array: "(array)",
  string: "(string)",
  code: "(compiled code)",
  closure: "(closure)",
  regexp: "(regexp)",
  number: "(number)",
  synthetic: "(system)",
  "concatenated string": "(string)",
  "sliced string": "(string)",
  symbol: "(symbol)",
  bigint: "(bigint)",
  "object shape": "(system)",
};

/** Aggregates a snapshot the naive way (whole-text JSON.parse): rows sorted by type name. */
export function oracle(text: string): { totalObjects: number; totalBytes: number; rows: TypeRow[] } {
  const j = JSON.parse(text);
  const fields: string[] = j.snapshot.meta.node_fields;
  const types: string[] = j.snapshot.meta.node_types[fields.indexOf("type")];
  const [ti, ni, si, F] = [fields.indexOf("type"), fields.indexOf("name"), fields.indexOf("self_size"), fields.length];
  const m = new Map<string, TypeRow>();
  let totalObjects = 0;
  let totalBytes = 0;
  for (let k = 0; k < j.nodes.length; k += F) {
    const t = types[j.nodes[k + ti]]!;
    const key = t === "object" || t === "native" ? normaliseV8Name(j.strings[j.nodes[k + ni]]) : capTypeName(EXPECTED_BUCKET[t] ?? `(${t})`);
    const size = j.nodes[k + si];
    const r = m.get(key) ?? { type: key, count: 0, bytes: 0 };
    r.count++;
    r.bytes += size;
    m.set(key, r);
    totalObjects++;
    totalBytes += size;
  }
  return { totalObjects, totalBytes, rows: byType([...m.values()]) };
}

export function byType(rows: TypeRow[]): TypeRow[] {
  return [...rows].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

export interface SynthSnapshot {
  text: string;
  leaky: number;
}

const NAME_ARB = fc.oneof(
  fc.constantFrom("LeakyThing", "Object", "Foo @123", "system / Context", "", "  padded  ", 'a"b\\c/d', "é😀", "tab\there", "\u2028"),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ maxLength: 250 }),
);

/** Small valid snapshots in the shape V8 writes them, with varying field lists and formatting. */
export const snapshotArb: fc.Arbitrary<string> = fc
  .record({
    fields: fc.shuffledSubarray(["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"], { minLength: 7 }),
    dropExtras: fc.subarray(["id", "edge_count", "trace_node_id", "detachedness"]),
    typeCount: fc.integer({ min: 9, max: V8_NODE_TYPES.length }),
    strings: fc.array(NAME_ARB, { minLength: 1, maxLength: 20 }),
    nodes: fc.array(fc.record({ type: fc.nat(), name: fc.nat(), size: fc.oneof(fc.nat(1000), fc.nat()) }), { maxLength: 60 }),
    edges: fc.array(fc.nat(100000), { maxLength: 30 }),
    v8Style: fc.boolean(),
    asciiOnly: fc.boolean(),
    extra: fc.constantFrom("", ',"extra":{"a":[1,"x]\\"y",{"b":null}],"c":true,"d":-1.5e3}'),
    traceTree: fc.constantFrom("[]", "[1,2,3,4,[5,6,7,8,[]]]"),
  })
  .map((g) => {
    const fields = g.fields.filter((f) => !g.dropExtras.includes(f));
    const typeNames = V8_NODE_TYPES.slice(0, g.typeCount);
    const nodeTypes = fields.map((f) => (f === "type" ? typeNames : f === "name" ? "string" : "number"));
    const meta = {
      node_fields: fields,
      node_types: nodeTypes,
      edge_fields: ["type", "name_or_index", "to_node"],
      edge_types: [["context", "element", "property", "internal", "hidden", "shortcut", "weak"], "string_or_number", "node"],
      trace_function_info_fields: ["function_id", "name", "script_name", "script_id", "line", "column"],
      trace_node_fields: ["id", "function_info_index", "count", "size", "children"],
      sample_fields: ["timestamp_us", "last_assigned_id"],
      location_fields: ["object_index", "script_id", "line", "column"],
    };
    const nl = g.v8Style ? "\n" : "";
    const rows = g.nodes.map((n, idx) =>
      fields
        .map((f) =>
          f === "type" ? n.type % typeNames.length : f === "name" ? n.name % g.strings.length : f === "self_size" ? n.size : f === "id" ? idx * 2 + 1 : idx % 3,
        )
        .join(","),
    );
    const str = (s: string) =>
      g.asciiOnly ? JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : JSON.stringify(s);
    return (
      `{"snapshot":{"meta":${JSON.stringify(meta)},"node_count":${g.nodes.length},"edge_count":${Math.floor(g.edges.length / 3)},"trace_function_count":0},${nl}` +
      `"nodes":[${rows.join(`${nl},`)}],${nl}` +
      `"edges":[${g.edges.join(",")}],${nl}` +
      `"trace_function_infos":[],${nl}"trace_tree":${g.traceTree},${nl}"samples":[],${nl}"locations":[1,2,3,4]${g.extra},${nl}` +
      `"strings":[${g.strings.map(str).join(`,${nl}`)}]}`
    );
  });

/** Parses with the streaming parser, feeding the given chunks; returns the body or the ParseError. */
export function parseChunks(chunks: (string | Uint8Array)[]): DumpSummaryBody | ParseError {
  const p = createV8SnapshotParser();
  try {
    for (const c of chunks) p.write(c);
    return p.end();
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
}

/** Splits data at the given cut points (taken modulo its length). */
export function splitAt<T extends string | Uint8Array>(data: T, cuts: number[]): T[] {
  const points = [...new Set(cuts.map((c) => (data.length === 0 ? 0 : c % (data.length + 1))))].sort((a, b) => a - b);
  const out: T[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(data.slice(prev, p) as T);
    prev = p;
  }
  out.push(data.slice(prev) as T);
  return out;
}

/** Splits data into consecutive chunks whose sizes cycle through `sizes`. */
export function splitBySizes<T extends string | Uint8Array>(data: T, sizes: number[]): T[] {
  const out: T[] = [];
  let pos = 0;
  for (let k = 0; pos < data.length; k++) {
    const n = sizes[k % sizes.length]!;
    out.push(data.slice(pos, pos + n) as T);
    pos += n;
  }
  return out;
}

/** Comparable outcome: the body, or the error message. */
export function outcome(r: DumpSummaryBody | ParseError): unknown {
  return r instanceof ParseError ? `ParseError ${r.message}` : r;
}
