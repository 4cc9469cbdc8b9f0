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
  /** Dump outcomes kept per target (default 500). */
  keepOutcomes?: number;
}

export class LiveHistory {
  readonly intervalMs: number;
  readonly keepMs: number;
  private readonly samples = new Map<string, Ring<MemorySample>>();
  private readonly outcomes = new Map<string, Ring<OutcomeRecord>>();
  private readonly watched = new WeakSet<TargetHeap>();
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;

  constructor(private readonly opts: LiveHistoryOptions) {
    this.intervalMs = opts.intervalMs ?? 2000;
    this.keepMs = opts.keepMs ?? 2 * 3600 * 1000;
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

  /** Samples with time > since (ms), oldest first. */
  memory(target: string, since = 0): MemorySample[] {
    const all = this.samples.get(target)?.toArray() ?? [];
    return since > 0 ? all.filter((s) => s.time > since) : all;
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
    let ring = this.samples.get(t.name);
    if (!ring) this.samples.set(t.name, (ring = new Ring(Math.max(1, Math.ceil(this.keepMs / this.intervalMs)))));
    ring.push({
      time: now,
      up: t.up,
      rss,
      usage: cg?.usage ?? null,
      workingSet: cg?.workingSet ?? null,
      limit: cg?.limit ?? null,
      headroom: cg?.headroom ?? null,
      requests: this.opts.requests?.(t.name) ?? null,
    });
  }
}
