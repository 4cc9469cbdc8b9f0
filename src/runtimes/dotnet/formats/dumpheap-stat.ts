// SOS `dumpheap -stat`, two layouts:
// native SOS (windbg/lldb, older dotnet-dump):       managed SOS (dotnet-dump >= 7.0.430602):
//               MT    Count    TotalSize Class Name            MT Count TotalSize Class Name
// 00007f6c1eeefba8      576        59904 System.X   7ffc3b9b86f8  1,234    48,000 System.X
// Total 428516 objects                              Total 1,234 objects, 48,000 bytes
import type { DumpSummaryBody } from "../../../model/summary.js";
import { ParseError, excerpt } from "../../../model/parse-error.js";
import { type DumpLimits, dumpLimits } from "../../../formats/limits.js";
import { type LineParser, LineStream, parseLines } from "../../../formats/lines.js";
import { parseGroupedInt } from "../../../formats/normalise.js";
import { normaliseDotnetTypeName } from "../normalise.js";
import { sosFromRuntimeName } from "../type-names.js";
import { TypeTable } from "../../../formats/type-table.js";

const NUM = "\\d[\\d,.'’\\u00a0\\u202f]*";
const HEADER = /^[ \t]*MT[ \t]+Count[ \t]+TotalSize[ \t]+Class Name$/;
const ROW = new RegExp(`^[ \\t]*[0-9a-fA-F]{8,16}[ \\t]+(${NUM})[ \\t]+(${NUM})[ \\t]+(\\S.*)$`);
const TOTAL = new RegExp(`^[ \\t]*Total[ \\t]+(${NUM})[ \\t]+objects(?:,[ \\t]*(${NUM})[ \\t]+bytes)?$`);
const PROGRESS = /^[ \t]*Scanning heap\b/;

/**
 * SOS `dumpheap -stat` output, native or managed layout, line by line. Everything before the table header is
 * ignored (`Loading core dump: ...`, warnings, `> dumpheap -stat` echoes, `Scanning heap: ...`, the per-object
 * listing of a plain `dumpheap`); everything after the `Total` footer too (fragmentation list, prompt).
 * `Free` (unused heap space) is not a type: it is left out, and its size is given in notes.
 * Throws ParseError when the header or footer is missing, on a garbled row, or when the rows count more
 * objects than the footer.
 */
class DumpheapStatParser implements LineParser {
  readonly format = "dumpheap-stat";
  private readonly table: TypeTable;
  private inTable = false;
  private rows = 0;
  private objects = 0;
  private freeCount = 0;
  private freeBytes = 0;
  private freeRows = 0;
  private result: DumpSummaryBody | undefined;

  constructor(maxTypes: number) {
    this.table = new TypeTable(maxTypes);
  }

  line(text: string, start: number, end: number, lineNo: number): void {
    if (this.result !== undefined) return;
    const format = this.format;
    const line = text.slice(start, end);
    if (!this.inTable) {
      if (HEADER.test(line)) this.inTable = true;
      return;
    }
    const m = ROW.exec(line);
    if (m !== null) {
      const count = parseGroupedInt(m[1]!);
      const bytes = parseGroupedInt(m[2]!);
      if (count === undefined || bytes === undefined) throw new ParseError(format, lineNo, `bad number in ${excerpt(line)}`);
      this.objects += count;
      this.rows++;
      if (m[3] === "Free") {
        this.freeCount += count;
        this.freeBytes += bytes;
        this.freeRows++;
      } else {
        // Native SOS (windbg/lldb) spells generics the reflection way: `Dictionary\`2[[System.Int32, System.Private.CoreLib],…]`.
        const name = m[3]!.includes("`") ? sosFromRuntimeName(m[3]!.trimEnd()) : m[3]!;
        this.table.add(normaliseDotnetTypeName(name), count, bytes);
      }
      return;
    }
    const t = TOTAL.exec(line);
    if (t !== null) {
      const footerObjects = parseGroupedInt(t[1]!);
      const footerBytes = t[2] === undefined ? undefined : parseGroupedInt(t[2]);
      if (footerObjects === undefined || (t[2] !== undefined && footerBytes === undefined)) {
        throw new ParseError(format, lineNo, `bad number in ${excerpt(line)}`);
      }
      if (this.rows === 0) throw new ParseError(format, lineNo, "table has no rows");
      if (this.objects > footerObjects) {
        throw new ParseError(format, lineNo, `rows count ${this.objects} objects, more than the footer's ${footerObjects}`);
      }
      const notes: string[] = [];
      if (this.freeRows > 0) {
        notes.push(`'Free' (unused heap space, not a type) excluded: ${this.freeCount} free blocks, ${this.freeBytes} bytes`);
      }
      if (this.objects < footerObjects) {
        notes.push(`the footer reports ${footerObjects} objects but the rows add up to ${this.objects}: the table looks trimmed`);
      }
      this.result = this.table.toBody(format, { bytesExact: true, notes });
      return;
    }
    if (line.trim() === "" || PROGRESS.test(line)) return;
    throw new ParseError(format, lineNo, `unexpected line ${excerpt(line)}`);
  }

  end(lines: number): DumpSummaryBody {
    if (this.result !== undefined) return this.result;
    if (!this.inTable) throw new ParseError(this.format, Math.max(1, lines), "no 'MT Count TotalSize Class Name' header");
    throw new ParseError(this.format, lines + 1, "truncated: no 'Total N objects' footer");
  }
}

/** Parses whole SOS `dumpheap -stat` output (see DumpheapStatParser). */
export function parseDumpheapStat(text: string, limits: DumpLimits = dumpLimits({ maxBytes: Number.POSITIVE_INFINITY })): DumpSummaryBody {
  return parseLines(text, new DumpheapStatParser(limits.maxTypes), limits);
}

/** A streaming parser of SOS `dumpheap -stat` output. */
export function streamDumpheapStat(limits: DumpLimits = dumpLimits()): LineStream {
  return new LineStream(new DumpheapStatParser(limits.maxTypes), limits);
}
