// Read-only API routes the live UI needs, mounted on the API router (so that :target is already resolved):
//   GET /targets/:target/memory?since=MS          memory samples over time (the memory sampler's series), oldest first
//   GET /targets/:target/outcomes                 dump outcomes seen since leakwatch started (failed/skipped too)
//   GET /targets/:target/types/history?limit=12&top=50
//                                                 per-type bytes/objects over the last `limit` dumps, for the top
//                                                 `top` types of the latest dump plus every suspect, each with its
//                                                 verdict; suspects first. Served from the verdict window
//                                                 kept in memory when it covers `limit` dumps, otherwise read
//                                                 from the stored files one at a time (one such request at once)
import type { Router } from "express";
import type { TypeStats } from "../analysis/rows.js";
import type { TypeVerdict } from "../analysis/verdict.js";
import type { HeapManager } from "../heap/manager.js";
import type { DumpStore } from "../heap/store.js";
import { BusyError, type Limiter } from "../util/limiter.js";
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

export function mountUiRoutes(
  api: Router,
  deps: { sampler: MemorySampler; history: OutcomeHistory; store: DumpStore; heaps: HeapManager; heavy: Limiter },
): void {
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

  /** The last `limit` dumps and a reader of a type's row in each, from the window or else from the files. */
  const window = (target: string, limit: number) => {
    const series = deps.heaps.series(target);
    const kept = deps.store.list(target).length;
    if (!series || series.dumps.length < Math.min(limit, kept)) return undefined;
    const dumps = series.dumps.slice(-limit);
    const first = series.dumps.length - dumps.length;
    return { dumps, stats: (type: string, k: number) => series.stats(type, first + k), byBytes: deps.heaps.view(target)?.byBytes ?? [] };
  };

  const fromFiles = (target: string, limit: number, top: number, suspects: readonly string[]) =>
    deps.heavy.run(async () => {
      const headers = deps.store.list(target).slice(-limit);
      const latest = headers.length ? await deps.store.read(target, headers.at(-1)!.id) : undefined;
      const chosen = new Set(suspects);
      for (const r of [...(latest?.types ?? [])].sort((a, b) => b.bytes - a.bytes).slice(0, top)) chosen.add(r.type);
      // One file at a time, keeping only the chosen types' rows.
      const columns: Map<string, TypeStats>[] = [];
      for (const h of headers) {
        const s = h === headers.at(-1) ? latest : await deps.store.read(target, h.id);
        columns.push(new Map((s?.types ?? []).filter((r) => chosen.has(r.type)).map((r) => [r.type, r])));
      }
      return { dumps: headers, chosen, stats: (type: string, k: number) => columns[k]?.get(type) };
    });

  api.get("/targets/:target/types/history", async (req, res) => {
    const target = name(res);
    const limit = intParam(req.query.limit, 12, 1000);
    const top = intParam(req.query.top, 50, 10_000);
    const view = deps.heaps.view(target);
    const suspects = view?.suspects ?? [];
    let source: {
      dumps: readonly { id?: string; time: number; requests?: number; bytesExact?: boolean }[];
      chosen: Set<string>;
      stats: (type: string, k: number) => TypeStats | undefined;
    };
    const w = window(target, limit);
    if (w) {
      const chosen = new Set(suspects.map((v) => v.type));
      for (const type of w.byBytes.slice(0, top)) chosen.add(type);
      source = { ...w, chosen };
    } else {
      try {
        source = await fromFiles(
          target,
          limit,
          top,
          suspects.map((v) => v.type),
        );
      } catch (err) {
        if (!(err instanceof BusyError)) throw err;
        res.status(503).set("Retry-After", "1").json({ error: "busy with other requests of this kind; retry shortly" });
        return;
      }
    }
    const n = source.dumps.length;
    const rows: TypeHistoryRow[] = [...source.chosen].map((type) => {
      const last = source.stats(type, n - 1);
      const bytesSeries: (number | null)[] = [];
      const countSeries: (number | null)[] = [];
      for (let k = 0; k < n; k++) {
        const s = source.stats(type, k);
        bytesSeries.push(s?.bytes ?? null);
        countSeries.push(s?.count ?? null);
      }
      return { type, bytes: last?.bytes ?? 0, count: last?.count ?? 0, bytesSeries, countSeries, verdict: view?.verdictOf(type) ?? null };
    });
    // Suspects first, in the verdict's order (biggest net growth first); then the rest by bytes.
    const rank = new Map(suspects.map((v, i) => [v.type, i]));
    const r = (t: string) => rank.get(t) ?? Infinity;
    rows.sort((a, b) => r(a.type) - r(b.type) || b.bytes - a.bytes || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
    res.json({
      dumps: source.dumps.map((d) => ({ id: d.id, time: d.time, requests: d.requests ?? null, bytesExact: d.bytesExact })),
      types: rows,
    });
  });
}
