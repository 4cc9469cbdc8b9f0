// What a dump costs the target in memory, measured: the highest its memory rose above where it was when the dump
// started. The 2 s tick would miss a snapshot's short peak, so while a dump runs the target's main process (VmRSS)
// and its cgroup (usage) are read every 100 ms; and the kernel's own high-water marks (VmHWM, v1
// memory.max_usage_in_bytes, v2 memory.peak), read before and after, make the figure exact whenever the dump set a
// new high — as a dump's peak usually does. Nothing is reset: those marks are the target's and are exported as such.
import { readCgroupUsage } from "../cgroups/read.js";
import type { ProcFs } from "../procfs/process.js";

export interface PeakWatchOptions {
  proc: ProcFs;
  pid: number;
  /** The target's memory cgroup, when it has one. */
  cgroup?: { version: 1 | 2; dir: string };
  /** How often memory is read while the watch runs (default 100 ms). */
  intervalMs?: number;
}

/** One look at the target's memory. */
interface Look {
  rss?: number;
  anon?: number;
  /** VmHWM. */
  rssPeak?: number;
  usage?: number;
  /** The cgroup's recorded peak usage. */
  usagePeak?: number;
}

export interface PeakReading {
  /**
   * How far the target's memory rose above its level at the start (bytes, ≥ 0): the larger of its main process's
   * RSS rise and its cgroup's usage rise.
   */
  growth: number;
  /** True when a high-water mark rose during the watch, so the peak is the kernel's, not a sample's. */
  exact: boolean;
  /** The main process's anonymous resident memory at the start and at the end. */
  anonBefore?: number;
  anonAfter?: number;
}

export class PeakWatch {
  private readonly before: Look;
  private maxRss: number | undefined;
  private maxUsage: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading = false;

  private constructor(
    private readonly opts: PeakWatchOptions,
    before: Look,
  ) {
    this.before = before;
    this.maxRss = before.rss;
    this.maxUsage = before.usage;
    this.timer = setInterval(() => void this.sample(), opts.intervalMs ?? 100);
    this.timer.unref();
  }

  /** Reads the target's memory now and keeps reading it until stop() or cancel(). */
  static async start(opts: PeakWatchOptions): Promise<PeakWatch> {
    return new PeakWatch(opts, await look(opts));
  }

  /** The main process's anonymous resident memory when the watch started. */
  get anonBefore(): number | undefined {
    return this.before.anon;
  }

  private async sample(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      this.keep(await look(this.opts));
    } finally {
      this.reading = false;
    }
  }

  private keep(l: Look): void {
    if (l.rss !== undefined) this.maxRss = Math.max(this.maxRss ?? 0, l.rss);
    if (l.usage !== undefined) this.maxUsage = Math.max(this.maxUsage ?? 0, l.usage);
  }

  /** Stops reading without a result (the dump did not run). */
  cancel(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops reading and says how far the target's memory rose since start(). */
  async stop(): Promise<PeakReading> {
    this.cancel();
    const after = await look(this.opts);
    this.keep(after);
    const b = this.before;
    // A high-water mark that rose during the watch is the exact peak of the watch; one that did not says the peak
    // stayed below it, and the samples are what is known.
    const hwmRose = b.rssPeak !== undefined && after.rssPeak !== undefined && after.rssPeak > b.rssPeak;
    const usagePeakRose = b.usagePeak !== undefined && after.usagePeak !== undefined && after.usagePeak > b.usagePeak;
    const rssPeak = hwmRose ? Math.max(after.rssPeak!, this.maxRss ?? 0) : this.maxRss;
    const usagePeak = usagePeakRose ? Math.max(after.usagePeak!, this.maxUsage ?? 0) : this.maxUsage;
    const rise = (peak: number | undefined, start: number | undefined) => (peak === undefined || start === undefined ? 0 : Math.max(0, peak - start));
    return {
      growth: Math.max(rise(rssPeak, b.rss), rise(usagePeak, b.usage)),
      exact: hwmRose || usagePeakRose,
      anonBefore: b.anon,
      anonAfter: after.anon,
    };
  }
}

/** What can be read now; a process that is gone or a cgroup that cannot be read leaves its fields out. */
async function look(opts: PeakWatchOptions): Promise<Look> {
  const [mem, cg] = await Promise.all([
    opts.proc.memory(opts.pid).catch(() => undefined),
    opts.cgroup ? readCgroupUsage(opts.cgroup.version, opts.cgroup.dir).catch(() => undefined) : undefined,
  ]);
  return { rss: mem?.rss, anon: mem?.rssAnon, rssPeak: mem?.rssPeak, usage: cg?.usage, usagePeak: cg?.peak };
}
