// What the live UI needs over time besides memory (whose series the memory sampler keeps, src/sampling/): per
// target, a bounded ring of dump outcomes (failed and skipped dumps are not stored with the dumps). In memory only:
// it starts empty with the daemon; the dump history itself persists in the store.
import type { DumpOutcome, TargetHeap } from "../heap/target-heap.js";
import type { HeapManager } from "../heap/manager.js";
import type { MemorySampler } from "../sampling/sampler.js";

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

export interface OutcomeHistoryOptions {
  heaps: HeapManager;
  /** Heaps attached since are looked for on each of its samples (every tick). */
  sampler: MemorySampler;
  /** Dump outcomes kept per target (default 500). */
  keepOutcomes?: number;
}

export class OutcomeHistory {
  private readonly outcomes = new Map<string, Ring<OutcomeRecord>>();
  private readonly watched = new WeakSet<TargetHeap>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly opts: OutcomeHistoryOptions) {}

  start(): void {
    this.unsubscribe ??= this.opts.sampler.subscribe(() => this.watchHeaps());
    this.watchHeaps();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  dumpOutcomes(target: string): OutcomeRecord[] {
    return this.outcomes.get(target)?.toArray() ?? [];
  }

  /** Dump-outcome listeners on heaps attached since the last look. */
  watchHeaps(): void {
    for (const heap of this.opts.heaps.list()) {
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
}
