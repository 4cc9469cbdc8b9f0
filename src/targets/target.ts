// One watched target: what it is configured as and what leakwatch currently knows about it. Every series of the
// target carries its `name` as the `target` label, across restarts of the process behind it.
import type { TargetConfig } from "../config/schema.js";
import type { CgroupMount } from "../cgroups/mounts.js";
import type { ProcessIdentity } from "../procfs/process.js";
import { redactCommandLine } from "../util/redact.js";

export type TargetKind = "pid" | "match" | "cgroup" | "command";

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** The exit code leakwatch itself reports for it: the code, or 128 + the signal number. */
  status: number;
  at: number;
}

export class Target {
  readonly name: string;
  readonly kind: TargetKind;
  /** The main process; for a cgroup target, the oldest process in it. */
  main: ProcessIdentity | undefined;
  /** All processes whose memory is summed (just the main one, except for cgroup targets). */
  pids: number[] = [];
  /** The process's command line as /proc shows it: may hold secrets; for the sources, never for display. */
  command = "";
  private shown: { of: string; text: string } | undefined;
  startTimeSeconds: number | undefined;
  restarts = 0;
  /** Has the target ever been up? A first appearance is not a restart. */
  everUp = false;
  /** The memory cgroup to read, and whether it belongs to the target alone (created or named by the user). */
  cgroup: { mount: CgroupMount; dir: string; owned: boolean } | undefined;
  lastExit: ExitInfo | undefined;

  constructor(readonly config: TargetConfig) {
    this.name = config.name!;
    this.kind = config.pid !== undefined ? "pid" : config.match ? "match" : config.cgroup ? "cgroup" : "command";
  }

  /** The command line with secret values replaced (src/util/redact.ts): what metrics, the API, the UI and reports show. */
  get shownCommand(): string {
    if (this.shown?.of !== this.command) this.shown = { of: this.command, text: redactCommandLine(this.command) };
    return this.shown.text;
  }

  get up(): boolean {
    return this.main !== undefined;
  }

  /**
   * Records the process now behind the target. A different process after an earlier one is a restart; for a
   * cgroup target only a return from empty is (its oldest process may change while the cgroup stays up).
   */
  setMain(next: ProcessIdentity | undefined): boolean {
    const prev = this.main;
    if (prev?.pid === next?.pid && prev?.startTime === next?.startTime) return false;
    if (next && this.everUp && (this.kind !== "cgroup" || prev === undefined)) this.restarts++;
    if (next) this.everUp = true;
    this.main = next;
    return true;
  }
}
