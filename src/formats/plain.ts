// Plain "count bytes type" lines, e.g. produced by a user's own command. `#` comment lines and blank lines
// are allowed; the type is the rest of the line and may contain spaces.
import type { DumpSummaryBody } from "../model/summary.js";
import { ParseError, excerpt } from "../model/parse-error.js";
import { type DumpLimits, dumpLimits } from "./limits.js";
import { type LineParser, LineStream, parseLines } from "./lines.js";
import { normalisePlainTypeName, parsePlainInt } from "./normalise.js";
import { TypeTable } from "./type-table.js";

const ROW = /^[ \t]*(\d+)[ \t]+(\d+)[ \t]+(\S.*)$/;

/**
 * The plain format, line by line. There is no footer, so truncation at a line boundary cannot be detected; a line
 * cut inside its numbers can, and an input without any row is an error.
 */
class PlainParser implements LineParser {
  readonly format = "plain";
  private readonly table: TypeTable;
  private rows = 0;

  constructor(maxTypes: number) {
    this.table = new TypeTable(maxTypes);
  }

  line(text: string, start: number, end: number, lineNo: number): void {
    const line = text.slice(start, end);
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const m = ROW.exec(line);
    if (m === null) throw new ParseError(this.format, lineNo, `expected 'count bytes type', got ${excerpt(line)}`);
    const count = parsePlainInt(m[1]!);
    const bytes = parsePlainInt(m[2]!);
    if (count === undefined || bytes === undefined) throw new ParseError(this.format, lineNo, `number out of range in ${excerpt(line)}`);
    this.table.add(normalisePlainTypeName(m[3]!), count, bytes);
    this.rows++;
  }

  end(lines: number): DumpSummaryBody {
    if (this.rows === 0) throw new ParseError(this.format, Math.max(1, lines), "no 'count bytes type' rows");
    return this.table.toBody(this.format, { bytesExact: true });
  }
}

/** Parses the plain format (see PlainParser); throws ParseError. */
export function parsePlain(text: string, limits: DumpLimits = dumpLimits({ maxBytes: Number.POSITIVE_INFINITY })): DumpSummaryBody {
  return parseLines(text, new PlainParser(limits.maxTypes), limits);
}

/** A streaming parser of the plain format. */
export function streamPlain(limits: DumpLimits = dumpLimits()): LineStream {
  return new LineStream(new PlainParser(limits.maxTypes), limits);
}

const PLAIN_ROW = /^[ \t]*\d+[ \t]+\d+[ \t]+\S/;

/** True when the first 50 non-blank, non-comment lines of a text are all plain rows (and there is one). */
export function looksPlain(head: string): boolean {
  let rows = 0;
  for (const line of head.split("\n").slice(0, 50)) {
    const t = line.trim();
    if (t === "" || t.startsWith("#")) continue;
    if (!PLAIN_ROW.test(line)) return false;
    rows++;
  }
  return rows > 0;
}
