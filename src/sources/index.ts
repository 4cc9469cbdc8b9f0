// Every `--heap-source`: the runtimes' own (from the registry in src/runtimes/index.ts) and the two generic ones,
// `command` (a tool of the user's printing any known format) and `file` (files other tools write). Builds the
// source a name stands for.
import { constants as fsConstants } from "node:fs";
import { access, stat } from "node:fs/promises";
import type { HeapSource } from "../model/dump.js";
import type { HeapFormat } from "../model/summary.js";
import { RUNTIME_SOURCES, runtimeSource } from "../runtimes/index.js";
import { findExecutable } from "../runtime-kit/find-executable.js";
import type { SourceSettings } from "../runtime-kit/runtime.js";
import { CommandSource } from "./command.js";
import { FileSource } from "./file.js";

/** Settings of the generic sources, on top of the runtimes' own. */
export interface HeapSourceOptions extends SourceSettings {
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

const GENERIC_SOURCES = [
  { name: "command", summary: "--heap-command's output, in any supported format" },
  { name: "file", summary: "files other tools write into --heap-dir" },
] as const;

/** The `--heap-source` names, runtimes' first. */
export const HEAP_SOURCE_NAMES: readonly string[] = [...RUNTIME_SOURCES.map((s) => s.name), ...GENERIC_SOURCES.map((s) => s.name)];

/** Every `--heap-source` with its one-line summary, for --help and the docs. */
export const HEAP_SOURCES: readonly { name: string; summary: string }[] = [...RUNTIME_SOURCES, ...GENERIC_SOURCES];

/** Builds the source named by `--heap-source`. Throws an Error with a clear message for an unusable name or options. */
export function createSource(name: string, options: HeapSourceOptions = {}): HeapSource {
  const own = runtimeSource(name);
  if (own !== undefined) return own.create(options);
  switch (name) {
    case "command":
      if (options.command === undefined || options.command.length === 0) {
        throw new Error('heap source "command" needs a command (argv; `{pid}` is replaced by the target pid)');
      }
      return new CommandSource({ argv: options.command, format: options.format, env: options.env, proc: options.proc, limits: options.limits });
    case "file":
      if (options.dir === undefined || options.dir === "") throw new Error('heap source "file" needs a directory to read');
      return new FileSource({
        dir: options.dir,
        match: options.match,
        format: options.format,
        deleteAfterIngest: options.deleteAfterIngest,
        settleMs: options.settleMs,
        limits: options.limits,
      });
    default:
      throw new Error(`unknown heap source "${name}": expected one of ${HEAP_SOURCE_NAMES.join(", ")}`);
  }
}

/**
 * What can be checked about a source's settings before any dump, so that a typo fails at start with one line
 * instead of at the first dump minutes later: the --heap-command program exists and is executable, the
 * --heap-dir is a readable directory. The error message, or undefined when fine.
 */
export async function preflightSource(name: string, options: HeapSourceOptions): Promise<string | undefined> {
  if (name === "command" && options.command?.[0] !== undefined) {
    const program = options.command[0];
    if ((await findExecutable(program, options.env ?? process.env)) === undefined) return `--heap-command: command not found or not executable: ${program}`;
  }
  if (name === "file" && options.dir !== undefined) {
    const st = await stat(options.dir).catch((err: NodeJS.ErrnoException) => err.code ?? "error");
    if (typeof st === "string") return st === "ENOENT" ? `--heap-dir: no such directory: ${options.dir}` : `--heap-dir: cannot read ${options.dir}: ${st}`;
    if (!st.isDirectory()) return `--heap-dir: not a directory: ${options.dir}`;
    if (
      await access(options.dir, fsConstants.R_OK | fsConstants.X_OK).then(
        () => false,
        () => true,
      )
    )
      return `--heap-dir: cannot read ${options.dir}: EACCES`;
  }
  return undefined;
}
