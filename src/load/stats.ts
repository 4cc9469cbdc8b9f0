// What the load of one target has done so far: requests by outcome, requests in flight, and a histogram of
// request durations. Plain numbers updated on the hot path; the load collector reads them on each scrape.

export type Outcome = "ok" | "error" | "timeout";
export const OUTCOMES: readonly Outcome[] = ["ok", "error", "timeout"];

/** Upper bounds (seconds) of leakwatch_load_request_duration_seconds; +Inf is implied. */
export const DURATION_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class DurationHistogram {
  /** counts[i]: observations ≤ buckets[i] and > buckets[i-1]; counts[buckets.length]: the rest (+Inf). */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly buckets: readonly number[] = DURATION_BUCKETS) {
    this.counts = new Array<number>(buckets.length + 1).fill(0);
  }

  observe(seconds: number): void {
    const b = this.buckets;
    let i = 0;
    while (i < b.length && seconds > b[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }

  /** [upper bound, cumulative count] per bucket, +Inf last (as exposed). */
  cumulative(): [number, number][] {
    const out: [number, number][] = [];
    let acc = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      acc += this.counts[i]!;
      out.push([this.buckets[i]!, acc]);
    }
    out.push([Infinity, this.count]);
    return out;
  }
}

export class LoadStats {
  readonly counts: Record<Outcome, number> = { ok: 0, error: 0, timeout: 0 };
  /** Of counts.ok: requests reported from outside (POST …/load {count}, --load-from-metric). */
  external = 0;
  inFlight = 0;
  readonly durations = new DurationHistogram();
  lastError: { message: string; at: number } | undefined;

  record(outcome: Outcome, seconds: number): void {
    this.counts[outcome]++;
    this.durations.observe(seconds);
  }

  addExternal(n: number): void {
    this.counts.ok += n;
    this.external += n;
  }

  get total(): number {
    return this.counts.ok + this.counts.error + this.counts.timeout;
  }
}
