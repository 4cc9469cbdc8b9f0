// Line-oriented dump formats (every text histogram) are parsed as a stream of lines: a tool's output is fed chunk
// by chunk as it arrives, so memory grows with the number of distinct types, never with the output's size, and no
// single step holds the event loop for long. A whole text goes through the same path as one chunk.
import { StringDecoder } from "node:string_decoder";
import type { DumpSummaryBody, HeapFormat } from "../model/summary.js";
import { LimitError } from "../model/parse-error.js";
import { type DumpLimits, describeBytes } from "./limits.js";
import { TypeLimitError } from "./type-table.js";

/** A parser of one line-oriented format, fed one line at a time. Throws ParseError for bad input. */
export interface LineParser {
  readonly format: HeapFormat;
  /**
   * One line: text[start, end), without its newline and trailing blanks (see LineStream). `lineNo` is 1-based.
   * The text is shared with the neighbouring lines: keep slices, not offsets.
   */
  line(text: string, start: number, end: number, lineNo: number): void;
  /** The input ended after `lines` lines (a final newline adds no empty line). */
  end(lines: number): DumpSummaryBody;
}

/** A parser fed in chunks (bytes or text); end() gives the summary. Throws ParseError (LimitError beyond a cap). */
export interface ChunkParser {
  write(chunk: string | Uint8Array): void;
  end(): DumpSummaryBody;
}

/**
 * Splits chunks into lines (LF or CRLF) for a LineParser: UTF-8 decoded across chunk boundaries, trailing blanks
 * removed (so line regexes need no `\s*$`, which backtracks badly on long runs of blanks in garbage input), and
 * capped: more than limits.maxBytes bytes, or a line longer than limits.maxLineLength, is a LimitError, as is a
 * type beyond limits.maxTypes (the parser's TypeTable reports it). After a ParseError every call throws it again.
 */
export class LineStream implements ChunkParser {
  private readonly decoder = new StringDecoder("utf8");
  /** The start of a line whose end has not arrived yet. */
  private carry = "";
  private lineNo = 0;
  private bytes = 0;
  private failure: unknown;

  constructor(
    private readonly parser: LineParser,
    private readonly limits: Pick<DumpLimits, "maxBytes" | "maxLineLength">,
  ) {}

  write(chunk: string | Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    try {
      this.bytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
      if (this.bytes > this.limits.maxBytes) {
        throw this.limit("bytes", this.lineNo + 1, `more than ${describeBytes(this.limits.maxBytes)} of text (--max-dump-bytes)`);
      }
      this.feed(typeof chunk === "string" ? chunk : this.decoder.write(chunk));
    } catch (err) {
      throw this.failed(err);
    }
  }

  end(): DumpSummaryBody {
    if (this.failure !== undefined) throw this.failure;
    try {
      const rest = this.carry + this.decoder.end();
      this.carry = "";
      if (rest !== "") this.emit(rest, 0, rest.length);
      return this.parser.end(this.lineNo);
    } catch (err) {
      throw this.failed(err);
    }
  }

  private feed(text: string): void {
    let pos = 0;
    if (this.carry !== "") {
      const nl = text.indexOf("\n");
      if (nl < 0) {
        this.checkLength(this.carry.length + text.length, this.lineNo + 1);
        this.carry += text;
        return;
      }
      const line = this.carry + text.slice(0, nl);
      this.carry = "";
      this.emit(line, 0, line.length);
      pos = nl + 1;
    }
    for (;;) {
      const nl = text.indexOf("\n", pos);
      if (nl < 0) break;
      this.emit(text, pos, nl);
      pos = nl + 1;
    }
    if (pos < text.length) {
      this.checkLength(text.length - pos, this.lineNo + 1);
      this.carry = text.slice(pos);
    }
  }

  private emit(text: string, start: number, end: number): void {
    this.lineNo++;
    this.checkLength(end - start, this.lineNo);
    let e = end;
    while (e > start) {
      const c = text.charCodeAt(e - 1);
      if (c !== 13 && c !== 32 && c !== 9) break;
      e--;
    }
    // Once a CR or blank went, any other trailing white space (U+00A0, …) goes too, as String.trimEnd would.
    if (e < end) while (e > start && /\s/.test(text.charAt(e - 1))) e--;
    this.parser.line(text, start, e, this.lineNo);
  }

  /** Throws the line-length LimitError for line `lineNo` (the one being read) when `length` is over the cap. */
  private checkLength(length: number, lineNo: number): void {
    if (length > this.limits.maxLineLength) {
      throw this.limit("line", lineNo, `a line longer than ${this.limits.maxLineLength} characters (not a heap histogram)`);
    }
  }

  private limit(kind: "bytes" | "line" | "types", line: number, reason: string): LimitError {
    return new LimitError(this.parser.format, line, kind, reason);
  }

  private failed(err: unknown): unknown {
    const e = err instanceof TypeLimitError ? this.limit("types", this.lineNo, err.message) : err;
    this.failure = e;
    return e;
  }
}

/** Parses a whole text with a LineParser (the same path as a stream, in one chunk). */
export function parseLines(text: string, parser: LineParser, limits: Pick<DumpLimits, "maxBytes" | "maxLineLength">): DumpSummaryBody {
  const s = new LineStream(parser, limits);
  s.write(text);
  return s.end();
}
