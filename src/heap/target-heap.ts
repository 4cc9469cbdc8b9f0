// One target's heap statistics: takes dumps when told to (never two at once), stores them, and keeps the
// latest verdicts and the sticky set of exported types. Triggers (clock, memory threshold, API) live in the
// scheduler; this file owns what happens once a dump is due.
import { mkdir, unlink, readdir, rename, stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import type { Target } from "../targets/target.js";
import { leakVerdicts, TypeSelector, type TypeSelection, type TypeVerdict, type VerdictOptions } from "../analysis/index.js";
import { DumpError, type DumpReason, type HeapSource } from "../model/dump.js";
import type { DumpSummary } from "../model/summary.js";
import { type DumpStore, newDumpId } from "./store.js";

export type DumpResult = "success" | "failure" | "skipped";

/** Kept free beyond a source's own memory estimate when the headroom guard decides. */
export const HEADROOM_MARGIN = 16 * 1024 * 1024;

export interface TargetHeapOptions {
  timeoutSeconds: number;
  keepDumps: number;
  maxTypes: number;
  verdict: VerdictOptions;
  /** Private directory for this target's raw dumps (created 0700). */
  rawDir: string;
}

export interface DumpOutcome {
  result: DumpResult;
  reason?: DumpReason;
  message?: string;
  summary?: DumpSummary;
}

export class TargetHeap {
  /** result → reason ("" for success) → count: leakwatch_heap_dumps_total. */
  readonly counts = new Map<DumpResult, Map<string, number>>();
  lastDurationSeconds: number | undefined;
  lastSuccessSeconds: number | undefined;
  lastOutcome: DumpOutcome | undefined;
  verdicts: TypeVerdict[] = [];
  selection: TypeSelection | undefined;
  private running: Promise<DumpOutcome> | undefined;
  private readonly selector: TypeSelector;
  private readonly listeners: ((o: DumpOutcome) => void)[] = [];

  constructor(
    readonly target: Target,
    readonly source: HeapSource,
    private readonly store: DumpStore,
    private readonly opts: TargetHeapOptions,
    private readonly log: Logger,
    /** Cumulative load requests for the target, when load is known (a later capability). */
    private readonly requests: () => number | undefined = () => undefined,
  ) {
    this.selector = new TypeSelector(opts.maxTypes);
    this.analyse();
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  onDump(fn: (o: DumpOutcome) => void): void {
    this.listeners.push(fn);
  }

  private count(result: DumpResult, reason = ""): void {
    let m = this.counts.get(result);
    if (!m) this.counts.set(result, (m = new Map()));
    m.set(reason, (m.get(reason) ?? 0) + 1);
  }

  private finish(o: DumpOutcome): DumpOutcome {
    this.count(o.result, o.reason);
    this.lastOutcome = o;
    for (const fn of this.listeners) fn(o);
    return o;
  }

  skip(reason: DumpReason, message: string): DumpOutcome {
    this.log.info({ target: this.target.name, reason, message }, "heap dump skipped");
    return this.finish({ result: "skipped", reason, message });
  }

  /** Takes one dump now, unless one is running (then it is counted as skipped with reason busy). */
  dump(trigger: string, guard: { headroom?: number; rss?: number } = {}): Promise<DumpOutcome> {
    if (this.running) return Promise.resolve(this.skip("busy", "a dump of this target is still running"));
    this.running = this.run(trigger, guard).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(trigger: string, { headroom, rss }: { headroom?: number; rss?: number }): Promise<DumpOutcome> {
    const t = this.target;
    const pid = t.main?.pid;
    if (pid === undefined) return this.skip("target_down", "no process behind the target");
    if (headroom !== undefined) {
      // Observing the target must never be what kills it.
      // The estimate is rough (a snapshot of many small objects costs more than one of a few big ones), so a
      // margin stays free on top of it.
      const last = [...this.store.list(t.name)].reverse().find((d) => d.source === this.source.name);
      const cost = await this.source.memoryCost({ pid, rss, lastObjects: last?.totalObjects }).catch(() => 0);
      if (cost > 0 && cost + HEADROOM_MARGIN > headroom) {
        return this.skip("insufficient_headroom", `the dump needs about ${cost} bytes plus a ${HEADROOM_MARGIN}-byte margin, the cgroup has ${headroom} left`);
      }
    }
    await mkdir(this.opts.rawDir, { recursive: true, mode: 0o700 });
    const started = Date.now();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new DumpError("timeout", `no result within ${this.opts.timeoutSeconds}s`)), this.opts.timeoutSeconds * 1000);
    this.log.info({ target: t.name, pid, source: this.source.name, trigger }, "heap dump started");
    try {
      const body = await Promise.race([
        this.source.dump({
          pid,
          command: t.command,
          signal: abort.signal,
          privateDir: this.opts.rawDir,
          disposeRaw: (file) => this.disposeRaw(file),
          logger: this.log,
        }),
        new Promise<never>((_, reject) => abort.signal.addEventListener("abort", () => reject(abort.signal.reason as Error), { once: true })),
      ]);
      const durationSeconds = (Date.now() - started) / 1000;
      const summary: DumpSummary = {
        ...body,
        id: newDumpId(started),
        target: t.name,
        time: started,
        source: this.source.name,
        durationSeconds,
        requests: this.requests(),
      };
      try {
        await this.store.add(summary);
      } catch (err) {
        throw new DumpError("io_error", `cannot store the summary: ${(err as Error).message}`);
      }
      this.lastDurationSeconds = durationSeconds;
      this.lastSuccessSeconds = Date.now() / 1000;
      this.analyse();
      this.log.info({ target: t.name, id: summary.id, types: summary.types.length, bytes: summary.totalBytes, seconds: durationSeconds }, "heap dump stored");
      return this.finish({ result: "success", summary });
    } catch (err) {
      this.lastDurationSeconds = (Date.now() - started) / 1000;
      let reason: DumpReason = err instanceof DumpError ? err.reason : "internal";
      // A target that vanished during the dump explains whatever error the tool gave.
      if (reason !== "timeout" && t.main?.pid !== pid) reason = "target_exited";
      if (reason === "internal") this.log.error({ target: t.name, err }, "heap dump failed (bug)");
      else this.log.warn({ target: t.name, reason, err: (err as Error).message }, "heap dump failed");
      return this.finish({ result: "failure", reason, message: (err as Error).message });
    } finally {
      clearTimeout(timer);
      abort.abort(new DumpError("timeout", "dump finished"));
    }
  }

  /** Recomputes verdicts and the exported type set from the stored history. */
  analyse(): void {
    const dumps = this.store.list(this.target.name);
    this.verdicts = leakVerdicts(dumps, this.opts.verdict);
    const latest = dumps.at(-1);
    this.selection = latest ? this.selector.select(latest.types, this.verdicts) : undefined;
  }

  /** Raw dumps hold the target's secrets: deleted after parsing unless --keep-dumps N asks to keep the last N. */
  private async disposeRaw(file: string): Promise<void> {
    if (this.opts.keepDumps <= 0) {
      await unlink(file).catch(() => undefined);
      return;
    }
    const keepDir = path.join(this.opts.rawDir, "kept");
    await mkdir(keepDir, { recursive: true, mode: 0o700 });
    const kept = path.join(keepDir, `${newDumpId(Date.now())}-${path.basename(file)}`);
    await rename(file, kept).catch(() => unlink(file).catch(() => undefined));
    const files = await readdir(keepDir);
    const withTimes = await Promise.all(files.map(async (f) => ({ f, t: (await stat(path.join(keepDir, f))).mtimeMs })));
    withTimes.sort((a, b) => b.t - a.t || b.f.localeCompare(a.f));
    for (const { f } of withTimes.slice(this.opts.keepDumps)) await unlink(path.join(keepDir, f)).catch(() => undefined);
  }
}
