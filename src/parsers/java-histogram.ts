// jmap -histo[:live] (JDK 8 and 9+) and jcmd <pid> GC.class_histogram: the same table, jcmd adds a "<pid>:" line.
//  num     #instances         #bytes  class name (module)
// -------------------------------------------------------
//    1:         12345        678900  java.lang.String (java.base@17.0.15)
// Total        123456       1234567
import type { DumpSummaryBody } from "../heap/summary.js";
import { ParseError, excerpt } from "./errors.js";
import { splitLines } from "./lines.js";
import { normaliseJavaClassName, parsePlainInt } from "./normalise.js";
import { TypeTable } from "./type-table.js";

type JavaFormat = "jcmd-histogram" | "jmap-histogram";

const HEADER = /^\s*num\s+#instances\s+#bytes\s+class name(?: \(module\))?$/;
// Class names never contain spaces; JDK 9+ appends " (module@version)" or " (module)".
const ROW = /^\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)(?:\s+\([^()\s]*\))?$/;
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
  const lines = splitLines(text, true);
  let i = 0;
  while (i < lines.length && !HEADER.test(lines[i]!)) {
    const l = lines[i]!;
    // A row or footer before any header means the header was lost, not that this is preamble.
    if (ROW.test(l) || TOTAL.test(l)) throw new ParseError(format, i + 1, "table row before the histogram header");
    i++;
  }
  if (i === lines.length) {
    throw new ParseError(format, Math.max(1, lines.length), "no 'num #instances #bytes class name' header");
  }
  i++;
  if (i < lines.length && /^\s*-+\s*$/.test(lines[i]!)) i++;

  const table = new TypeTable();
  const cache = new Map<string, string>();
  let count = 0;
  let bytes = 0;
  let rows = 0;
  let merged = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    const m = ROW.exec(line);
    if (m !== null) {
      const c = parsePlainInt(m[1]!);
      const b = parsePlainInt(m[2]!);
      if (c === undefined || b === undefined) throw new ParseError(format, i + 1, `number out of range in ${excerpt(line)}`);
      const raw = m[3]!;
      let type = cache.get(raw);
      if (type === undefined) {
        type = normaliseJavaClassName(raw);
        cache.set(raw, type);
      }
      const before = table.size;
      table.add(type, c, b);
      if (table.size === before) merged++;
      count += c;
      bytes += b;
      rows++;
      continue;
    }
    const t = TOTAL.exec(line);
    if (t !== null) {
      const tc = parsePlainInt(t[1]!);
      const tb = parsePlainInt(t[2]!);
      if (tc !== count || tb !== bytes) {
        throw new ParseError(
          format,
          i + 1,
          `Total (${t[1]} objects, ${t[2]} bytes) does not match the rows (${count}, ${bytes}): garbled or trimmed output`,
        );
      }
      if (rows === 0) throw new ParseError(format, i + 1, "histogram has no rows");
      const notes: string[] = [];
      if (merged > 0) notes.push(`${merged} rows merged into types they normalise to (lambda/hidden-class addresses, module suffixes)`);
      return table.toBody(format, { bytesExact: true, notes });
    }
    if (line.trim() === "") continue;
    throw new ParseError(format, i + 1, `unexpected line ${excerpt(line)}`);
  }
  throw new ParseError(format, lines.length + 1, "truncated: no 'Total' footer");
}
