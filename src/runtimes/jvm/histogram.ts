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

type JavaFormat = "jcmd-histogram" | "jmap-histogram";

const HEADER = /^\s*num\s+#instances\s+#bytes\s+class name(?: \(module\))?$/;
// JDK 9+ appends " (module@version)" or " (module)". The JVM allows spaces in class names (other JVM languages and
// bytecode generators use them), so the name is everything between the bytes column and that suffix.
const ROW = /^\s*\d+:\s+(\d+)\s+(\d+)\s+(\S.*?)(?:\s+\([^()\s]*\))?$/;
const TOTAL = /^\s*Total\s+(\d+)\s+(\d+)$/;

/** Parses jcmd GC.class_histogram output (see parseJavaHistogram). */
export function parseJcmdHistogram(text: string): DumpSummaryBody {
  return parseJavaHistogram(text, "jcmd-histogram");
}

/** Parses jmap -histo / -histo:live output, JDK 8 or 9+ (see parseJavaHistogram). */
export function parseJmapHistogram(text: string): DumpSummaryBody {
  return parseJavaHistogram(text, "jmap-histogram");
}

/**
 * Parses a JVM class histogram. Lines before the header (jcmd's "<pid>:", attach messages) are skipped;
 * rows are normalised (module suffix, lambda/hidden-class addresses, array descriptors) and merged.
 * Throws ParseError when the header or the Total footer is missing (truncated output), on a garbled row,
 * or when the footer does not match the rows (garbled or trimmed output).
 */
export function parseJavaHistogram(text: string, format: JavaFormat = "jmap-histogram"): DumpSummaryBody {
  // Histograms can have a million rows: rows are scanned in place (no per-line strings, no regex match
  // arrays); lines the fast scanner does not accept go through the regexes, which decide.
  const len = text.length;
  let pos = 0;
  let lineNo = 0;
  let inTable = false;
  let sawSeparator = false;
  const table = new TypeTable();
  let count = 0;
  let bytes = 0;
  let rows = 0;
  let merged = 0;
  const row = { count: 0, bytes: 0, name: "" };
  while (pos < len) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = len;
    lineNo++;
    let e = end;
    while (e > pos) {
      const c = text.charCodeAt(e - 1);
      if (c !== 13 && c !== 32 && c !== 9) break;
      e--;
    }
    const start = pos;
    pos = end + 1;
    if (inTable && scanRow(text, start, e, row)) {
      addRow(row.name, row.count, row.bytes);
      continue;
    }
    const line = text.slice(start, e);
    if (!inTable) {
      if (HEADER.test(line)) {
        inTable = true;
        continue;
      }
      // A row or footer before any header means the header was lost, not that this is preamble.
      if (ROW.test(line) || TOTAL.test(line)) throw new ParseError(format, lineNo, "table row before the histogram header");
      continue;
    }
    if (!sawSeparator && rows === 0 && /^\s*-+$/.test(line)) {
      sawSeparator = true;
      continue;
    }
    const m = ROW.exec(line);
    if (m !== null) {
      const c = parsePlainInt(m[1]!);
      const b = parsePlainInt(m[2]!);
      if (c === undefined || b === undefined) throw new ParseError(format, lineNo, `number out of range in ${excerpt(line)}`);
      addRow(m[3]!, c, b);
      continue;
    }
    const t = TOTAL.exec(line);
    if (t !== null) {
      const tc = parsePlainInt(t[1]!);
      const tb = parsePlainInt(t[2]!);
      if (tc !== count || tb !== bytes) {
        throw new ParseError(format, lineNo, `Total (${t[1]} objects, ${t[2]} bytes) does not match the rows (${count}, ${bytes}): garbled or trimmed output`);
      }
      if (rows === 0) throw new ParseError(format, lineNo, "histogram has no rows");
      const notes: string[] = [];
      if (merged > 0) notes.push(`${merged} rows merged into types they normalise to (lambda/hidden-class addresses, module suffixes)`);
      return table.toBody(format, { bytesExact: true, notes });
    }
    if (line.trim() === "") continue;
    throw new ParseError(format, lineNo, `unexpected line ${excerpt(line)}`);
  }
  if (!inTable) throw new ParseError(format, Math.max(1, lineNo), "no 'num #instances #bytes class name' header");
  throw new ParseError(format, lineNo + 1, "truncated: no 'Total' footer");

  function addRow(raw: string, c: number, b: number): void {
    if (table.add(normaliseJavaClassName(raw), c, b)) merged++;
    count += c;
    bytes += b;
    rows++;
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
