// dotnet-gcdump report <file>:
//       1,302,804  GC Heap bytes
//          16,211  GC Heap objects
//          27,858  Total references
//
//    Object Bytes     Count  Type
//          31,128         1  System.Int32[] (Bytes > 10K)  [System.Private.CoreLib.dll]
// "Object Bytes" is the size of ONE object of the type (the first one seen), not the type's total.
import type { DumpSummaryBody } from "../../../model/summary.js";
import { ParseError, excerpt } from "../../../model/parse-error.js";
import { splitLines } from "../../../formats/lines.js";
import { parseGroupedInt } from "../../../formats/normalise.js";
import { hasDotnetSizeBucket, normaliseDotnetTypeName } from "../normalise.js";
import { TypeTable } from "../../../formats/type-table.js";

// Columns are separated by ASCII blanks only: \s would also match U+00A0/U+202F, which older builds used
// as thousands separators inside numbers.
const NUM = "\\d[\\d,.'’\\u00a0\\u202f]*";
const SUMMARY = new RegExp(`^[ \\t]*(${NUM})[ \\t]+(GC Heap bytes|GC Heap objects|Total references)$`);
const HEADER = /^[ \t]*Object Bytes[ \t]+Count[ \t]+Type$/;
const ROW = new RegExp(`^[ \\t]*(${NUM})[ \\t]+(${NUM})[ \\t]+(\\S.*)$`);
/** The module column: two blanks then `[Some.Assembly.dll]` at the end of the line. */
const MODULE = /[ \t]{2}\[[^\]]*\]$/;

/**
 * Parses `dotnet-gcdump report` output. bytes per type = count × "Object Bytes" (one object's size), so
 * `bytesExact` is false; totalBytes is the header's "GC Heap bytes" when present (the tool's exact total).
 * Size-bucket rows (`(Bytes > 10K)`) and module suffixes are stripped and merged. Throws ParseError when the
 * table header is missing, on a garbled row, on an empty table, or when the rows count more objects than the
 * header's "GC Heap objects" (impossible in real output).
 */
export function parseGcdumpReport(text: string): DumpSummaryBody {
  const format = "gcdump-report";
  const lines = splitLines(text, true);
  let heapBytes: number | undefined;
  let heapObjects: number | undefined;
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (HEADER.test(line)) break;
    const s = SUMMARY.exec(line);
    if (s !== null) {
      const v = parseGroupedInt(s[1]!);
      if (v === undefined) throw new ParseError(format, i + 1, `bad number in ${excerpt(line)}`);
      if (s[2] === "GC Heap bytes") heapBytes = v;
      else if (s[2] === "GC Heap objects") heapObjects = v;
      continue;
    }
    if (ROW.test(line)) throw new ParseError(format, i + 1, "table row before the 'Object Bytes Count Type' header");
  }
  if (i === lines.length) throw new ParseError(format, Math.max(1, lines.length), "no 'Object Bytes  Count  Type' header");

  const table = new TypeTable();
  let rows = 0;
  let bucketRows = 0;
  let objects = 0;
  for (i++; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const m = ROW.exec(line);
    if (m === null) throw new ParseError(format, i + 1, `unexpected line ${excerpt(line)}`);
    const size = parseGroupedInt(m[1]!);
    const count = parseGroupedInt(m[2]!);
    if (size === undefined || count === undefined) throw new ParseError(format, i + 1, `bad number in ${excerpt(line)}`);
    const raw = m[3]!.replace(MODULE, "");
    if (hasDotnetSizeBucket(raw)) bucketRows++;
    table.add(normaliseDotnetTypeName(raw), count, count * size);
    objects += count;
    rows++;
  }
  if (rows === 0) throw new ParseError(format, lines.length + 1, "truncated: no rows after the header");
  if (heapObjects !== undefined && objects > heapObjects) {
    throw new ParseError(format, lines.length, `rows count ${objects} objects, more than the header's ${heapObjects} GC Heap objects`);
  }
  const notes = [
    "bytes per type estimated as count × the size of one object of the type (the report's 'Object Bytes' column); variable-size types (arrays, strings) are approximate",
  ];
  if (heapBytes !== undefined) notes.push("totalBytes is the report's 'GC Heap bytes' (exact), not the sum of the estimates");
  else notes.push("no 'GC Heap bytes' header: totalBytes is the sum of the estimates");
  if (bucketRows > 0) notes.push(`${bucketRows} size-bucket rows ('(Bytes > N)') merged into their types`);
  const opts: { bytesExact: boolean; notes: string[]; totalBytes?: number } = { bytesExact: false, notes };
  if (heapBytes !== undefined) opts.totalBytes = heapBytes;
  return table.toBody(format, opts);
}
