// What a soak run found, as one JSON-able object: the source of report.json, report.md and report.html.
import { diffDumps, type DiffRow, type TypeVerdict } from "../analysis/index.js";
import type { Daemon } from "../daemon.js";
import type { DumpSummary } from "../model/summary.js";
import type { ExitInfo } from "../targets/target.js";
import type { LeakView } from "../heap/retention.js";
import { redactCommandLine, redactPathName } from "../util/redact.js";
import { VERSION } from "../util/version.js";

/** Documented exit codes of `leakwatch run`. */
export const RUN_EXIT = { ok: 0, leak: 3, crashed: 4 } as const;

export type Verdict = "no_leak_suspected" | "leak_suspected" | "target_crashed";

export interface MemorySample {
  time: number;
  rss?: number;
  workingSet?: number;
  limit?: number;
}

export interface TargetReport {
  name: string;
  command: string;
  runtime: string;
  heapSource: string | null;
  restarts: number;
  exit: ExitInfo | null;
  oomKills: number;
  memoryLimit: number | null;
  memory: MemorySample[];
  requests: number | null;
  dumps: Array<Pick<DumpSummary, "id" | "time" | "source" | "durationSeconds" | "totalObjects" | "totalBytes" | "bytesExact"> & { requests?: number }>;
  dumpFailures: Array<{ result: string; reason: string; count: number }>;
  /** Leaks grouped by owner, from the latest retention analysis (path names that could be program data masked). */
  leaks: LeakView[];
  suspects: Array<TypeVerdict & { series: Array<{ time: number; bytes: number; count: number }> }>;
  /** Types that are not suspects but rising (young, not proven) or settling (stopped after leaking), at most 20, with why. */
  watched: Array<{ type: string; state: string; reason: string }>;
  /** First vs last dump, ranked by growth (top 30). */
  diff: DiffRow[];
}

export interface RunReport {
  leakwatch: string;
  startedAt: string;
  endedAt: string;
  durationSeconds: number;
  /** Why the run ended: duration, target_exited, interrupted. */
  endReason: string;
  verdict: Verdict;
  exitCode: number;
  targets: TargetReport[];
}

export function verdictOf(targets: TargetReport[]): { verdict: Verdict; exitCode: number } {
  // A crash or OOM kill ends the soak early: that outcome wins, the suspects are still reported.
  if (targets.some((t) => (t.exit && t.exit.status !== 0) || t.oomKills > 0)) return { verdict: "target_crashed", exitCode: RUN_EXIT.crashed };
  if (targets.some((t) => t.suspects.length > 0)) return { verdict: "leak_suspected", exitCode: RUN_EXIT.leak };
  return { verdict: "no_leak_suspected", exitCode: RUN_EXIT.ok };
}

/**
 * The report of a run that ends now. Memory comes from the daemon's memory sampler: the chart and the peak from the
 * target's series (the whole run), the OOM kills and the limit from its latest sample, so take one last sample first.
 * The suspects' series over the whole run and the first-vs-last diff come from the stored summaries, read one at a
 * time (the daemon keeps only their headers in memory).
 */
export async function buildReport(daemon: Daemon, opts: { startedAt: number; endedAt: number; endReason: string }): Promise<RunReport> {
  const targets: TargetReport[] = [];
  for (const t of daemon.targets.targets) {
    const cgroup = t.cgroup ? daemon.sampler.latest(t.name)?.cgroup : undefined;
    const memory = daemon.sampler
      .series(t.name)
      .map((m): MemorySample => ({ time: m.time, rss: m.rss ?? undefined, workingSet: m.workingSet ?? undefined, limit: m.limit ?? undefined }));
    const dumps = daemon.store.list(t.name);
    const heap = daemon.heaps.view(t.name);
    const suspectList = [...(heap?.suspects ?? [])].sort((a, b) => b.netGrowthBytes - a.netGrowthBytes);
    const series = new Map(suspectList.map((v) => [v.type, [] as Array<{ time: number; bytes: number; count: number }>]));
    let first: DumpSummary | undefined;
    let last: DumpSummary | undefined;
    for (const [i, d] of dumps.entries()) {
      const needed = series.size > 0 || i === 0 || i === dumps.length - 1;
      const s = needed ? await daemon.store.read(t.name, d.id).catch(() => undefined) : undefined;
      const rows = new Map((s?.types ?? []).filter((r) => series.has(r.type)).map((r) => [r.type, r]));
      for (const [type, points] of series) {
        const row = rows.get(type);
        points.push({ time: d.time, bytes: row?.bytes ?? 0, count: row?.count ?? 0 });
      }
      if (i === 0) first = s;
      if (i === dumps.length - 1) last = s;
    }
    const suspects = suspectList.map((v) => ({ ...v, series: series.get(v.type)! }));
    const watched: TargetReport["watched"] = [];
    const table = heap?.verdictTable;
    for (let i = 0; table && i < table.length && watched.length < 20; i++) {
      const state = table.state(i);
      if (state !== "rising" && state !== "settling") continue;
      const v = table.at(i)!;
      watched.push({ type: v.type, state, reason: v.reason });
    }
    const failures: TargetReport["dumpFailures"] = [];
    for (const [result, reasons] of Object.entries(heap?.counts ?? {})) {
      if (result === "success") continue;
      for (const [reason, count] of Object.entries(reasons!)) failures.push({ result, reason, count });
    }
    targets.push({
      name: t.name,
      command: t.shownCommand || redactCommandLine((t.config.command ?? []).join(" ")),
      runtime: daemon.heaps.runtime(t.name),
      heapSource: heap?.source ?? null,
      restarts: t.restarts,
      exit: t.lastExit ?? null,
      oomKills: cgroup?.events.oom_kill ?? 0,
      memoryLimit: cgroup?.limit ?? null,
      memory,
      requests: daemon.load.requests(t.name) ?? null,
      dumps: dumps.map((d) => ({
        id: d.id,
        time: d.time,
        source: d.source,
        durationSeconds: d.durationSeconds,
        totalObjects: d.totalObjects,
        totalBytes: d.totalBytes,
        bytesExact: d.bytesExact,
        requests: d.requests,
      })),
      dumpFailures: failures,
      leaks: (heap?.retention?.leaks ?? []).map((l) => ({ ...l, path: l.path.map((p) => ({ type: p.type, edge: redactPathName(p.edge) })) })),
      suspects,
      watched,
      diff: first && last && dumps.length > 1 ? diffDumps(first.types, last.types).slice(0, 30) : [],
    });
  }
  const { verdict, exitCode } = verdictOf(targets);
  return {
    leakwatch: VERSION,
    startedAt: new Date(opts.startedAt).toISOString(),
    endedAt: new Date(opts.endedAt).toISOString(),
    durationSeconds: (opts.endedAt - opts.startedAt) / 1000,
    endReason: opts.endReason,
    verdict,
    exitCode,
    targets,
  };
}
