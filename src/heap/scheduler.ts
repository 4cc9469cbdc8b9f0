// When dumps happen: on a cron schedule or a fixed interval (with a little jitter so many leakwatches do not
// dump in lockstep), when the cgroup's working set crosses --dump-at of the limit (capture the heap before the
// OOM killer ends the run), and on demand. Before each dump the headroom guard gets the cgroup's headroom. Memory
// comes from the memory sampler: the threshold is checked on each of its samples, the guard reads a current one.
import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "pino";
import type { MemorySampler, Sample } from "../sampling/sampler.js";
import type { Target } from "../targets/target.js";
import type { DumpOutcome } from "./runner.js";
import type { HeapState } from "./state.js";

/**
 * How old a sample the headroom guard may act on. The guard is what keeps a dump from pushing the target over its
 * limit, and a target near its limit can grow by much in one 2 s tick: it takes the sample that triggered the dump
 * (--dump-at) or one taken now, never the tick's last when that is older.
 */
export const GUARD_MAX_AGE_MS = 500;

export interface ScheduleOptions {
  /** Cron expression (5 or 6 fields); ignored when `everySeconds` is set. */
  cron?: string;
  everySeconds?: number;
  /** Fraction of the interval (at most 5 s) by which each dump may start late. */
  jitter: number;
  /** Dump when working set / limit reaches this fraction (0 < f < 1); re-armed when it falls 5 points below. Checked on every memory sample. */
  dumpAt?: number;
  /** How often the load request count is checked (at most every 0.25 s). */
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
  private unsubscribe: (() => void) | undefined;
  private requestPoll: NodeJS.Timeout | undefined;
  private nextAtRequests: number | undefined;
  private armed = true;
  private stopped = false;

  constructor(
    readonly heap: HeapState,
    private readonly opts: ScheduleOptions,
    private readonly sampler: MemorySampler,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.opts.everySeconds !== undefined) {
      this.scheduleInterval();
    } else if (this.opts.cron) {
      this.task = cron.schedule(this.opts.cron, () => this.fire("schedule", this.jitterMs(60)), { noOverlap: true });
    }
    if (this.opts.dumpAt !== undefined) {
      this.unsubscribe = this.sampler.subscribe((t, s) => {
        if (t === this.heap.target) this.checkThreshold(s);
      });
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
    this.timer = setTimeout(
      async () => {
        await this.fire("interval", 0);
        if (!this.stopped) this.scheduleInterval();
      },
      every * 1000 + this.jitterMs(every),
    );
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
      const main = t.main.pid;
      const s = await this.currentSample(t);
      rss = s?.process?.processes.find((p) => p.pid === main)?.rss;
      if (t.cgroup) headroom = s?.cgroup?.headroom;
    }
    // The dump records the load as of its start: read synchronously just before it starts.
    return this.heap.dump(trigger, {
      headroom,
      rss,
      trend: t.main ? this.sampler.trend(t) : undefined,
      requests: this.opts.requests?.(),
      watchPeak: () => this.sampler.watchPeak(t),
    });
  }

  private async currentSample(t: Target): Promise<Sample | undefined> {
    try {
      return (await this.sampler.fresh([t], GUARD_MAX_AGE_MS))[0];
    } catch {
      return undefined;
    }
  }

  /** --dump-at, on each memory sample of the target (a failed cgroup read has no working set: nothing to check). */
  private checkThreshold(s: Sample): void {
    const t = this.heap.target;
    if (!t.cgroup || !t.main || this.stopped) return;
    const cg = s.cgroup;
    if (cg?.limit === undefined) return;
    const used = cg.workingSet / cg.limit;
    if (this.armed && used >= this.opts.dumpAt!) {
      this.armed = false;
      this.log.warn({ target: t.name, used }, "working set crossed --dump-at: dumping before the OOM killer acts");
      void this.dumpNow("memory_threshold");
    } else if (!this.armed && used < this.opts.dumpAt! - 0.05) {
      this.armed = true;
    }
  }

  stop(): void {
    this.stopped = true;
    void this.task?.stop();
    void this.task?.destroy();
    clearTimeout(this.timer);
    this.unsubscribe?.();
    clearInterval(this.requestPoll);
  }
}
