// The `--heap-source v8` source: per dump, picks how to get a V8 heap snapshot from the target's own flags:
// --heapsnapshot-signal → V8SignalSource; --inspect… (or an explicit inspector port) → V8InspectorSource;
// neither → V8InspectorSource opening the inspector with SIGUSR1 when openInspector is allowed; else not_supported.
import { DumpError, type DumpContext, type HeapSource, type MemoryCostContext } from "../../model/dump.js";
import type { DumpSummaryBody } from "../../model/summary.js";
import { ProcFs } from "../../procfs/process.js";
import type { DumpLimits } from "../../formats/limits.js";
import { v8SnapshotCost } from "./cost.js";
import { nodeFlagsFromArgv, readNodeFlags, splitCommandLine, type NodeDiagnosticFlags } from "./flags.js";
import { V8InspectorSource } from "./inspector-source.js";
import { V8SignalSource } from "./signal-source.js";

export interface V8SourceOptions {
  /** Allow SIGUSR1 to open the inspector of a Node target started without --inspect (default false). */
  openInspector?: boolean;
  /** Inspector port when known better than the command line says. */
  inspectorPort?: number;
  /** /proc (tests point it at a fixture tree). */
  proc?: ProcFs;
  pollMs?: number;
  /** Caps on the snapshot read (its distinct names). */
  limits?: Pick<DumpLimits, "maxTypes">;
}

export type V8Method = "signal" | "inspector" | "open-inspector";

/** How a Node target with these flags would be dumped, or a reason why it cannot be. */
export function chooseV8Method(
  flags: NodeDiagnosticFlags,
  opts: { openInspector?: boolean; inspectorPort?: number },
): { method: V8Method; reason: string } | { method: undefined; reason: string } {
  if (flags.heapsnapshotSignal !== undefined) return { method: "signal", reason: `started with --heapsnapshot-signal=${flags.heapsnapshotSignal}` };
  if (flags.inspect !== undefined) return { method: "inspector", reason: "started with --inspect" };
  if (opts.inspectorPort !== undefined) return { method: "inspector", reason: `inspector port ${opts.inspectorPort} configured` };
  if (opts.openInspector)
    return { method: "open-inspector", reason: "no --heapsnapshot-signal or --inspect; the inspector will be opened with SIGUSR1 (allowed)" };
  return {
    method: undefined,
    reason:
      "the Node target has neither --heapsnapshot-signal nor --inspect, and opening its inspector with SIGUSR1 is not allowed " +
      "(start it with --heapsnapshot-signal=SIGUSR2, let leakwatch launch it, or allow opening the inspector)",
  };
}

/** The method for a command string plus NODE_OPTIONS, without /proc (used by chooseSource). */
export function chooseV8MethodForCommand(command: string, nodeOptions: string | undefined, opts: { openInspector?: boolean; inspectorPort?: number }) {
  return chooseV8Method(nodeFlagsFromArgv(splitCommandLine(command), nodeOptions), opts);
}

export class V8Source implements HeapSource {
  readonly name = "v8";
  private readonly signalSource: V8SignalSource;
  private readonly inspectorSource: V8InspectorSource;
  private readonly proc: ProcFs;

  constructor(private readonly options: V8SourceOptions = {}) {
    this.proc = options.proc ?? new ProcFs();
    this.signalSource = new V8SignalSource({ proc: this.proc, pollMs: options.pollMs, limits: options.limits });
    this.inspectorSource = new V8InspectorSource({
      proc: this.proc,
      openInspector: options.openInspector,
      port: options.inspectorPort,
      limits: options.limits,
    });
  }

  memoryCost(ctx: MemoryCostContext): Promise<number> {
    return v8SnapshotCost(this.proc, ctx.pid, ctx.rss, ctx.lastObjects, ctx.learned, ctx.rising);
  }

  async dump(ctx: DumpContext): Promise<DumpSummaryBody> {
    const flags = await readNodeFlags(this.proc, ctx.pid, ctx.command);
    const choice = chooseV8Method(flags, this.options);
    if (choice.method === undefined) throw new DumpError("not_supported", `process ${ctx.pid}: ${choice.reason}`);
    return choice.method === "signal" ? this.signalSource.dump(ctx) : this.inspectorSource.dump(ctx);
  }
}
