// Plain "count bytes type" lines, e.g. produced by a user's own command. `#` comment lines and blank lines
// are allowed; the type is the rest of the line and may contain spaces.
import type { DumpSummaryBody } from "../model/summary.js";
import { ParseError, excerpt } from "../model/parse-error.js";
import { splitLines } from "./lines.js";
import { normalisePlainTypeName, parsePlainInt } from "./normalise.js";
import { TypeTable } from "./type-table.js";

const ROW = /^[ \t]*(\d+)[ \t]+(\d+)[ \t]+(\S.*)$/;

/**
 * Parses the plain format. There is no footer, so truncation at a line boundary cannot be detected; a line
 * cut inside its numbers can, and an input without any row is an error.
 */
export function parsePlain(text: string): DumpSummaryBody {
  const format = "plain";
  const lines = splitLines(text, true);
  const table = new TypeTable();
  let rows = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const m = ROW.exec(line);
    if (m === null) throw new ParseError(format, i + 1, `expected 'count bytes type', got ${excerpt(line)}`);
    const count = parsePlainInt(m[1]!);
    const bytes = parsePlainInt(m[2]!);
    if (count === undefined || bytes === undefined) throw new ParseError(format, i + 1, `number out of range in ${excerpt(line)}`);
    table.add(normalisePlainTypeName(m[3]!), count, bytes);
    rows++;
  }
  if (rows === 0) throw new ParseError(format, Math.max(1, lines.length), "no 'count bytes type' rows");
  return table.toBody(format, { bytesExact: true });
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
