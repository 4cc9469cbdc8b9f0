// When dumps happen: on a cron schedule or a fixed interval (with a little jitter so many leakwatches do not
// dump in lockstep), when the cgroup's working set crosses --dump-at of the limit (capture the heap before the
// OOM killer ends the run), and on demand. Before each dump the headroom guard gets the cgroup's headroom.
import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "pino";
import { readCgroup } from "../cgroups/read.js";
import { levelsUpToMount } from "../cgroups/membership.js";
import type { ProcFs } from "../procfs/process.js";
import type { TargetHeap, DumpOutcome } from "./target-heap.js";

export interface ScheduleOptions {
  /** Cron expression (5 or 6 fields); ignored when `everySeconds` is set. */
  cron?: string;
  everySeconds?: number;
  /** Fraction of the interval (at most 5 s) by which each dump may start late. */
  jitter: number;
  /** Dump when working set / limit reaches this fraction (0 < f < 1); re-armed when it falls 5 points below. */
  dumpAt?: number;
  /** How often the memory threshold is checked. */
  pollSeconds: number;
  /** Dump each time this many more load requests have been counted (--dump-every-requests; needs `requests`). */
  everyRequests?: number;
  /** The target's cumulative load requests, when known. */
  requests?: () => number | undefined;
  /** Runs before every dump, whatever its trigger (e.g. reading the target's own request counter). */
  beforeDump?: () => Promise<void>;
}

export class HeapScheduler {
  private task: ScheduledTask | undefined;
  private timer: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private requestPoll: NodeJS.Timeout | undefined;
  private nextAtRequests: number | undefined;
  private armed = true;
  private stopped = false;
  /** Load requests counted when the running (or last) dump started: what that dump records. */
  requestsAtDump: number | undefined;

  constructor(
    readonly heap: TargetHeap,
    private readonly opts: ScheduleOptions,
    private readonly proc: ProcFs,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.opts.everySeconds !== undefined) {
      this.scheduleInterval();
    } else if (this.opts.cron) {
      this.task = cron.schedule(this.opts.cron, () => this.fire("schedule", this.jitterMs(60)), { noOverlap: true });
    }
    if (this.opts.dumpAt !== undefined) {
      this.poll = setInterval(() => void this.checkThreshold(), this.opts.pollSeconds * 1000);
      this.poll.unref();
    }
    if (this.opts.everyRequests !== undefined && this.opts.requests) {
      this.requestPoll = setInterval(() => void this.checkRequests(), Math.min(0.25, this.opts.pollSeconds) * 1000);
      this.requestPoll.unref();
    }
  }

  /** --dump-every-requests: a dump at N, 2N, … requests (counted from the last such dump's start). */
  private async checkRequests(): Promise<void> {
    const r = this.opts.requests!();
    if (r === undefined || this.heap.busy || this.stopped) return;
    this.nextAtRequests ??= this.opts.everyRequests!;
    if (r < this.nextAtRequests) return;
    this.nextAtRequests = r + this.opts.everyRequests!;
    await this.dumpNow("requests");
  }

  private jitterMs(periodSeconds: number): number {
    return Math.random() * Math.min(5, periodSeconds * this.opts.jitter) * 1000;
  }

  private scheduleInterval(): void {
    const every = this.opts.everySeconds!;
    this.timer = setTimeout(async () => {
      await this.fire("interval", 0);
      if (!this.stopped) this.scheduleInterval();
    }, every * 1000 + this.jitterMs(every));
    this.timer.unref();
  }

  private async fire(trigger: string, delayMs: number): Promise<void> {
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs).unref());
    if (this.stopped) return;
    await this.dumpNow(trigger);
  }

  /** Takes a dump now with the headroom guard applied; used by every trigger, the API's included. */
  async dumpNow(trigger: string): Promise<DumpOutcome> {
    if (!this.heap.busy) await this.opts.beforeDump?.().catch(() => undefined);
    const t = this.heap.target;
    let headroom: number | undefined;
    let rss: number | undefined;
    if (t.main) {
      rss = (await this.proc.memory(t.main.pid).catch(() => undefined))?.rss;
      if (t.cgroup) {
        headroom = (await readCgroup(t.cgroup.mount.version, levelsUpToMount(t.cgroup.mount, t.cgroup.dir)).catch(() => undefined))?.headroom;
      }
    }
    // The dump records the load as of its start (synchronously before it starts: a dump refused as busy changes nothing).
    if (!this.heap.busy) this.requestsAtDump = this.opts.requests?.();
    return this.heap.dump(trigger, { headroom, rss });
  }

  private async checkThreshold(): Promise<void> {
    const t = this.heap.target;
    if (!t.cgroup || !t.main) return;
    try {
      const s = await readCgroup(t.cgroup.mount.version, levelsUpToMount(t.cgroup.mount, t.cgroup.dir));
      if (s.limit === undefined) return;
      const used = s.workingSet / s.limit;
      if (this.armed && used >= this.opts.dumpAt!) {
        this.armed = false;
        this.log.warn({ target: t.name, used }, "working set crossed --dump-at: dumping before the OOM killer acts");
        await this.dumpNow("memory_threshold");
      } else if (!this.armed && used < this.opts.dumpAt! - 0.05) {
        this.armed = true;
      }
    } catch {
      // the collector reports cgroup read failures; nothing to add here
    }
  }

  stop(): void {
    this.stopped = true;
    void this.task?.stop();
    void this.task?.destroy();
    clearTimeout(this.timer);
    clearInterval(this.poll);
    clearInterval(this.requestPoll);
  }
}
