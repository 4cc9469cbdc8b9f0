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
import { type DumpLimits, dumpLimits } from "../../../formats/limits.js";
import { type LineParser, LineStream, parseLines } from "../../../formats/lines.js";
import { parseGroupedInt } from "../../../formats/normalise.js";
import { hasDotnetSizeBucket, normaliseDotnetTypeName } from "../normalise.js";
import { DOTNET_TYPE_NAMES, sosFromGcdumpName } from "../type-names.js";
import { TypeTable } from "../../../formats/type-table.js";

// Columns are separated by ASCII blanks only: \s would also match U+00A0/U+202F, which older builds used
// as thousands separators inside numbers.
const NUM = "\\d[\\d,.'’\\u00a0\\u202f]*";
const SUMMARY = new RegExp(`^[ \\t]*(${NUM})[ \\t]+(GC Heap bytes|GC Heap objects|Total references)$`);
const HEADER = /^[ \t]*Object Bytes[ \t]+Count[ \t]+Type$/;
const ROW = new RegExp(`^[ \\t]*(${NUM})[ \\t]+(${NUM})[ \\t]+(\\S.*)$`);
/**
 * The row's type without the module column: two blanks then `[Some.Assembly.dll]` at the end of the line (the first
 * such `[` after any other `]`). In linear time: the regex for it backtracked quadratically over a garbled line with
 * many "  [".
 */
export function withoutModuleColumn(rest: string): string {
  if (rest.charCodeAt(rest.length - 1) !== 93 /* ] */) return rest;
  const lastInner = rest.lastIndexOf("]", rest.length - 2);
  for (let i = rest.indexOf("[", lastInner + 1); i >= 0 && i < rest.length - 1; i = rest.indexOf("[", i + 1)) {
    if (i >= 2 && isBlank(rest.charCodeAt(i - 1)) && isBlank(rest.charCodeAt(i - 2))) return rest.slice(0, i - 2);
  }
  return rest;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * `dotnet-gcdump report` output, line by line. bytes per type = count × "Object Bytes" (one object's size), so
 * `bytesExact` is false; totalBytes is the header's "GC Heap bytes" when present (the tool's exact total).
 * Size-bucket rows (`(Bytes > 10K)`) and module suffixes are stripped and merged; names are brought as close to
 * SOS's spelling as the text allows (sosFromGcdumpName: the report names a nested type by its own name only). Throws ParseError when the
 * table header is missing, on a garbled row, on an empty table, or when the rows count more objects than the
 * header's "GC Heap objects" (impossible in real output).
 */
class GcdumpReportParser implements LineParser {
  readonly format = "gcdump-report";
  private readonly table: TypeTable;
  private heapBytes: number | undefined;
  private heapObjects: number | undefined;
  private inTable = false;
  private rows = 0;
  private bucketRows = 0;
  private objects = 0;

  constructor(maxTypes: number) {
    this.table = new TypeTable(maxTypes);
  }

  line(text: string, start: number, end: number, lineNo: number): void {
    const format = this.format;
    const line = text.slice(start, end);
    if (!this.inTable) {
      if (HEADER.test(line)) {
        this.inTable = true;
        return;
      }
      const s = SUMMARY.exec(line);
      if (s !== null) {
        const v = parseGroupedInt(s[1]!);
        if (v === undefined) throw new ParseError(format, lineNo, `bad number in ${excerpt(line)}`);
        if (s[2] === "GC Heap bytes") this.heapBytes = v;
        else if (s[2] === "GC Heap objects") this.heapObjects = v;
        return;
      }
      if (ROW.test(line)) throw new ParseError(format, lineNo, "table row before the 'Object Bytes Count Type' header");
      return;
    }
    if (line.trim() === "") return;
    const m = ROW.exec(line);
    if (m === null) throw new ParseError(format, lineNo, `unexpected line ${excerpt(line)}`);
    const size = parseGroupedInt(m[1]!);
    const count = parseGroupedInt(m[2]!);
    if (size === undefined || count === undefined) throw new ParseError(format, lineNo, `bad number in ${excerpt(line)}`);
    const raw = withoutModuleColumn(m[3]!);
    if (hasDotnetSizeBucket(raw)) this.bucketRows++;
    this.table.add(normaliseDotnetTypeName(sosFromGcdumpName(raw)), count, count * size);
    this.objects += count;
    this.rows++;
  }

  end(lines: number): DumpSummaryBody {
    const format = this.format;
    if (!this.inTable) throw new ParseError(format, Math.max(1, lines), "no 'Object Bytes  Count  Type' header");
    if (this.rows === 0) throw new ParseError(format, lines + 1, "truncated: no rows after the header");
    if (this.heapObjects !== undefined && this.objects > this.heapObjects) {
      throw new ParseError(format, lines, `rows count ${this.objects} objects, more than the header's ${this.heapObjects} GC Heap objects`);
    }
    const notes = [
      "bytes per type estimated as count × the size of one object of the type (the report's 'Object Bytes' column); variable-size types (arrays, strings) are approximate",
    ];
    if (this.heapBytes !== undefined) notes.push("totalBytes is the report's 'GC Heap bytes' (exact), not the sum of the estimates");
    else notes.push("no 'GC Heap bytes' header: totalBytes is the sum of the estimates");
    if (this.bucketRows > 0) notes.push(`${this.bucketRows} size-bucket rows ('(Bytes > N)') merged into their types`);
    const opts: { bytesExact: boolean; notes: string[]; totalBytes?: number } = { bytesExact: false, notes };
    if (this.heapBytes !== undefined) opts.totalBytes = this.heapBytes;
    return { ...this.table.toBody(format, opts), typeNames: DOTNET_TYPE_NAMES };
  }
}

/** Parses whole `dotnet-gcdump report` output (see GcdumpReportParser). */
export function parseGcdumpReport(text: string, limits: DumpLimits = dumpLimits({ maxBytes: Number.POSITIVE_INFINITY })): DumpSummaryBody {
  return parseLines(text, new GcdumpReportParser(limits.maxTypes), limits);
}

/** A streaming parser of `dotnet-gcdump report` output. */
export function streamGcdumpReport(limits: DumpLimits = dumpLimits()): LineStream {
  return new LineStream(new GcdumpReportParser(limits.maxTypes), limits);
}
