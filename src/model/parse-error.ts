import type { HeapFormat } from "./summary.js";

/** The format a ParseError refers to: a known format, or "unknown" when auto-detection found none. */
export type ParseErrorFormat = HeapFormat | "unknown";

/**
 * The only error the parsers throw for bad input (garbled, truncated, unsupported). The message is one line:
 * `<format>: line <n>: <reason>`, so it can go straight into a log line or an HTTP error body.
 */
export class ParseError extends Error {
  override readonly name = "ParseError";
  readonly format: ParseErrorFormat;
  /** 1-based line of the input where the problem was found (the line after the last one for truncation). */
  readonly line: number;
  readonly reason: string;

  constructor(format: ParseErrorFormat, line: number, reason: string) {
    const oneLine = reason.replace(/[\r\n]+/g, " ");
    super(`${format}: line ${line}: ${oneLine}`);
    this.format = format;
    this.line = line;
    this.reason = oneLine;
  }
}

/** A short, escaped excerpt of an offending input line for error messages (never multi-line, never huge). */
export function excerpt(line: string, max = 60): string {
  const cut = line.length > max ? `${line.slice(0, max)}…` : line;
  return JSON.stringify(cut);
}

/** Which read cap a LimitError hit: bytes of output, the length of one line, or distinct types. */
export type LimitKind = "bytes" | "line" | "types";

/**
 * Input over one of the caps that keep leakwatch's memory and time bounded whatever a tool prints or a file holds
 * (--max-dump-bytes, --max-dump-types, the line-length cap). A ParseError, so it fails a dump as parse_error; the
 * tool producing the input is killed at once instead of being read to the end.
 */
export class LimitError extends ParseError {
  constructor(
    format: ParseErrorFormat,
    line: number,
    readonly limit: LimitKind,
    reason: string,
  ) {
    super(format, line, reason);
  }
}
