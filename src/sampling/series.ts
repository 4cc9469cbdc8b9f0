// A target's memory over time, as the live UI charts it and the run report reads it: every sample of the recent
// past, then one point per coarse step that keeps the step's peak memory and lowest headroom. In memory only.

/** One point of the series. */
export interface MemorySample {
  /** Unix epoch milliseconds. */
  time: number;
  up: boolean;
  /** Summed VmRSS of the target's processes; null when down or unreadable. */
  rss: number | null;
  /** cgroup usage and working set (usage − inactive file); null without a readable cgroup. */
  usage: number | null;
  workingSet: number | null;
  /** Effective limit (lowest over the cgroup and its ancestors) and headroom; null when unlimited. */
  limit: number | null;
  headroom: number | null;
  /** Cumulative load requests, when load is known. */
  requests: number | null;
}

/** The nullable numeric fields of a MemorySample, in column order. */
const COLUMNS = ["rss", "usage", "workingSet", "limit", "headroom", "requests"] as const;

/**
 * Memory samples of one target, kept in columns (Float64Array; NaN stands for null) rather than as objects. The
 * series is the one part of the daemon that grows with time, up to its capacity times the targets: ~60 bytes a
 * sample this way, against ~110 as objects with their boxed doubles (bench/metrics/history.mjs), and none of it on
 * V8's heap, where long-lived objects would be promoted and widen every old-generation collection.
 */
export class SampleRing {
  private time: Float64Array;
  private up: Uint8Array;
  private cols: Float64Array[];
  private head = 0; // index of the oldest sample
  private count = 0;

  constructor(private cap: number) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`ring capacity must be an integer ≥ 1, got ${cap}`);
    this.time = new Float64Array(cap);
    this.up = new Uint8Array(cap);
    this.cols = COLUMNS.map(() => new Float64Array(cap));
  }

  get capacity(): number {
    return this.cap;
  }

  get size(): number {
    return this.count;
  }

  push(s: MemorySample): void {
    let i: number;
    if (this.count < this.cap) i = (this.head + this.count++) % this.cap;
    else {
      i = this.head;
      this.head = (this.head + 1) % this.cap;
    }
    this.time[i] = s.time;
    this.up[i] = s.up ? 1 : 0;
    COLUMNS.forEach((c, k) => {
      this.cols[k]![i] = s[c] ?? NaN;
    });
  }

  /** Makes room for more samples, keeping those held (oldest first). */
  grow(capacity: number): void {
    if (capacity <= this.cap) return;
    const order = (from: Float64Array | Uint8Array, to: Float64Array | Uint8Array) => {
      for (let k = 0; k < this.count; k++) to[k] = from[(this.head + k) % this.cap]!;
      return to;
    };
    this.time = order(this.time, new Float64Array(capacity)) as Float64Array;
    this.up = order(this.up, new Uint8Array(capacity)) as Uint8Array;
    this.cols = this.cols.map((c) => order(c, new Float64Array(capacity)) as Float64Array);
    this.head = 0;
    this.cap = capacity;
  }

  /** The k-th oldest sample (0 ≤ k < size). */
  at(k: number): MemorySample {
    const i = (this.head + k) % this.cap;
    const s = { time: this.time[i]!, up: this.up[i] === 1 } as MemorySample;
    COLUMNS.forEach((c, n) => {
      const v = this.cols[n]![i]!;
      s[c] = Number.isNaN(v) ? null : v;
    });
    return s;
  }

  /** Time of the k-th oldest sample, without materialising it. */
  timeAt(k: number): number {
    return this.time[(this.head + k) % this.cap]!;
  }

  last(): MemorySample | undefined {
    return this.count ? this.at(this.count - 1) : undefined;
  }

  lastTime(): number | undefined {
    return this.count ? this.timeAt(this.count - 1) : undefined;
  }

  /** Samples with since < time < before, oldest first. */
  between(since: number, before = Infinity): MemorySample[] {
    const out: MemorySample[] = [];
    for (let k = 0; k < this.count; k++) {
      const t = this.timeAt(k);
      if (t > since && t < before) out.push(this.at(k));
    }
    return out;
  }
}

const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
const minOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));

/**
 * One coarse sample standing for a step of samples: the peaks of memory and the lowest headroom (what a chart of a
 * leak or a report's peak must not lose between two points), the latest of the rest.
 */
function peakOf(a: MemorySample, b: MemorySample): MemorySample {
  return {
    time: b.time,
    up: b.up,
    rss: maxOf(a.rss, b.rss),
    usage: maxOf(a.usage, b.usage),
    workingSet: maxOf(a.workingSet, b.workingSet),
    limit: b.limit,
    headroom: minOf(a.headroom, b.headroom),
    requests: b.requests ?? a.requests,
  };
}

/** Points kept for the older part of the series, whatever its length: enough for a chart's width. */
export const OLDER_POINTS = 720;

/**
 * Samples taken on demand (a scrape, the headroom guard) come between the ticks: the recent ring grows to keep
 * recentMs of them, up to this many times what the ticks alone need.
 */
const MAX_GROWTH = 4;

export interface SeriesOptions {
  /** The sampling tick. */
  intervalMs: number;
  /** How long samples are kept. */
  keepMs: number;
  /** How long every sample is kept; older ones are thinned to one per keepMs / 720, its peak. */
  recentMs: number;
}

/** Every sample for the recent past, then one per coarse step, so that a long series stays small. */
export class MemorySeries {
  private readonly recent: SampleRing;
  private readonly older: SampleRing | undefined;
  /** The coarse step being filled: its peak so far, and when it began. */
  private step: { peak: MemorySample; since: number } | undefined;
  private readonly nominal: number;

  constructor(private readonly opts: SeriesOptions & { olderIntervalMs: number }) {
    this.nominal = Math.max(1, Math.ceil(opts.recentMs / opts.intervalMs));
    this.recent = new SampleRing(this.nominal);
    if (opts.keepMs > opts.recentMs) this.older = new SampleRing(Math.ceil(opts.keepMs / opts.olderIntervalMs) + 1);
  }

  push(sample: MemorySample): void {
    const r = this.recent;
    // Full while holding less than recentMs (less a tick, for timer jitter): samples came faster than the ticks
    // (on-demand ones between them). Keep them all.
    const span = r.size ? sample.time - r.timeAt(0) : Infinity;
    if (r.size === r.capacity && r.capacity < this.nominal * MAX_GROWTH && span < this.opts.recentMs - this.opts.intervalMs) {
      r.grow(Math.min(r.capacity * 2, this.nominal * MAX_GROWTH));
    }
    r.push(sample);
    if (this.older) {
      this.step = this.step ? { peak: peakOf(this.step.peak, sample), since: this.step.since } : { peak: sample, since: sample.time };
      if (sample.time - this.step.since >= this.opts.olderIntervalMs - this.opts.intervalMs) {
        this.older.push(this.step.peak);
        this.step = undefined;
      }
    }
  }

  /** Samples with time > since (ms), oldest first: every one of the last recentMs, thinned before that. */
  between(since = 0): MemorySample[] {
    const recentFrom = this.recent.size ? this.recent.timeAt(0) : Infinity;
    const newest = this.recent.lastTime() ?? 0;
    const older = this.older?.between(Math.max(since, newest - this.opts.keepMs - 1), recentFrom) ?? [];
    return [...older, ...this.recent.between(since)];
  }

  lastTime(): number | undefined {
    return this.recent.lastTime();
  }
}
