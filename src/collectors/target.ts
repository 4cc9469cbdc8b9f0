// Whether each target is up, which process is behind it, and how often it came back.
import type { Target } from "../targets/target.js";
import { type Collector, type CollectorDefinition, type Emitter, counter, gauge } from "./collector.js";

/** Label values are bounded in length: a 100 kB command line must not become a 100 kB series. */
export const MAX_LABEL_LENGTH = 200;
export const clip = (s: string): string => (s.length > MAX_LABEL_LENGTH ? s.slice(0, MAX_LABEL_LENGTH - 1) + "…" : s);

const UP = gauge("leakwatch_target_up", "1 while the target's process (or any process of its cgroup) is running, else 0.", ["target"]);
const INFO = gauge("leakwatch_target_info", "The process currently behind the target; always 1.", ["target", "pid", "command", "runtime", "kind"]);
const START = gauge("leakwatch_target_start_time_seconds", "Start time of the target's process since the Unix epoch.", ["target"]);
const RESTARTS = counter("leakwatch_target_restarts_total", "Times the target came back as a new process (pid and start time compared).", ["target"]);
const EXIT = gauge("leakwatch_target_last_exit_code", "Exit status of a launched target's last run (128+signal when killed, 137 for SIGKILL/OOM).", ["target"]);

export const targetCollector: CollectorDefinition<{ targets: () => Target[]; runtime: (target: string) => string }> = {
  name: "target",
  help: "Whether each target is up, which process is behind it, and how often it came back.",
  metrics: [UP, INFO, START, RESTARTS, EXIT],
  create: (deps) => new TargetCollector(deps.targets, deps.runtime),
};

export class TargetCollector implements Collector {
  readonly name = targetCollector.name;
  readonly metrics = targetCollector.metrics;
  constructor(
    private readonly targets: () => Target[],
    /** The runtime recognised for a target (the heap manager's), "unknown" until known. */
    private readonly runtimeOf: (target: string) => string,
  ) {}

  async collect(out: Emitter): Promise<void> {
    for (const t of this.targets()) {
      const target = t.name;
      out.emit(UP, { target }, t.up ? 1 : 0);
      out.emit(RESTARTS, { target }, t.restarts);
      if (t.main) {
        out.emit(INFO, { target, pid: String(t.main.pid), command: clip(t.shownCommand), runtime: this.runtimeOf(target), kind: t.kind }, 1);
        out.emit(START, { target }, t.startTimeSeconds);
      }
      if (t.lastExit) out.emit(EXIT, { target }, t.lastExit.status);
    }
  }
}
