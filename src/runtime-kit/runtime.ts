// What a runtime folder provides (src/runtimes/<name>/index.ts exports one RuntimeDescriptor), and the settings
// its sources are built from. This file names no runtime: a runtime with settings of its own adds them to
// SourceSettings by module augmentation in its folder, so adding a runtime never edits this file.
import type { HeapSource } from "../model/dump.js";
import type { DumpSummaryBody, HeapFormat } from "../model/summary.js";
import type { HeapGraph } from "../model/heap-graph.js";
import type { ProcFs } from "../procfs/process.js";
import type { DumpLimits } from "../formats/limits.js";
import type { ChunkParser } from "../formats/lines.js";
import type { RuntimeSignature } from "./detect.js";

/** Settings from configuration and long-lived helpers of the daemon, handed to every source factory. */
export interface SourceSettings {
  /** Caps on what the source reads from its tools and files (default: DEFAULT_DUMP_LIMITS). */
  limits?: DumpLimits;
  /** Environment for tool lookup and tools (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** /proc (tests point it at a fixture tree). */
  proc?: ProcFs;
}

/** One `--heap-source` a runtime offers. */
export interface SourceDef {
  /** The `--heap-source` name. */
  name: string;
  /** One line for --help and docs/configuration.md. */
  summary: string;
  /** Builds the source; throws an Error with a clear message when the settings cannot work. */
  create(settings: SourceSettings): HeapSource;
}

/** A parser that takes its input in chunks, for dumps too large to hold as one string. */
export type StreamParser = ChunkParser;

/** A dump format a runtime's tools produce. */
export interface FormatDef {
  name: HeapFormat;
  /** True when a text's first 64 KiB are in this format (formats are tried in registry order). */
  detect(head: string): boolean;
  /** Parses a whole text; throws ParseError. */
  parse(text: string, limits?: DumpLimits): DumpSummaryBody;
  /** A streaming parser (every text format has one: tool output is parsed as it arrives). */
  stream?(limits?: DumpLimits): StreamParser;
  /** File-name endings that identify the format without reading the file. */
  suffixes?: readonly string[];
  /** Binary formats are read by their source only: never detected in text, not offered to `leakwatch parse`. */
  binary?: boolean;
  /** Reads a file of this format as a heap graph (formats that hold references: `leakwatch paths`). */
  readGraph?(file: string): Promise<{ summary: DumpSummaryBody; graph: HeapGraph }>;
  /**
   * The spelling of type names the format produces today (its summaries' `typeNames`), when it changed after
   * summaries were stored. Stored summaries with another spelling get their rows renamed by upgradeTypeName on read.
   */
  typeNames?: string;
  /** A stored row's type in today's spelling, from the older spelling `from` (undefined: the first), where unambiguous. */
  upgradeTypeName?(type: string, from: string | undefined): string;
}

/** What `--heap-source auto` picks for a process of a runtime. */
export interface AutoChoice {
  /** The chosen `--heap-source` name, or "none". */
  name: string;
  /** How the source will dump (e.g. V8's "signal" or "inspector"), when it has several ways. */
  method?: string;
  source: HeapSource | undefined;
  /** Why this choice (or why none): fit for a log line or a status page. */
  reason: string;
}

export interface RuntimeDescriptor {
  /** The runtime's name: the `runtime` label of leakwatch_target_info. */
  name: string;
  /** The runtime's name for people ("JVM", "Node", ".NET"). */
  title: string;
  /** How to recognise a process of this runtime from /proc. */
  signature: RuntimeSignature;
  /** The `--heap-source` names it offers; the first is the one `auto` prefers. */
  sources: readonly SourceDef[];
  formats: readonly FormatDef[];
  /** `--heap-source auto` for a process of this runtime, from its command line and the NODE_OPTIONS-like settings. */
  chooseForCommand(command: string, settings: SourceSettings & { nodeOptions?: string }): AutoChoice;
  /** `--heap-source auto` for a live process (may read its flags from /proc); defaults to chooseForCommand. */
  chooseForPid?(proc: ProcFs, pid: number, command: string, settings: SourceSettings): Promise<AutoChoice>;
  /** Extra environment for a target leakwatch launches, when that makes it cheaper or possible to dump. */
  launchEnv?(argv: readonly string[], rawDir: string): NodeJS.ProcessEnv | undefined;
}
