// The hammer against a scripted job runner: rounds, the concurrency bound, the rate cap, timeouts, back-off while
// the target is down, settings changed at run time, and stopping (gracefully, or aborting on shutdown).
import { afterEach, describe, expect, it } from "vitest";
import { Hammer, type HammerSettings } from "../../../src/load/hammer.js";
import type { JobControl, JobResult, JobRunner } from "../../../src/load/jobs.js";
import { LoadStats } from "../../../src/load/stats.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class FakeRunner implements JobRunner {
  readonly kind = "http" as const;
  inFlight = 0;
  maxInFlight = 0;
  starts: number[] = [];
  constructor(private readonly job: (ctl: JobControl) => Promise<JobResult> = () => sleep(5).then(() => ({ outcome: "ok" as const }))) {}
  async run(ctl: JobControl): Promise<JobResult> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.starts.push(performance.now());
    try {
      return await this.job(ctl);
    } finally {
      this.inFlight--;
    }
  }
  async close(): Promise<void> {}
}

const untilAborted = (ctl: JobControl) =>
  new Promise<JobResult>((resolve) => {
    ctl.cancel = () => resolve({ outcome: "error", error: "cancelled" });
    if (ctl.cancelled) ctl.cancel();
  });

function settings(s: Partial<HammerSettings> = {}): HammerSettings {
  return { concurrency: 4, jobs: null, waitSeconds: 0, rate: undefined, timeoutSeconds: 10, ...s };
}

let hammers: Hammer[] = [];
function hammer(runner: JobRunner, s: Partial<HammerSettings> = {}, isUp: () => boolean = () => true) {
  const stats = new LoadStats();
  const h = new Hammer(runner, settings(s), stats, isUp);
  hammers.push(h);
  return { h, stats };
}
afterEach(async () => {
  await Promise.all(hammers.map((h) => h.stop({ abort: true })));
  hammers = [];
});

describe("Hammer", () => {
  it("runs rounds of n jobs on t workers with w seconds between rounds", async () => {
    const r = new FakeRunner(() => sleep(10).then(() => ({ outcome: "ok" as const })));
    const { h, stats } = hammer(r, { concurrency: 3, jobs: 7, waitSeconds: 0.15 });
    h.start();
    await sleep(400);
    await h.stop();
    expect(r.maxInFlight).toBe(3);
    // Group the job starts into rounds by the gaps between them.
    const rounds: number[][] = [];
    for (const t of r.starts) {
      const last = rounds.at(-1);
      if (last && t - last.at(-1)! < 100) last.push(t);
      else rounds.push([t]);
    }
    expect(rounds.length).toBeGreaterThanOrEqual(2);
    expect(rounds.length).toBeLessThanOrEqual(3);
    for (const round of rounds.slice(0, -1)) expect(round).toHaveLength(7);
    expect(h.rounds).toBeGreaterThanOrEqual(rounds.length - 1);
    expect(stats.counts.ok).toBe(r.starts.length);
  });

  it("keeps exactly t jobs in flight with unbounded jobs", async () => {
    const r = new FakeRunner();
    const { h, stats } = hammer(r, { concurrency: 5 });
    h.start();
    await sleep(30);
    expect(stats.inFlight).toBe(5);
    await sleep(100);
    await h.stop();
    expect(r.maxInFlight).toBe(5);
    expect(stats.counts.ok).toBeGreaterThan(20);
    expect(stats.inFlight).toBe(0);
    expect(stats.durations.count).toBe(stats.counts.ok);
  });

  it("caps the rate with the token bucket", async () => {
    const r = new FakeRunner(async () => ({ outcome: "ok" }));
    const { h, stats } = hammer(r, { concurrency: 8, rate: 100 });
    h.start();
    await sleep(1000);
    await h.stop();
    expect(stats.counts.ok).toBeGreaterThanOrEqual(85);
    expect(stats.counts.ok).toBeLessThanOrEqual(110);
  });

  it("aborts a job after the timeout, counts it once and goes on", async () => {
    const r = new FakeRunner(untilAborted);
    const { h, stats } = hammer(r, { concurrency: 2, timeoutSeconds: 0.05 });
    h.start();
    await sleep(330);
    await h.stop();
    expect(stats.counts.timeout).toBeGreaterThanOrEqual(8);
    expect(stats.counts.timeout).toBeLessThanOrEqual(14);
    expect(stats.counts.error).toBe(0);
    expect(stats.counts.ok).toBe(0);
    expect(stats.lastError?.message).toMatch(/no answer within 0.05s/);
  });

  it("backs off exponentially while connections are refused, and recovers at once after a success", async () => {
    let refusing = true;
    const r = new FakeRunner(async () => (refusing ? { outcome: "error", down: true, error: "ECONNREFUSED" } : { outcome: "ok" }));
    const { h, stats } = hammer(r, { concurrency: 4 });
    h.start();
    await sleep(1000);
    // Pauses of 100, 200 and 400 ms: the first failures of the 4 workers, then about one probe per pause, not a
    // tight loop.
    expect(stats.counts.error).toBeGreaterThanOrEqual(4);
    expect(stats.counts.error).toBeLessThanOrEqual(24);
    expect(h.pausedBecause).toBe("target unreachable");
    refusing = false;
    await sleep(1700); // the longest pause so far is 1.6 s
    const ok = stats.counts.ok;
    expect(ok).toBeGreaterThan(100);
    expect(h.backoff.failures).toBe(0);
    await h.stop();
  });

  it("counts HTTP errors without backing off (the target is up and answering)", async () => {
    const r = new FakeRunner(async () => ({ outcome: "error", error: "HTTP 500" }));
    const { h, stats } = hammer(r, { concurrency: 2 });
    h.start();
    await sleep(100);
    await h.stop();
    expect(stats.counts.error).toBeGreaterThan(100);
  });

  it("sends nothing while the target is down and starts when it comes up", async () => {
    let up = false;
    const r = new FakeRunner();
    const { h, stats } = hammer(r, {}, () => up);
    h.start();
    await sleep(300);
    expect(r.starts).toHaveLength(0);
    expect(h.pausedBecause).toBe("target down");
    up = true;
    await sleep(500); // at most the 400 ms pause then in progress
    expect(stats.counts.ok).toBeGreaterThan(0);
    await h.stop();
  });

  it("changes concurrency, rate and jobs while running", async () => {
    const r = new FakeRunner(() => sleep(20).then(() => ({ outcome: "ok" as const })));
    const { h, stats } = hammer(r, { concurrency: 2 });
    h.start();
    await sleep(50);
    expect(stats.inFlight).toBe(2);
    h.update(settings({ concurrency: 6 }));
    await sleep(10);
    expect(stats.inFlight).toBe(6);
    h.update(settings({ concurrency: 1 }));
    await sleep(60);
    expect(stats.inFlight).toBe(1);
    h.update(settings({ concurrency: 4, rate: 20 }));
    const before = stats.counts.ok;
    await sleep(500);
    expect(stats.counts.ok - before).toBeLessThanOrEqual(14); // 20/s for 0.5 s plus the burst and the jobs in flight
    // A bounded round: the current round ends after its jobs, then rounds of 3 follow.
    // Workers already holding a job (waiting for their token) still run it.
    h.update(settings({ concurrency: 4, jobs: 3, waitSeconds: 10 }));
    await sleep(400);
    const n = stats.counts.ok;
    await sleep(300);
    expect(stats.counts.ok).toBe(n); // waiting out the 10 s between rounds
    expect(h.rounds).toBeGreaterThanOrEqual(1);
    await h.stop();
  });

  it("stop lets jobs in flight finish and counts them; stop({abort}) aborts them uncounted", async () => {
    const r = new FakeRunner(() => sleep(80).then(() => ({ outcome: "ok" as const })));
    const { h, stats } = hammer(r, { concurrency: 3 });
    h.start();
    await sleep(20);
    await h.stop();
    expect(stats.counts.ok).toBe(3);
    expect(h.running).toBe(false);
    // Restartable.
    const r2 = new FakeRunner(untilAborted);
    const { h: h2, stats: s2 } = hammer(r2, { concurrency: 3 });
    h2.start();
    await sleep(20);
    const started = performance.now();
    await h2.stop({ abort: true });
    expect(performance.now() - started).toBeLessThan(100);
    expect(s2.total).toBe(0);
    expect(s2.inFlight).toBe(0);
    expect(h.start()).toBe(true);
    expect(h.start()).toBe(false);
    await sleep(10);
    expect(stats.inFlight).toBe(3);
  });
});
