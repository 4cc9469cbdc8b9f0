// Which heap source fits a process: detect its runtime from /proc, choose a source for it (`--heap-source auto`),
// and build a source from its `--heap-source` name.
import type { HeapSource } from "../model/dump.js";
import type { HeapFormat } from "../model/summary.js";
import { CommandSource } from "./command.js";
import { DotnetTextSource } from "../runtimes/dotnet/text-source.js";
import { createDotnetEventPipeSource } from "../runtimes/dotnet/eventpipe-source.js";
import type { DiagnosticPortListener } from "../runtimes/dotnet/protocol/listener.js";
import { FileSource } from "./file.js";
import { JvmSource } from "../runtimes/jvm/source.js";
import { detectRuntime, type Runtime } from "../runtimes/detect.js";
import { readNodeFlags } from "../runtimes/node/flags.js";
import { V8Source, chooseV8Method, chooseV8MethodForCommand, type V8Method } from "../runtimes/node/source.js";

export { detectRuntime, runtimeFromMaps, type Runtime } from "../runtimes/detect.js";

/** The `--heap-source` names. */
export const HEAP_SOURCE_NAMES = ["jvm", "v8", "dotnet", "dotnet-text", "command", "file"] as const;
export type HeapSourceName = (typeof HEAP_SOURCE_NAMES)[number];

/** Options for every source, flat; each source reads the ones it needs. */
export interface HeapSourceOptions {
  /** Environment for tool lookup and tools (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** /proc (tests point it elsewhere). */
  procRoot?: string;
  /** jvm: jcmd path or name. */
  jcmd?: string;
  /** v8: allow SIGUSR1 to open the inspector of a Node target started without --inspect (default false). */
  openInspector?: boolean;
  /** v8: the inspector port when known (overrides the command line). */
  inspectorPort?: number;
  /** dotnet: runtimes that connect back through DOTNET_DiagnosticPorts (reverse mode) are reached here first. */
  dotnetListener?: DiagnosticPortListener;
  /** dotnet-text: dotnet-gcdump / dotnet-dump paths or names. */
  gcdump?: string;
  dotnetDump?: string;
  /** command: the argv (`{pid}` replaced by the pid). Required for "command". */
  command?: readonly string[];
  /** command / file: the output format (default: detected). */
  format?: HeapFormat;
  /** file: the directory to read. Required for "file". */
  dir?: string;
  /** file: which file names count. */
  match?: RegExp;
  /** file: delete a file once ingested (default false). */
  deleteAfterIngest?: boolean;
  /** file: how long a file must stay unchanged to count as complete (default 1000 ms). */
  settleMs?: number;
}

/** Builds the source named by `--heap-source`. Throws an Error with a clear message for an unusable name or options. */
export function createSource(name: string, options: HeapSourceOptions = {}): HeapSource {
  switch (name) {
    case "jvm":
      return new JvmSource({ jcmd: options.jcmd, env: options.env, procRoot: options.procRoot });
    case "v8":
      return new V8Source({ openInspector: options.openInspector, inspectorPort: options.inspectorPort, procRoot: options.procRoot });
    case "dotnet-text":
      return new DotnetTextSource({ gcdump: options.gcdump, dotnetDump: options.dotnetDump, env: options.env, procRoot: options.procRoot });
    case "dotnet":
      // The native EventPipe source (src/heap/sources/dotnet/), no .NET tools needed on the monitoring side.
      return createDotnetEventPipeSource({ procRoot: options.procRoot, listener: options.dotnetListener });
    case "command":
      if (options.command === undefined || options.command.length === 0) {
        throw new Error('heap source "command" needs a command (argv; `{pid}` is replaced by the target pid)');
      }
      return new CommandSource({ argv: options.command, format: options.format, env: options.env, procRoot: options.procRoot });
    case "file":
      if (options.dir === undefined || options.dir === "") throw new Error('heap source "file" needs a directory to read');
      return new FileSource({
        dir: options.dir,
        match: options.match,
        format: options.format,
        deleteAfterIngest: options.deleteAfterIngest,
        settleMs: options.settleMs,
      });
    default:
      throw new Error(`unknown heap source "${name}": expected one of ${HEAP_SOURCE_NAMES.join(", ")}`);
  }
}

export interface ChooseSourceOptions extends HeapSourceOptions {
  /** The NODE_OPTIONS the target runs with, when known (flags there count like command-line flags). */
  nodeOptions?: string;
}

export interface SourceChoice {
  /** The chosen `--heap-source` name, or "none". */
  name: "jvm" | "v8" | "dotnet" | "none";
  /** For "v8": how the snapshot will be taken. */
  method?: V8Method;
  source: HeapSource | undefined;
  /** Why this choice (or why none): fit for a log line or a status page. */
  reason: string;
}

/**
 * The heap source for a runtime: jvm → jvm; node → v8 (by --heapsnapshot-signal, else --inspect, else opening the
 * inspector with SIGUSR1 when opts.openInspector allows it, else none); dotnet → dotnet (the native EventPipe
 * source; `--heap-source dotnet-text` picks the SDK tools instead);
 * unknown → none.
 */
export function chooseSource(runtime: Runtime, command: string, opts: ChooseSourceOptions = {}): SourceChoice {
  switch (runtime) {
    case "jvm":
      return { name: "jvm", source: createSource("jvm", opts), reason: "JVM: jcmd GC.class_histogram" };
    case "node": {
      const c = chooseV8MethodForCommand(command, opts.nodeOptions, opts);
      if (c.method === undefined) return { name: "none", source: undefined, reason: c.reason };
      return { name: "v8", method: c.method, source: createSource("v8", opts), reason: `Node: ${c.reason}` };
    }
    case "dotnet":
      return { name: "dotnet", source: createSource("dotnet", opts), reason: ".NET: EventPipe GC heap snapshot over the diagnostic socket (no .NET tools needed)" };
    default:
      return { name: "none", source: undefined, reason: "runtime not recognised (not a JVM, Node or .NET process): no heap source" };
  }
}

/**
 * detectRuntime + chooseSource for a live process; for Node, its flags are read from /proc/PID/cmdline and the
 * NODE_OPTIONS in /proc/PID/environ rather than from the command string.
 */
export async function chooseSourceForPid(pid: number, command: string, opts: ChooseSourceOptions = {}): Promise<SourceChoice & { runtime: Runtime }> {
  const procRoot = opts.procRoot ?? "/proc";
  const runtime = await detectRuntime(pid, procRoot);
  if (runtime !== "node") return { ...chooseSource(runtime, command, opts), runtime };
  const c = chooseV8Method(await readNodeFlags(pid, command, procRoot), opts);
  if (c.method === undefined) return { name: "none", source: undefined, reason: c.reason, runtime };
  return { name: "v8", method: c.method, source: createSource("v8", opts), reason: `Node: ${c.reason}`, runtime };
}
