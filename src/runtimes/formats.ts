import type { DumpSummaryBody, HeapFormat } from "../model/summary.js";
import { parseDumpheapStat } from "./dotnet/formats/dumpheap-stat.js";
import { ParseError } from "../model/parse-error.js";
import { parseGcdumpReport } from "./dotnet/formats/gcdump-report.js";
import { parseJcmdHistogram, parseJmapHistogram } from "./jvm/histogram.js";
import { parsePlain } from "../formats/plain.js";
import { createV8SnapshotParser } from "./node/snapshot.js";

/** Text formats detectFormat can recognise ("nettrace" is binary and never detected here). */
export type TextHeapFormat = Exclude<HeapFormat, "nettrace">;

const V8_START = /^\uFEFF?\s*\{\s*"snapshot"\s*:\s*\{\s*"meta"/;
// [ \t] not \s with the m flag: \s spans newlines and backtracks quadratically over blank text.
const JAVA_HEADER = /^[ \t]*num[ \t]+#instances[ \t]+#bytes[ \t]+class name/m;
const JCMD_PID_LINE = /^\s*\d+:\s*$/;
const GCDUMP = /^[ \t]*(?:Object Bytes[ \t]+Count[ \t]+Type|\d[\d,.'’\u00a0\u202f]*[ \t]+GC Heap (?:bytes|objects))[ \t]*$/m;
const DUMPHEAP = /^[ \t]*MT[ \t]+Count[ \t]+TotalSize[ \t]+Class Name[ \t]*$/m;
const PLAIN_ROW = /^[ \t]*\d+[ \t]+\d+[ \t]+\S/;

/**
 * Guesses the format of a heap-statistics text from its distinctive header lines; null when none fits.
 * Only the first 64 KiB are looked at (headers come first; a V8 snapshot can be huge).
 */
export function detectFormat(text: string): TextHeapFormat | null {
  const head = text.length > 65536 ? text.slice(0, 65536) : text;
  if (V8_START.test(head)) return "v8-heapsnapshot";
  const java = JAVA_HEADER.exec(head);
  if (java !== null) {
    const before = head.slice(0, java.index).split("\n").filter((l) => l.trim() !== "");
    return before.some((l) => JCMD_PID_LINE.test(l)) ? "jcmd-histogram" : "jmap-histogram";
  }
  if (GCDUMP.test(head)) return "gcdump-report";
  if (DUMPHEAP.test(head)) return "dumpheap-stat";
  let rows = 0;
  for (const line of head.split("\n").slice(0, 50)) {
    const t = line.trim();
    if (t === "" || t.startsWith("#")) continue;
    if (!PLAIN_ROW.test(line)) return null;
    rows++;
  }
  return rows > 0 ? "plain" : null;
}

/** Parses a heap-statistics text in the given format, or in the detected one. Throws ParseError. */
export function parseText(text: string, format?: HeapFormat): DumpSummaryBody {
  const f = format ?? detectFormat(text);
  switch (f) {
    case "jcmd-histogram":
      return parseJcmdHistogram(text);
    case "jmap-histogram":
      return parseJmapHistogram(text);
    case "gcdump-report":
      return parseGcdumpReport(text);
    case "dumpheap-stat":
      return parseDumpheapStat(text);
    case "plain":
      return parsePlain(text);
    case "v8-heapsnapshot": {
      const p = createV8SnapshotParser();
      p.write(text);
      return p.end();
    }
    case "nettrace":
      throw new ParseError("nettrace", 1, "binary .nettrace input is not a text format; use the nettrace source");
    default:
      throw new ParseError("unknown", 1, "unrecognised heap statistics format");
  }
}
