// What the live UI needs over time and the daemon otherwise only exposes as "now" (/metrics): per target, a bounded
// ring of memory samples (RSS, cgroup working set, effective limit, headroom, cumulative load requests) and of dump
// outcomes (failed and skipped dumps are not stored with the dumps). In memory only: it starts empty with the
// daemon; the dump history itself persists in the store.
import type { Logger } from "pino";
import { levelsUpToMount } from "../cgroups/membership.js";
import { readCgroup } from "../cgroups/read.js";
import type { DumpOutcome, TargetHeap } from "../heap/target-heap.js";
import type { HeapManager } from "../heap/manager.js";
import type { ProcFs } from "../procfs/process.js";
import type { Target } from "../targets/target.js";

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

export interface OutcomeRecord {
  /** Unix epoch milliseconds when the dump finished (or was skipped). */
  time: number;
  result: DumpOutcome["result"];
  reason: string | null;
  message: string | null;
  /** The stored dump's id, for a success. */
  id: string | null;
}

/** A fixed-capacity ring: pushing beyond capacity drops the oldest. */
export class Ring<T> {
  private readonly buf: T[] = [];
  private head = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be an integer ≥ 1, got ${capacity}`);
  }

  push(v: T): void {
    if (this.buf.length < this.capacity) this.buf.push(v);
    else {
      this.buf[this.head] = v;
      this.head = (this.head + 1) % this.capacity;
    }
  }

  get size(): number {
    return this.buf.length;
  }

  /** Oldest first. */
  toArray(): T[] {
    return [...this.buf.slice(this.head), ...this.buf.slice(0, this.head)];
  }
}

/** The nullable numeric fields of a MemorySample, in column order. */
const COLUMNS = ["rss", "usage", "workingSet", "limit", "headroom", "requests"] as const;

/**
 * Memory samples of one target, kept in columns (Float64Array; NaN stands for null) rather than as objects. The
 * history is the one part of the daemon that grows with time, up to its capacity times the targets: ~60 bytes a
 * sample this way, against ~110 as objects with their boxed doubles (bench/metrics/history.mjs), and none of it on
 * V8's heap, where long-lived objects would be promoted and widen every old-generation collection.
 */
export class SampleRing {
  private readonly time: Float64Array;
  private readonly up: Uint8Array;
  private readonly cols: Float64Array[];
  private head = 0; // index of the oldest sample
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be an integer ≥ 1, got ${capacity}`);
    this.time = new Float64Array(capacity);
    this.up = new Uint8Array(capacity);
    this.cols = COLUMNS.map(() => new Float64Array(capacity));
  }

  get size(): number {
    return this.count;
  }

  push(s: MemorySample): void {
    let i: number;
    if (this.count < this.capacity) i = (this.head + this.count++) % this.capacity;
    else {
      i = this.head;
      this.head = (this.head + 1) % this.capacity;
    }
    this.time[i] = s.time;
    this.up[i] = s.up ? 1 : 0;
    COLUMNS.forEach((c, k) => {
      this.cols[k]![i] = s[c] ?? NaN;
    });
  }

  /** The k-th oldest sample (0 ≤ k < size). */
  at(k: number): MemorySample {
    const i = (this.head + k) % this.capacity;
    const s = { time: this.time[i]!, up: this.up[i] === 1 } as MemorySample;
    COLUMNS.forEach((c, n) => {
      const v = this.cols[n]![i]!;
      s[c] = Number.isNaN(v) ? null : v;
    });
    return s;
  }

  /** Time of the k-th oldest sample, without materialising it. */
  timeAt(k: number): number {
    return this.time[(this.head + k) % this.capacity]!;
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

/** Every sample for the recent past, then one per coarse step, so that a long history stays small. */
interface TargetSamples {
  recent: SampleRing;
  older?: SampleRing;
  /** The coarse step being filled: its peak so far, and when it began. */
  step?: { peak: MemorySample; since: number };
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

/** Points kept for the older part of the history, whatever its length: enough for a chart's width. */
const OLDER_POINTS = 720;

export interface LiveHistoryOptions {
  targets: () => Target[];
  proc: ProcFs;
  heaps?: HeapManager;
  /** Cumulative load requests of a target, when load is known. */
  requests?: (target: string) => number | undefined;
  logger?: Logger;
  /** Sampling interval (default 2 s). */
  intervalMs?: number;
  /** How long samples are kept (default 2 h). */
  keepMs?: number;
  /** How long every sample is kept (default 10 min); older ones are thinned to one per keepMs / 720, its peak. */
  recentMs?: number;
  /** Dump outcomes kept per target (default 500). */
  keepOutcomes?: number;
}

export class LiveHistory {
  readonly intervalMs: number;
  readonly keepMs: number;
  readonly recentMs: number;
  /** Spacing of the samples older than recentMs. */
  readonly olderIntervalMs: number;
  private readonly samples = new Map<string, TargetSamples>();
  private readonly outcomes = new Map<string, Ring<OutcomeRecord>>();
  private readonly watched = new WeakSet<TargetHeap>();
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;

  constructor(private readonly opts: LiveHistoryOptions) {
    this.intervalMs = opts.intervalMs ?? 2000;
    this.keepMs = opts.keepMs ?? 2 * 3600 * 1000;
    this.recentMs = Math.min(opts.recentMs ?? 10 * 60 * 1000, this.keepMs);
    this.olderIntervalMs = Math.max(this.intervalMs, Math.ceil(this.keepMs / OLDER_POINTS));
  }

  start(): void {
    if (this.timer) return;
    const round = () => void this.sample().catch((err: unknown) => this.opts.logger?.warn({ err: String(err) }, "ui history: sampling failed"));
    round();
    this.timer = setInterval(round, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Samples with time > since (ms), oldest first: every one of the last recentMs, thinned before that. */
  memory(target: string, since = 0): MemorySample[] {
    const t = this.samples.get(target);
    if (!t) return [];
    const recentFrom = t.recent.size ? t.recent.timeAt(0) : Infinity;
    const newest = t.recent.lastTime() ?? 0;
    const older = t.older?.between(Math.max(since, newest - this.keepMs - 1), recentFrom) ?? [];
    return [...older, ...t.recent.between(since)];
  }

  /** The newest sample of a target. */
  latest(target: string): MemorySample | undefined {
    return this.samples.get(target)?.recent.last();
  }

  dumpOutcomes(target: string): OutcomeRecord[] {
    return this.outcomes.get(target)?.toArray() ?? [];
  }

  /** One round: every target's memory now, and dump-outcome listeners on heaps attached since the last round. */
  async sample(now = Date.now()): Promise<void> {
    this.watchHeaps();
    if (this.sampling) return; // a slow round (a huge cgroup?) is never overlapped
    this.sampling = true;
    try {
      const cgroupReads = new Map<string, ReturnType<typeof readCgroup>>();
      await Promise.all(this.opts.targets().map((t) => this.sampleTarget(t, now, cgroupReads)));
    } finally {
      this.sampling = false;
    }
  }

  private watchHeaps(): void {
    for (const heap of this.opts.heaps?.list() ?? []) {
      if (this.watched.has(heap)) continue;
      this.watched.add(heap);
      const name = heap.target.name;
      heap.onDump((o) => {
        let ring = this.outcomes.get(name);
        if (!ring) this.outcomes.set(name, (ring = new Ring(this.opts.keepOutcomes ?? 500)));
        ring.push({ time: Date.now(), result: o.result, reason: o.reason ?? null, message: o.message ?? null, id: o.summary?.id ?? null });
      });
    }
  }

  private async sampleTarget(t: Target, now: number, cgroupReads: Map<string, ReturnType<typeof readCgroup>>): Promise<void> {
    let rss: number | null = null;
    if (t.up) {
      for (const pid of t.pids) {
        try {
          const m = await this.opts.proc.memory(pid);
          rss = (rss ?? 0) + (m.rss ?? 0);
        } catch {
          // exited between discovery and now: the target going down, not a failure
        }
      }
    }
    let cg: Awaited<ReturnType<typeof readCgroup>> | undefined;
    if (t.cgroup) {
      const { mount, dir } = t.cgroup;
      try {
        let read = cgroupReads.get(dir);
        if (!read) cgroupReads.set(dir, (read = readCgroup(mount.version, levelsUpToMount(mount, dir))));
        cg = await read;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT" && t.up) this.opts.logger?.debug({ target: t.name, err: String(err) }, "ui history: cgroup read failed");
      }
    }
    let rings = this.samples.get(t.name);
    if (!rings) {
      rings = { recent: new SampleRing(Math.max(1, Math.ceil(this.recentMs / this.intervalMs))) };
      if (this.keepMs > this.recentMs) rings.older = new SampleRing(Math.ceil(this.keepMs / this.olderIntervalMs) + 1);
      this.samples.set(t.name, rings);
    }
    const sample: MemorySample = {
      time: now,
      up: t.up,
      rss,
      usage: cg?.usage ?? null,
      workingSet: cg?.workingSet ?? null,
      limit: cg?.limit ?? null,
      headroom: cg?.headroom ?? null,
      requests: this.opts.requests?.(t.name) ?? null,
    };
    rings.recent.push(sample);
    if (rings.older) {
      rings.step = rings.step ? { peak: peakOf(rings.step.peak, sample), since: rings.step.since } : { peak: sample, since: now };
      if (now - rings.step.since >= this.olderIntervalMs - this.intervalMs) {
        rings.older.push(rings.step.peak);
        rings.step = undefined;
      }
    }
  }
}
