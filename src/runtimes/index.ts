// The runtimes leakwatch knows, in one list. Everything runtime-specific elsewhere is derived from it: the
// `--heap-source` names and their --help text, `--heap-source auto`, runtime detection (the `runtime` label), and
// the dump formats `leakwatch parse`, `--heap-command` and `--heap-dir` accept. A new runtime is one folder
// (see README.md here) plus one line below.
import { looksPlain, parsePlain } from "../formats/plain.js";
import { ParseError } from "../model/parse-error.js";
import type { DumpSummaryBody, HeapFormat } from "../model/summary.js";
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
const PLAIN: FormatDef = { name: "plain", detect: looksPlain, parse: parsePlain };

/** Every dump format, in detection order. */
export const FORMATS: readonly FormatDef[] = [...RUNTIMES.flatMap((r) => r.formats), PLAIN];

/** The formats `leakwatch parse`, `--heap-command` and `--heap-dir` accept (binary ones are read by their source). */
export const TEXT_FORMATS: readonly HeapFormat[] = FORMATS.filter((f) => !f.binary).map((f) => f.name);

export function formatByName(name: string): FormatDef | undefined {
  return FORMATS.find((f) => f.name === name);
}

/**
 * Guesses the format of a heap-statistics text from its distinctive header lines; null when none fits.
 * Only the first 64 KiB are looked at (headers come first; a V8 snapshot can be huge).
 */
export function detectFormat(text: string): HeapFormat | null {
  const head = text.length > 65536 ? text.slice(0, 65536) : text;
  return FORMATS.find((f) => !f.binary && f.detect(head))?.name ?? null;
}

/** Parses a heap-statistics text in the given format, or in the detected one. Throws ParseError. */
export function parseText(text: string, format?: HeapFormat): DumpSummaryBody {
  const f = format ?? detectFormat(text);
  const def = f === null ? undefined : formatByName(f);
  if (def === undefined) throw new ParseError("unknown", 1, "unrecognised heap statistics format");
  return def.parse(text);
}

/**
 * The streaming parser for a file, when its format has one: the given format, or the one its name ends with,
 * or the one its first bytes show. Undefined for formats read whole.
 */
export function streamParserFor(file: string, head: string, format?: HeapFormat): StreamParser | undefined {
  const def =
    format !== undefined
      ? formatByName(format)
      : (FORMATS.find((f) => f.suffixes?.some((s) => file.endsWith(s))) ?? FORMATS.find((f) => !f.binary && f.detect(head)));
  return def?.stream?.();
}
