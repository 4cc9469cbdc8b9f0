// jmap -histo[:live] (JDK 8 and 9+) and jcmd <pid> GC.class_histogram: the same table, jcmd adds a "<pid>:" line.
//  num     #instances         #bytes  class name (module)
// -------------------------------------------------------
//    1:         12345        678900  java.lang.String (java.base@17.0.15)
// Total        123456       1234567
import type { DumpSummaryBody } from "../../model/summary.js";
import { ParseError, excerpt } from "../../model/parse-error.js";
import { parsePlainInt } from "../../formats/normalise.js";
import { normaliseJavaClassName } from "./normalise.js";
import { TypeTable } from "../../formats/type-table.js";
import { type DumpLimits, dumpLimits } from "../../formats/limits.js";
import { type LineParser, LineStream, parseLines } from "../../formats/lines.js";

type JavaFormat = "jcmd-histogram" | "jmap-histogram";

const HEADER = /^\s*num\s+#instances\s+#bytes\s+class name(?: \(module\))?$/;
// JDK 9+ appends " (module@version)" or " (module)". The JVM allows spaces in class names (other JVM languages and
// bytecode generators use them), so the name is everything between the bytes column and that suffix (which
// withoutModule cuts: a regex for it backtracked quadratically over long runs of blanks in a garbled line).
const ROW = /^\s*\d+:\s+(\d+)\s+(\d+)\s+(\S.*)$/;
const TOTAL = /^\s*Total\s+(\d+)\s+(\d+)$/;

/** Parses jcmd GC.class_histogram output (see JavaHistogramParser). */
export function parseJcmdHistogram(text: string, limits?: DumpLimits): DumpSummaryBody {
  return parseJavaHistogram(text, "jcmd-histogram", limits);
}

/** Parses jmap -histo / -histo:live output, JDK 8 or 9+ (see JavaHistogramParser). */
export function parseJmapHistogram(text: string, limits?: DumpLimits): DumpSummaryBody {
  return parseJavaHistogram(text, "jmap-histogram", limits);
}

/** Parses a whole JVM class histogram (see JavaHistogramParser). Throws ParseError. */
export function parseJavaHistogram(
  text: string,
  format: JavaFormat = "jmap-histogram",
  limits: DumpLimits = dumpLimits({ maxBytes: Number.POSITIVE_INFINITY }),
): DumpSummaryBody {
  return parseLines(text, new JavaHistogramParser(format, limits.maxTypes), limits);
}

/** A streaming parser of a JVM class histogram, fed as the tool prints it. */
export function streamJavaHistogram(format: JavaFormat, limits: DumpLimits = dumpLimits()): LineStream {
  return new LineStream(new JavaHistogramParser(format, limits.maxTypes), limits);
}

/**
 * A JVM class histogram, line by line. Lines before the header (jcmd's "<pid>:", attach messages) are skipped;
 * rows are normalised (module suffix, lambda/hidden-class addresses, array descriptors) and merged; lines after
 * the Total footer are ignored. Throws ParseError when the header or the Total footer is missing (truncated
 * output), on a garbled row, or when the footer does not match the rows (garbled or trimmed output).
 */
class JavaHistogramParser implements LineParser {
  private readonly table: TypeTable;
  private inTable = false;
  private sawSeparator = false;
  private count = 0;
  private bytes = 0;
  private rows = 0;
  private merged = 0;
  private result: DumpSummaryBody | undefined;
  private readonly row = { count: 0, bytes: 0, name: "" };

  constructor(
    readonly format: JavaFormat,
    maxTypes: number,
  ) {
    this.table = new TypeTable(maxTypes);
  }

  line(text: string, start: number, e: number, lineNo: number): void {
    if (this.result !== undefined) return;
    const format = this.format;
    // Histograms can have a million rows: rows are scanned in place (no per-line strings, no regex match
    // arrays); lines the fast scanner does not accept go through the regexes, which decide.
    if (this.inTable && scanRow(text, start, e, this.row)) {
      this.addRow(this.row.name, this.row.count, this.row.bytes);
      return;
    }
    const line = text.slice(start, e);
    if (!this.inTable) {
      if (HEADER.test(line)) {
        this.inTable = true;
        return;
      }
      // A row or footer before any header means the header was lost, not that this is preamble.
      if (ROW.test(line) || TOTAL.test(line)) throw new ParseError(format, lineNo, "table row before the histogram header");
      return;
    }
    if (!this.sawSeparator && this.rows === 0 && /^\s*-+$/.test(line)) {
      this.sawSeparator = true;
      return;
    }
    const m = ROW.exec(line);
    if (m !== null) {
      const c = parsePlainInt(m[1]!);
      const b = parsePlainInt(m[2]!);
      if (c === undefined || b === undefined) throw new ParseError(format, lineNo, `number out of range in ${excerpt(line)}`);
      this.addRow(withoutModule(m[3]!), c, b);
      return;
    }
    const t = TOTAL.exec(line);
    if (t !== null) {
      const tc = parsePlainInt(t[1]!);
      const tb = parsePlainInt(t[2]!);
      if (tc !== this.count || tb !== this.bytes) {
        throw new ParseError(
          format,
          lineNo,
          `Total (${t[1]} objects, ${t[2]} bytes) does not match the rows (${this.count}, ${this.bytes}): garbled or trimmed output`,
        );
      }
      if (this.rows === 0) throw new ParseError(format, lineNo, "histogram has no rows");
      const notes: string[] = [];
      if (this.merged > 0) notes.push(`${this.merged} rows merged into types they normalise to (lambda/hidden-class addresses, module suffixes)`);
      this.result = this.table.toBody(format, { bytesExact: true, notes });
      return;
    }
    if (line.trim() === "") return;
    throw new ParseError(format, lineNo, `unexpected line ${excerpt(line)}`);
  }

  end(lines: number): DumpSummaryBody {
    if (this.result !== undefined) return this.result;
    if (!this.inTable) throw new ParseError(this.format, Math.max(1, lines), "no 'num #instances #bytes class name' header");
    throw new ParseError(this.format, lines + 1, "truncated: no 'Total' footer");
  }

  private addRow(raw: string, c: number, b: number): void {
    if (this.table.add(normaliseJavaClassName(raw), c, b)) this.merged++;
    this.count += c;
    this.bytes += b;
    this.rows++;
  }
}

/**
 * Fast path for `   1:         12345        678900  java.lang.String (java.base@17.0.15)` between start and end
 * (trailing blanks already removed). Returns false for anything else, including numbers beyond 2^53.
 */
function scanRow(text: string, start: number, end: number, out: { count: number; bytes: number; name: string }): boolean {
  let i = start;
  while (i < end && text.charCodeAt(i) === 32) i++;
  const rankStart = i;
  while (i < end && isDigit(text.charCodeAt(i))) i++;
  if (i === rankStart || i >= end || text.charCodeAt(i) !== 58 /* : */) return false;
  i++;
  let j = skipBlanks(text, i, end);
  if (j === i) return false;
  i = j;
  let c = 0;
  const cs = i;
  for (; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    c = c * 10 + d;
  }
  if (i === cs) return false;
  j = skipBlanks(text, i, end);
  if (j === i) return false;
  i = j;
  let b = 0;
  const bs = i;
  for (; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    b = b * 10 + d;
  }
  if (i === bs || !Number.isSafeInteger(c) || !Number.isSafeInteger(b)) return false;
  j = skipBlanks(text, i, end);
  if (j === i) return false;
  i = j;
  const ns = i;
  while (i < end) {
    const ch = text.charCodeAt(i);
    if (ch === 32 || ch === 9) break;
    i++;
  }
  const ne = i;
  if (i < end) {
    // Optional " (module@version)" and nothing after it.
    i = skipBlanks(text, i, end);
    if (text.charCodeAt(i) !== 40 /* ( */ || text.charCodeAt(end - 1) !== 41 /* ) */) return false;
    for (let k = i + 1; k < end - 1; k++) {
      const ch = text.charCodeAt(k);
      if (ch === 40 || ch === 41 || ch === 32 || ch === 9) return false;
    }
  }
  out.count = c;
  out.bytes = b;
  out.name = text.slice(ns, ne);
  return true;
}

/**
 * The class name without a trailing " (module@version)" or " (module)": blanks, then "(", no blanks or parentheses,
 * ")" last. In linear time, whatever the line.
 */
export function withoutModule(rest: string): string {
  if (rest.charCodeAt(rest.length - 1) !== 41 /* ) */) return rest;
  const open = rest.lastIndexOf("(");
  if (open <= 0) return rest;
  for (let k = open + 1; k < rest.length - 1; k++) {
    const ch = rest[k]!;
    if (ch === "(" || ch === ")" || /\s/.test(ch)) return rest;
  }
  let e = open;
  while (e > 0 && /\s/.test(rest[e - 1]!)) e--;
  return e === open || e === 0 ? rest : rest.slice(0, e);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function skipBlanks(text: string, i: number, end: number): number {
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) break;
    i++;
  }
  return i;
}
