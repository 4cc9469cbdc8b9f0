// The hammer: the manual method's loop, built in. Rounds of `jobs` jobs run by `concurrency` workers, `wait`
// seconds between rounds (or one endless round when jobs is unbounded), at most `rate` jobs per second (a token
// bucket), each job aborted after `timeout`. Failed jobs are counted, never retried; while the target is down (not
// up, or refusing connections) every worker pauses, the pause doubling from 100 ms to 5 s until a job succeeds.
// Settings change while it runs: more workers start at once, fewer finish their current job and stop.
import { setMaxListeners } from "node:events";
import { setImmediate as yieldToLoop, setTimeout as sleepFor } from "node:timers/promises";
import type { Logger } from "pino";
import { Backoff } from "./backoff.js";
import type { JobControl, JobResult, JobRunner } from "./jobs.js";
import type { LoadStats } from "./stats.js";
import { TokenBucket } from "./token-bucket.js";

export interface HammerSettings {
  concurrency: number;
  /** Jobs per round; null: unbounded (one endless round). */
  jobs: number | null;
  /** Pause between rounds. */
  waitSeconds: number;
  /** Jobs per second at most; undefined: uncapped. */
  rate: number | undefined;
  timeoutSeconds: number;
}

interface Round {
  left: number;
  started: number;
  alive: Set<number>;
  done: () => void;
  finished: Promise<void>;
}

/** One start…stop of the hammer: its workers stop when it does, whatever a later start does. */
interface Run {
  stopped: boolean;
  /** Wakes the workers that are waiting (back-off, token, between rounds) when the run stops. */
  stopper: AbortController;
  inflight: Set<JobControl>;
  round: Round | undefined;
  loop: Promise<void>;
  /** Cancels the jobs that have run longer than the timeout (one timer for all, not one per job). */
  sweep: NodeJS.Timeout | undefined;
}
/** Failures are logged at most this often (they are all counted). */
const LOG_EVERY_MS = 10_000;

export class Hammer {
  private run: Run | undefined;
  private bucket: TokenBucket | undefined;
  private lastLog = 0;
  readonly backoff = new Backoff();
  /** Rounds completed since the hammer was created. */
  rounds = 0;

  constructor(
    private readonly runner: JobRunner,
    private settingsNow: HammerSettings,
    private readonly stats: LoadStats,
    private readonly isUp: () => boolean,
    private readonly log?: Logger,
    private readonly target = "",
  ) {}

  get settings(): HammerSettings {
    return this.settingsNow;
  }

  get running(): boolean {
    return this.run !== undefined && !this.run.stopped;
  }

  /** Why the workers are holding back: the target is down, or failing to connect (until a request succeeds). */
  get pausedBecause(): string | undefined {
    if (!this.running) return undefined;
    if (!this.isUp()) return "target down";
    return this.backoff.failures > 0 ? "target unreachable" : undefined;
  }

  /** Starts the workers; false when already running. */
  start(): boolean {
    if (this.running) return false;
    this.backoff.reset();
    this.bucket = this.settingsNow.rate !== undefined ? new TokenBucket(this.settingsNow.rate) : undefined;
    const run: Run = { stopped: false, stopper: new AbortController(), inflight: new Set(), round: undefined, loop: Promise.resolve(), sweep: undefined };
    setMaxListeners(0, run.stopper.signal);
    this.run = run;
    this.startSweep(run);
    run.loop = this.runRounds(run).finally(() => clearInterval(run.sweep));
    return true;
  }

  /** Checks for jobs past the timeout a few times per timeout (at least every 250 ms, at most every 5 ms). */
  private startSweep(run: Run): void {
    clearInterval(run.sweep);
    const timeoutMs = this.settingsNow.timeoutSeconds * 1000;
    run.sweep = setInterval(
      () => {
        const limit = performance.now() - this.settingsNow.timeoutSeconds * 1000;
        for (const c of run.inflight) {
          if (c.started <= limit && !c.cancelled) {
            c.cancelled = "timeout";
            c.cancel?.();
          }
        }
      },
      Math.min(250, Math.max(5, timeoutMs / 8)),
    );
    run.sweep.unref();
  }

  /**
   * Stops starting jobs; the jobs in flight finish and are counted (so the count matches what the target served),
   * or with `abort` (shutdown) are aborted and not counted. Resolves once every worker has finished.
   */
  async stop({ abort = false } = {}): Promise<void> {
    const run = this.run;
    if (!run) return;
    run.stopped = true;
    run.stopper.abort();
    if (abort) {
      for (const c of run.inflight) {
        c.cancelled ??= "stop";
        c.cancel?.();
      }
    }
    await run.loop;
  }

  /** Applies new settings, to the running workers too. */
  update(next: HammerSettings): void {
    const prev = this.settingsNow;
    this.settingsNow = next;
    if (next.rate === undefined) this.bucket = undefined;
    else if (this.bucket) this.bucket.setRate(next.rate);
    else this.bucket = new TokenBucket(next.rate);
    const run = this.run;
    if (run && !run.stopped && next.timeoutSeconds !== prev.timeoutSeconds) this.startSweep(run);
    const r = run?.round;
    if (!run || run.stopped || !r) return;
    if (next.jobs !== prev.jobs) r.left = next.jobs === null ? Infinity : Math.max(0, next.jobs - r.started);
    this.spawnWorkers(run, r);
  }

  private async runRounds(run: Run): Promise<void> {
    while (!run.stopped) {
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const round: Round = { left: this.settingsNow.jobs ?? Infinity, started: 0, alive: new Set(), done, finished };
      run.round = round;
      this.spawnWorkers(run, round);
      if (round.alive.size === 0) round.done();
      await round.finished;
      run.round = undefined;
      if (run.stopped) break;
      this.rounds++;
      // Even with no wait, yield to the event loop between rounds.
      await this.sleep(run, this.settingsNow.waitSeconds * 1000);
    }
  }

  private spawnWorkers(run: Run, round: Round): void {
    for (let i = 0; i < this.settingsNow.concurrency && round.left > 0; i++) {
      if (round.alive.has(i)) continue;
      round.alive.add(i);
      // Runs synchronously up to its first await: it has taken its job before the next worker is considered.
      void this.worker(run, i, round);
    }
  }

  private async worker(run: Run, i: number, round: Round): Promise<void> {
    let jobs = 0;
    try {
      while (!run.stopped && i < this.settingsNow.concurrency && round.left > 0) {
        round.left--;
        round.started++;
        if (!this.ready(run) && !(await this.gate(run))) break;
        await this.runOne(run);
        // A job that fails at once settles in a microtask: without this, such a loop would starve timers and I/O.
        if (++jobs % 32 === 0) await yieldToLoop();
      }
    } catch (err) {
      this.log?.error({ target: this.target, err }, "load worker failed (bug)");
    } finally {
      round.alive.delete(i);
      if (round.alive.size === 0) round.done();
    }
  }

  /** The common case, without a promise: running, no rate cap, no back-off, target up. */
  private ready(run: Run): boolean {
    return !run.stopped && this.bucket === undefined && this.backoff.failures === 0 && this.isUp();
  }

  /** Waits until a job may start: the target is up, no back-off pause, a token. False once stopped. */
  private async gate(run: Run): Promise<boolean> {
    for (;;) {
      if (run.stopped) return false;
      if (!this.isUp()) {
        await this.sleep(run, this.backoff.fail());
        continue;
      }
      const pause = this.backoff.remaining();
      if (pause > 0) {
        await this.sleep(run, pause);
        continue;
      }
      break;
    }
    if (this.bucket) {
      const wait = this.bucket.reserve();
      if (wait > 0) await this.sleep(run, wait);
    }
    return !run.stopped;
  }

  private async runOne(run: Run): Promise<void> {
    const ctl: JobControl = { started: performance.now() };
    run.inflight.add(ctl);
    this.stats.inFlight++;
    let r: JobResult;
    try {
      r = await this.runner.run(ctl);
    } catch (err) {
      r = { outcome: "error", error: String(err) };
    } finally {
      run.inflight.delete(ctl);
      this.stats.inFlight--;
    }
    if (ctl.cancelled === "stop") return;
    const seconds = (performance.now() - ctl.started) / 1000;
    if (ctl.cancelled === "timeout") {
      this.stats.record("timeout", seconds);
      this.failed(`no answer within ${this.settingsNow.timeoutSeconds}s`);
      return;
    }
    this.stats.record(r.outcome, seconds);
    if (r.outcome === "ok") {
      if (this.backoff.failures > 0) this.backoff.reset();
      return;
    }
    if (r.down) this.backoff.fail();
    this.failed(r.error ?? "failed");
  }

  private failed(message: string): void {
    const now = Date.now();
    this.stats.lastError = { message, at: now };
    if (now - this.lastLog >= LOG_EVERY_MS) {
      this.lastLog = now;
      this.log?.warn({ target: this.target, error: message, errors: this.stats.counts.error, timeouts: this.stats.counts.timeout }, "load request failed");
    }
  }

  private async sleep(run: Run, ms: number): Promise<void> {
    if (run.stopped) return;
    try {
      await sleepFor(ms, undefined, { signal: run.stopper.signal });
    } catch {
      // stopped
    }
  }
}
