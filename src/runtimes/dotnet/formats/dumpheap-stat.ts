// SOS `dumpheap -stat`, two layouts:
// native SOS (windbg/lldb, older dotnet-dump):       managed SOS (dotnet-dump >= 7.0.430602):
//               MT    Count    TotalSize Class Name            MT Count TotalSize Class Name
// 00007f6c1eeefba8      576        59904 System.X   7ffc3b9b86f8  1,234    48,000 System.X
// Total 428516 objects                              Total 1,234 objects, 48,000 bytes
import type { DumpSummaryBody } from "../../../model/summary.js";
import { ParseError, excerpt } from "../../../model/parse-error.js";
import { splitLines } from "../../../formats/lines.js";
import { parseGroupedInt } from "../../../formats/normalise.js";
import { normaliseDotnetTypeName } from "../normalise.js";
import { TypeTable } from "../../../formats/type-table.js";

const NUM = "\\d[\\d,.'’\\u00a0\\u202f]*";
const HEADER = /^[ \t]*MT[ \t]+Count[ \t]+TotalSize[ \t]+Class Name$/;
const ROW = new RegExp(`^[ \\t]*[0-9a-fA-F]{8,16}[ \\t]+(${NUM})[ \\t]+(${NUM})[ \\t]+(\\S.*)$`);
const TOTAL = new RegExp(`^[ \\t]*Total[ \\t]+(${NUM})[ \\t]+objects(?:,[ \\t]*(${NUM})[ \\t]+bytes)?$`);
const PROGRESS = /^[ \t]*Scanning heap\b/;

/**
 * Parses SOS `dumpheap -stat` output, native or managed layout. Everything before the table header is
 * ignored (`Loading core dump: ...`, warnings, `> dumpheap -stat` echoes, `Scanning heap: ...`, the per-object
 * listing of a plain `dumpheap`); everything after the `Total` footer too (fragmentation list, prompt).
 * `Free` (unused heap space) is not a type: it is left out, and its size is given in notes.
 * Throws ParseError when the header or footer is missing, on a garbled row, or when the rows count more
 * objects than the footer.
 */
export function parseDumpheapStat(text: string): DumpSummaryBody {
  const format = "dumpheap-stat";
  const lines = splitLines(text, true);
  let i = 0;
  while (i < lines.length && !HEADER.test(lines[i]!)) i++;
  if (i === lines.length) throw new ParseError(format, Math.max(1, lines.length), "no 'MT Count TotalSize Class Name' header");

  const table = new TypeTable();
  let rows = 0;
  let objects = 0;
  let freeCount = 0;
  let freeBytes = 0;
  let freeRows = 0;
  for (i++; i < lines.length; i++) {
    const line = lines[i]!;
    const m = ROW.exec(line);
    if (m !== null) {
      const count = parseGroupedInt(m[1]!);
      const bytes = parseGroupedInt(m[2]!);
      if (count === undefined || bytes === undefined) throw new ParseError(format, i + 1, `bad number in ${excerpt(line)}`);
      objects += count;
      rows++;
      if (m[3] === "Free") {
        freeCount += count;
        freeBytes += bytes;
        freeRows++;
      } else table.add(normaliseDotnetTypeName(m[3]!), count, bytes);
      continue;
    }
    const t = TOTAL.exec(line);
    if (t !== null) {
      const footerObjects = parseGroupedInt(t[1]!);
      const footerBytes = t[2] === undefined ? undefined : parseGroupedInt(t[2]);
      if (footerObjects === undefined || (t[2] !== undefined && footerBytes === undefined)) {
        throw new ParseError(format, i + 1, `bad number in ${excerpt(line)}`);
      }
      if (rows === 0) throw new ParseError(format, i + 1, "table has no rows");
      if (objects > footerObjects) {
        throw new ParseError(format, i + 1, `rows count ${objects} objects, more than the footer's ${footerObjects}`);
      }
      const notes: string[] = [];
      if (freeRows > 0) {
        notes.push(`'Free' (unused heap space, not a type) excluded: ${freeCount} free blocks, ${freeBytes} bytes`);
      }
      if (objects < footerObjects) {
        notes.push(`the footer reports ${footerObjects} objects but the rows add up to ${objects}: the table looks trimmed`);
      }
      return table.toBody(format, { bytesExact: true, notes });
    }
    if (line.trim() === "" || PROGRESS.test(line)) continue;
    throw new ParseError(format, i + 1, `unexpected line ${excerpt(line)}`);
  }
  throw new ParseError(format, lines.length + 1, "truncated: no 'Total N objects' footer");
}
