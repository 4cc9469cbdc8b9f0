// Gives every target with heap statistics enabled its source, its HeapState and its scheduler. With
// --heap-source auto the runtime is recognised once the target's process is up, so a target that starts
// later (or a --match that finds nothing yet) gets its source on a later discovery tick. The runtime recognised
// for a target (leakwatch_target_info{runtime}) is known here, and read from here.
import path from "node:path";
import type { Logger } from "pino";
import type { Config, TargetConfig } from "../config/schema.js";
import type { MemorySampler } from "../sampling/sampler.js";
import type { Target } from "../targets/target.js";
import type { HeapSource } from "../model/dump.js";
import type { DumpStore } from "./store.js";
import type { DumpOutcome, RunnerOptions } from "./runner.js";
import { HeapState, type DumpListener, type HeapSeries, type HeapView } from "./state.js";
import { HeapScheduler } from "./scheduler.js";
import { makeDir } from "../util/fs.js";

export interface SourceChoice {
  source?: HeapSource;
  /** The runtime recognised (jvm, node, dotnet, unknown) — shown in leakwatch_target_info{runtime}. */
  runtime: string;
  /** Why no source was chosen, when none was. */
  reason?: string;
}

export type ChooseSource = (t: Target, rawDir: string) => Promise<SourceChoice>;

export interface HeapManagerOptions {
  config: Config;
  targets: () => Target[];
  store: DumpStore;
  /** Memory of the targets: the --dump-at trigger and the headroom guard read it. */
  sampler: MemorySampler;
  logger: Logger;
  chooseSource: ChooseSource;
  /** Cumulative load requests of a target, when load is known. */
  requests?: (target: string) => number | undefined;
  /** Runs before each dump of the target (reads load counted by the target itself). */
  beforeDump?: (target: string) => Promise<void>;
  /** Records each dump's raw files so that none outlives leakwatch. */
  ledger?: RunnerOptions["ledger"];
}

export class HeapManager {
  private readonly heaps = new Map<string, HeapState>();
  private readonly schedulers = new Map<string, HeapScheduler>();
  private readonly runtimes = new Map<string, string>();
  private readonly listeners = new Set<DumpListener>();
  private readonly undecided = new Set<Target>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: HeapManagerOptions) {}

  rawDir(target: string): string {
    return path.join(this.opts.config.dataDir, "raw", target);
  }

  async start(): Promise<void> {
    await makeDir(this.opts.config.dataDir, 0o700);
    for (const t of this.opts.targets()) if (t.config.heapSource !== "none") this.undecided.add(t);
    await this.decide();
    this.timer = setInterval(() => void this.decide(), this.opts.config.discoveryInterval * 1000);
    this.timer.unref();
  }

  private async decide(): Promise<void> {
    for (const t of [...this.undecided]) {
      if (!t.up) continue;
      this.undecided.delete(t);
      const rawDir = this.rawDir(t.name);
      let choice: SourceChoice;
      try {
        choice = await this.opts.chooseSource(t, rawDir);
      } catch (err) {
        this.opts.logger.error({ target: t.name, err: (err as Error).message }, "no heap source");
        continue;
      }
      this.runtimes.set(t.name, choice.runtime);
      if (!choice.source) {
        this.opts.logger.warn({ target: t.name, runtime: choice.runtime, reason: choice.reason }, "no heap statistics for this target");
        continue;
      }
      this.opts.logger.info({ target: t.name, runtime: choice.runtime, source: choice.source.name }, "heap source chosen");
      this.attach(t, choice.source, choice.runtime, rawDir);
    }
  }

  private attach(t: Target, source: HeapSource, runtime: string, rawDir: string): void {
    const c: TargetConfig = t.config;
    const heap = new HeapState(
      t,
      source,
      runtime,
      this.opts.store,
      {
        timeoutSeconds: c.dumpTimeout,
        keepDumps: c.keepDumps,
        maxTypes: c.maxTypes,
        verdict: {
          window: c.verdictWindow,
          minAbsoluteGrowthBytes: c.minGrowth,
          minAbsoluteGrowthObjects: c.minGrowthObjects,
          warmupSeconds: this.opts.config.warmup,
        },
        rawDir,
        ledger: this.opts.ledger,
        retention: { mode: c.retentionAnalysis, dir: path.join(this.opts.config.dataDir, "retention") },
      },
      this.opts.logger,
    );
    heap.on("dump", (e) => {
      for (const fn of this.listeners) fn(e);
    });
    const scheduler = new HeapScheduler(
      heap,
      {
        cron: c.dumpSchedule,
        everySeconds: c.dumpEvery,
        jitter: 0.1,
        dumpAt: c.dumpAt,
        pollSeconds: Math.min(1, this.opts.config.discoveryInterval),
        everyRequests: c.dumpEveryRequests,
        requests: () => this.opts.requests?.(t.name),
        beforeDump: this.opts.beforeDump ? () => this.opts.beforeDump!(t.name) : undefined,
      },
      this.opts.sampler,
      this.opts.logger,
    );
    this.heaps.set(t.name, heap);
    this.schedulers.set(t.name, scheduler);
    scheduler.start();
  }

  /** The runtime recognised for the target (jvm, node, dotnet), "unknown" until its process has been looked at. */
  runtime(target: string): string {
    return this.runtimes.get(target) ?? "unknown";
  }

  /** The current view of every target with a heap source. */
  views(): HeapView[] {
    return [...this.heaps.values()].map((h) => h.view);
  }

  /** The current view of one target; undefined while it has no heap source. */
  view(target: string): HeapView | undefined {
    return this.heaps.get(target)?.view;
  }

  /** The verdict window's values of one target (the UI's series); undefined while there are none to read. */
  series(target: string): HeapSeries | undefined {
    return this.heaps.get(target)?.series;
  }

  /** Resolves once every target's view includes every dump stored so far. */
  async settled(): Promise<void> {
    await Promise.all([...this.heaps.values()].map((h) => h.settled()));
  }

  /** Resolves once no dump of any target is running and every stored dump's analysis is published. */
  async idle(): Promise<void> {
    await Promise.all([...this.heaps.values()].map((h) => h.idle()));
  }

  /** Calls fn after every dump outcome of every target, those that get a heap source later included. Returns an unsubscribe. */
  on(_event: "dump", fn: DumpListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** On demand (admin API, load trigger). Undefined when the target has no heap source. */
  dumpNow(target: string, trigger: string): Promise<DumpOutcome> | undefined {
    return this.schedulers.get(target)?.dumpNow(trigger);
  }

  /** Stops the schedules and ends the dumps in flight; resolves once they have ended, removed their raw files and undone what they did in the targets. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const s of this.schedulers.values()) s.stop();
    await Promise.all([...this.heaps.values()].map((h) => h.stop()));
  }
}
