// Read-only API routes the live UI needs, mounted on the API router (so that :target is already resolved):
//   GET /targets/:target/memory?since=MS          memory samples over time (the memory sampler's series), oldest first
//   GET /targets/:target/outcomes                 dump outcomes seen since leakwatch started (failed/skipped too)
//   GET /targets/:target/types/history?limit=12&top=50
//                                                 per-type bytes/objects over the last `limit` dumps, for the top
//                                                 `top` types of the latest dump plus every suspect, each with its
//                                                 verdict; suspects first
import type { Router } from "express";
import type { TypeVerdict } from "../analysis/verdict.js";
import type { HeapManager } from "../heap/manager.js";
import type { DumpStore } from "../heap/store.js";
import type { MemorySampler } from "../sampling/sampler.js";
import type { Target } from "../targets/target.js";
import type { OutcomeHistory } from "./history.js";

export interface TypeHistoryRow {
  type: string;
  /** In the latest dump of the window (0 when absent there). */
  bytes: number;
  count: number;
  /** One value per window dump, oldest first; null where the type is absent from that dump. */
  bytesSeries: (number | null)[];
  countSeries: (number | null)[];
  verdict: TypeVerdict | null;
}

function intParam(q: unknown, dflt: number, max: number): number {
  const n = typeof q === "string" && /^\d+$/.test(q) ? Number(q) : dflt;
  return Math.max(1, Math.min(n, max));
}

export function mountUiRoutes(api: Router, deps: { sampler: MemorySampler; history: OutcomeHistory; store: DumpStore; heaps: HeapManager }): void {
  const name = (res: { locals: Record<string, unknown> }) => (res.locals.target as Target).name;

  api.get("/targets/:target/memory", (req, res) => {
    const since = typeof req.query.since === "string" && /^\d+$/.test(req.query.since) ? Number(req.query.since) : 0;
    res.json({
      target: name(res),
      intervalSeconds: deps.sampler.intervalMs / 1000,
      keepSeconds: deps.sampler.keepMs / 1000,
      samples: deps.sampler.series(name(res), since),
    });
  });

  api.get("/targets/:target/outcomes", (_req, res) => {
    res.json(deps.history.dumpOutcomes(name(res)));
  });

  api.get("/targets/:target/types/history", (req, res) => {
    const target = name(res);
    const limit = intParam(req.query.limit, 12, 1000);
    const top = intParam(req.query.top, 50, 10_000);
    const dumps = deps.store.list(target).slice(-limit);
    const verdicts = deps.heaps.get(target)?.verdicts ?? [];
    const verdictOf = new Map(verdicts.map((v) => [v.type, v]));
    const latest = dumps.at(-1);
    const chosen = new Set<string>();
    for (const v of verdicts) if (v.suspect) chosen.add(v.type);
    for (const r of [...(latest?.types ?? [])].sort((a, b) => b.bytes - a.bytes).slice(0, top)) chosen.add(r.type);
    const maps = dumps.map((d) => new Map(d.types.map((r) => [r.type, r])));
    const rows: TypeHistoryRow[] = [...chosen].map((type) => {
      const last = maps.at(-1)?.get(type);
      return {
        type,
        bytes: last?.bytes ?? 0,
        count: last?.count ?? 0,
        bytesSeries: maps.map((m) => m.get(type)?.bytes ?? null),
        countSeries: maps.map((m) => m.get(type)?.count ?? null),
        verdict: verdictOf.get(type) ?? null,
      };
    });
    // Suspects first, in the verdict's order (biggest net growth first); then the rest by bytes.
    const rank = new Map(verdicts.filter((v) => v.suspect).map((v, i) => [v.type, i]));
    const r = (t: string) => rank.get(t) ?? Infinity;
    rows.sort((a, b) => r(a.type) - r(b.type) || b.bytes - a.bytes || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
    res.json({
      dumps: dumps.map((d) => ({ id: d.id, time: d.time, requests: d.requests ?? null, bytesExact: d.bytesExact })),
      types: rows,
    });
  });
}
