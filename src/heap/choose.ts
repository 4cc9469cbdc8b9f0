// The daemon's side of source choice: maps a target's settings (--heap-source and friends) onto the sources,
// and prepares a launched Node target so that the v8 source can snapshot it by signal.
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Target } from "../targets/target.js";
import type { SourceChoice } from "./manager.js";
import { chooseSourceForPid, createSource, detectRuntime, type HeapSourceOptions } from "../sources/index.js";
import type { DiagnosticPortListener } from "../runtimes/dotnet/protocol/listener.js";
import { v8SignalLaunchEnv } from "../runtimes/node/signal-source.js";

export interface DaemonSourceOptions {
  dotnetListener?: DiagnosticPortListener;
}

/** The daemon's ChooseSource: --heap-source auto recognises the runtime; a named source is built as asked. */
export function makeChooseSource(daemon: DaemonSourceOptions = {}): (t: Target) => Promise<SourceChoice> {
  const sourceOptions = (t: Target): HeapSourceOptions => ({
    openInspector: t.config.openInspector,
    command: t.config.heapCommand,
    dir: t.config.heapDir,
    dotnetListener: daemon.dotnetListener,
  });
  return async (t) => {
    const pid = t.main!.pid;
    if (t.config.heapSource === "auto") {
      const c = await chooseSourceForPid(pid, t.command, sourceOptions(t));
      return { runtime: c.runtime, source: c.source, reason: c.reason };
    }
    return { runtime: await detectRuntime(pid), source: createSource(t.config.heapSource, sourceOptions(t)) };
  };
}

/**
 * A Node target that leakwatch launches gets `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=<private dir>` in
 * its NODE_OPTIONS: the cheapest way to snapshot it, and the snapshot lands in a 0700 directory of ours.
 */
export function launchEnvFor(t: Target, rawDir: string): NodeJS.ProcessEnv | undefined {
  const exe = path.basename(t.config.command?.[0] ?? "");
  if (!["auto", "v8"].includes(t.config.heapSource) || !/^node(js)?[\d.]*$/.test(exe)) return undefined;
  mkdirSync(rawDir, { recursive: true, mode: 0o700 });
  return v8SignalLaunchEnv(rawDir);
}
