// The daemon's side of source choice: maps a target's settings (--heap-source and friends) onto the sources,
// and prepares a target leakwatch launches so that its runtime's cheapest source can dump it.
import type { Target } from "../targets/target.js";
import type { SourceChoice } from "./manager.js";
import { ProcFs } from "../procfs/process.js";
import { dumpLimits } from "../formats/limits.js";
import { RUNTIMES, chooseForPid, detectRuntime } from "../runtimes/index.js";
import type { DiagnosticPortListener } from "../runtimes/dotnet/protocol/listener.js";
import { createSource, type HeapSourceOptions } from "../sources/index.js";
import { makeDirSync } from "../util/fs.js";

export interface DaemonSourceOptions {
  dotnetListener?: DiagnosticPortListener;
  proc?: ProcFs;
}

/** The daemon's ChooseSource: --heap-source auto recognises the runtime; a named source is built as asked. */
export function makeChooseSource(daemon: DaemonSourceOptions = {}): (t: Target) => Promise<SourceChoice> {
  const proc = daemon.proc ?? new ProcFs();
  const sourceOptions = (t: Target): HeapSourceOptions => ({
    openInspector: t.config.openInspector,
    retentionInterval: t.config.retentionInterval,
    command: t.config.heapCommand,
    dir: t.config.heapDir,
    dotnetListener: daemon.dotnetListener,
    proc,
    limits: dumpLimits({ maxBytes: t.config.maxDumpBytes, maxTypes: t.config.maxDumpTypes }),
  });
  return async (t) => {
    const pid = t.main!.pid;
    if (t.config.heapSource === "auto") {
      const c = await chooseForPid(pid, t.command, sourceOptions(t));
      return { runtime: c.runtime, source: c.source, reason: c.reason };
    }
    return { runtime: await detectRuntime(proc, pid), source: createSource(t.config.heapSource, sourceOptions(t)) };
  };
}

/**
 * Extra environment for a target leakwatch launches, from the first runtime that has some for its command (a
 * Node target gets a heap-snapshot signal and a private diagnostic directory in its NODE_OPTIONS): only with
 * `--heap-source auto` or one of that runtime's sources. The private directory (rawDir) is created 0700.
 */
export function launchEnvFor(t: Target, rawDir: string): NodeJS.ProcessEnv | undefined {
  const argv = t.config.command ?? [];
  for (const r of RUNTIMES) {
    if (r.launchEnv === undefined) continue;
    if (t.config.heapSource !== "auto" && !r.sources.some((s) => s.name === t.config.heapSource)) continue;
    const env = r.launchEnv(argv, rawDir);
    if (env === undefined) continue;
    makeDirSync(rawDir, 0o700);
    return env;
  }
  return undefined;
}
