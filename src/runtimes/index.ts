// The runtimes leakwatch knows, in one list. Everything runtime-specific elsewhere is derived from it: the
// `--heap-source` names and their --help text, `--heap-source auto`, runtime detection (the `runtime` label), and
// the dump formats `leakwatch parse`, `--heap-command` and `--heap-dir` accept. A new runtime is one folder
// (see README.md here) plus one line below.
import { type DumpLimits, dumpLimits } from "../formats/limits.js";
import { looksPlain, parsePlain, streamPlain } from "../formats/plain.js";
import { ParseError } from "../model/parse-error.js";
import type { DumpSummaryBody, HeapFormat, TypeRow } from "../model/summary.js";
import { ProcFs } from "../procfs/process.js";
import { detectRuntimeAmong, runtimeFromMapsAmong } from "../runtime-kit/detect.js";
import { dotnet } from "./dotnet/index.js";
import { jvm } from "./jvm/index.js";
import { node } from "./node/index.js";
import type { AutoChoice, FormatDef, RuntimeDescriptor, SourceDef, SourceSettings, StreamParser } from "../runtime-kit/runtime.js";

export const RUNTIMES: readonly RuntimeDescriptor[] = [jvm, node, dotnet];

/** A runtime's name, or "unknown" for a process of none of them. */
export type RuntimeName = string;

export function runtimeByName(name: string): RuntimeDescriptor | undefined {
  return RUNTIMES.find((r) => r.name === name);
}

/** The runtime of a live process, from /proc; "unknown" when none fits or the process is gone. */
export function detectRuntime(proc: ProcFs, pid: number): Promise<RuntimeName> {
  return detectRuntimeAmong(proc, pid, RUNTIMES);
}

/** The runtime a /proc/PID/maps text reveals (libjvm.so, libcoreclr.so, libnode.so); "unknown" when none. */
export function runtimeFromMaps(maps: string): RuntimeName {
  return runtimeFromMapsAmong(maps, RUNTIMES);
}

/** Every runtime's sources, in registry order. */
export const RUNTIME_SOURCES: readonly (SourceDef & { runtime: string })[] = RUNTIMES.flatMap((r) => r.sources.map((s) => ({ ...s, runtime: r.name })));

export function runtimeSource(name: string): (SourceDef & { runtime: string }) | undefined {
  return RUNTIME_SOURCES.find((s) => s.name === name);
}

/**
 * `--heap-source auto` for a runtime, from a command line (no /proc): the runtime's preferred source, or none
 * with the reason.
 */
export function chooseForCommand(runtime: RuntimeName, command: string, settings: SourceSettings & { nodeOptions?: string } = {}): AutoChoice {
  const r = runtimeByName(runtime);
  if (r === undefined) return { name: "none", source: undefined, reason: `runtime not recognised (not a ${titles()} process): no heap source` };
  return r.chooseForCommand(command, settings);
}

/** detectRuntime + the runtime's choice for a live process (which may read its flags from /proc). */
export async function chooseForPid(pid: number, command: string, settings: SourceSettings = {}): Promise<AutoChoice & { runtime: RuntimeName }> {
  const proc = settings.proc ?? new ProcFs();
  const runtime = await detectRuntime(proc, pid);
  const r = runtimeByName(runtime);
  if (r?.chooseForPid === undefined) return { ...chooseForCommand(runtime, command, settings), runtime };
  return { ...(await r.chooseForPid(proc, pid, command, settings)), runtime };
}

/** "JVM, Node or .NET". */
function titles(): string {
  const t = RUNTIMES.map((r) => r.title);
  return t.length < 2 ? t.join("") : `${t.slice(0, -1).join(", ")} or ${t.at(-1)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Formats

/** The generic "count bytes type" table any tool can print (src/formats/plain.ts); detected last. */
const PLAIN: FormatDef = { name: "plain", detect: looksPlain, parse: parsePlain, stream: streamPlain };

/** Every dump format, in detection order. */
export const FORMATS: readonly FormatDef[] = [...RUNTIMES.flatMap((r) => r.formats), PLAIN];

/** The formats `leakwatch parse`, `--heap-command` and `--heap-dir` accept (binary ones are read by their source). */
export const TEXT_FORMATS: readonly HeapFormat[] = FORMATS.filter((f) => !f.binary).map((f) => f.name);

export function formatByName(name: string): FormatDef | undefined {
  return FORMATS.find((f) => f.name === name);
}

/** The formats whose files hold the references between objects (`leakwatch paths`), by their file suffixes. */
export function graphFormatFor(file: string): FormatDef | undefined {
  return FORMATS.find((f) => f.readGraph !== undefined && f.suffixes?.some((s) => file.endsWith(s)));
}

/** Formats `leakwatch paths` reads. */
export const GRAPH_FORMATS: readonly FormatDef[] = FORMATS.filter((f) => f.readGraph !== undefined);

/** True when a stored summary's type names are in an older spelling than its format's today (see upgradeTypeNames). */
export function typeNamesOutdated(summary: Pick<DumpSummaryBody, "format" | "typeNames">): boolean {
  const def = formatByName(summary.format);
  return def?.typeNames !== undefined && def.upgradeTypeName !== undefined && summary.typeNames !== def.typeNames;
}

/**
 * A stored summary with its rows renamed to today's spelling of its format's type names (see FormatDef.typeNames);
 * the same object when it already has it. Rows that end up with the same name are merged.
 */
export function upgradeTypeNames<S extends Pick<DumpSummaryBody, "format" | "types" | "notes" | "typeNames">>(summary: S): S {
  const def = formatByName(summary.format);
  if (!typeNamesOutdated(summary) || def?.upgradeTypeName === undefined) return summary;
  const from = summary.typeNames;
  const byName = new Map<string, TypeRow>();
  let renamed = 0;
  for (const row of summary.types) {
    const type = def.upgradeTypeName(row.type, from);
    if (type !== row.type) renamed++;
    const had = byName.get(type);
    if (had === undefined) byName.set(type, { type, count: row.count, bytes: row.bytes });
    else {
      had.count += row.count;
      had.bytes += row.bytes;
    }
  }
  const types = [...byName.values()].sort((a, b) => b.bytes - a.bytes || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  const note = `type names stored in ${from === undefined ? "an earlier" : `the "${from}"`} spelling: ${renamed} renamed to today's ("${def.typeNames}") on reading`;
  return { ...summary, types, typeNames: def.typeNames, notes: [...summary.notes, note] };
}

/** How much of a text format detection looks at: header lines come first (a V8 snapshot can be huge). */
const DETECT_LENGTH = 65536;

/**
 * Guesses the format of a heap-statistics text from its distinctive header lines; null when none fits.
 * Only the first 64 KiB are looked at.
 */
export function detectFormat(text: string): HeapFormat | null {
  const head = text.length > DETECT_LENGTH ? text.slice(0, DETECT_LENGTH) : text;
  return FORMATS.find((f) => !f.binary && f.detect(head))?.name ?? null;
}

/** Parses a whole heap-statistics text in the given format, or in the detected one. Throws ParseError. */
export function parseText(text: string, format?: HeapFormat, limits?: DumpLimits): DumpSummaryBody {
  const f = format ?? detectFormat(text);
  const def = f === null ? undefined : formatByName(f);
  if (def === undefined) throw new ParseError("unknown", 1, "unrecognised heap statistics format");
  return def.parse(text, limits);
}

export interface DumpReaderOptions {
  /** The format; default: the one the file name's suffix names, else the one the first 64 KiB show. */
  format?: HeapFormat;
  /** The file's name, when the input is a file (a format's file-name suffix names it). */
  file?: string;
  /** Caps on the input (default DEFAULT_DUMP_LIMITS): bytes and line length of text formats, distinct types. */
  limits?: DumpLimits;
}

/**
 * A streaming parser of a dump in any text format, fed chunks as a tool prints them or a file is read, so that
 * memory grows with the dump's distinct types and never with its size. Without a format, the first 64 KiB are
 * held back until the format is recognised. Throws ParseError ("unknown" when no format fits), LimitError beyond
 * the limits; after a failure every call throws it again.
 */
export function createDumpReader(opts: DumpReaderOptions = {}): StreamParser {
  return new DumpReader(opts);
}

class DumpReader implements StreamParser {
  private readonly limits: DumpLimits;
  private parser: StreamParser | undefined;
  private head: Buffer[] = [];
  private headBytes = 0;
  private failure: unknown;

  constructor(opts: DumpReaderOptions) {
    this.limits = opts.limits ?? dumpLimits();
    const named = opts.format ?? (opts.file !== undefined ? FORMATS.find((f) => f.suffixes?.some((x) => opts.file!.endsWith(x)))?.name : undefined);
    try {
      if (named !== undefined) this.parser = this.parserFor(named);
    } catch (err) {
      this.failure = err; // thrown by the first write() or end()
    }
  }

  write(chunk: string | Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    try {
      if (this.parser !== undefined) {
        this.parser.write(chunk);
        return;
      }
      // A copy: a caller may reuse its buffer for the next read.
      const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk);
      this.head.push(buf);
      this.headBytes += buf.length;
      if (this.headBytes >= DETECT_LENGTH) this.start();
    } catch (err) {
      this.failure = err;
      throw err;
    }
  }

  end(): DumpSummaryBody {
    if (this.failure !== undefined) throw this.failure;
    try {
      if (this.parser === undefined) this.start();
      return this.parser!.end();
    } catch (err) {
      this.failure = err;
      throw err;
    }
  }

  /** Recognises the format from the held-back head and feeds the head to its parser. */
  private start(): void {
    const head = Buffer.concat(this.head);
    this.head = [];
    const format = detectFormat(head.toString("utf8", 0, Math.min(head.length, DETECT_LENGTH)));
    if (format === null) throw new ParseError("unknown", 1, "unrecognised heap statistics format");
    this.parser = this.parserFor(format);
    if (head.length > 0) this.parser.write(head);
  }

  private parserFor(format: HeapFormat): StreamParser {
    const def = formatByName(format);
    if (def === undefined) throw new ParseError("unknown", 1, `unknown format ${format}`);
    if (def.stream === undefined) {
      // Binary formats are read by their own source; their parse() says so.
      def.parse("", this.limits);
      throw new ParseError(format, 1, "not a text format");
    }
    return def.stream(this.limits);
  }
}
