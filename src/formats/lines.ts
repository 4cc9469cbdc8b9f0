/**
 * Splits text into lines (LF or CRLF); a trailing newline does not produce an extra empty line.
 * With `trimEnd`, trailing blanks are removed so line regexes need no `\s*$` (which backtracks badly on
 * long runs of blanks in garbage input).
 */
export function splitLines(text: string, trimEnd = false): string[] {
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (trimEnd) {
      const last = l.charCodeAt(l.length - 1);
      if (last === 13 || last === 32 || last === 9) lines[i] = l.trimEnd();
    } else if (l.length > 0 && l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }
  return lines;
}
