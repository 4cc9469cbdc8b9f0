// The JSON API: read-only views of targets, dumps, diffs and suspects, plus the token-guarded admin calls.
// Bounded whatever the target's type count: verdict lists come from the view (computed once per dump) a page at a
// time; a stored dump is streamed from its file; a diff reads rows one request at a time (a Limiter, with a short
// queue and 503 beyond it), in slices, and is cached by its pair of dump ids.
import { timingSafeEqual } from "node:crypto";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { type DiffRow, diffDumpsTop, type TypeRowsInput } from "../analysis/index.js";
import type { HeapManager } from "../heap/manager.js";
import type { DumpStore } from "../heap/store.js";
import { type DumpHeader, dumpHeader } from "../model/summary.js";
import { BusyError, Limiter } from "../util/limiter.js";
import { redactPathName } from "../util/redact.js";
import { runInSlices } from "../util/slices.js";
import type { Target } from "../targets/target.js";
import type { LoadManager } from "../load/manager.js";
import { mountLoadRoutes } from "../load/api.js";
import type { MemorySampler } from "../sampling/sampler.js";
import type { OutcomeHistory } from "../ui/history.js";
import { mountUiRoutes } from "../ui/api.js";

export interface ApiDeps {
  targets: () => Target[];
  heaps: HeapManager;
  store: DumpStore;
  adminToken?: string;
  load?: LoadManager;
  /** Memory samples and dump outcomes over time, for the live UI (GET …/memory, …/outcomes, …/types/history). */
  ui?: { sampler: MemorySampler; history: OutcomeHistory };
}

/** Most rows a diff answers with (?limit=); also what is cached of each diff. */
const DIFF_MAX_ROWS = 10_000;
/** Diffs kept, by their pair of dump ids (a diff of two stored dumps never changes). */
const DIFF_CACHE = 4;

/** ?limit=&offset= for a list: integers, clamped to [1, max] and [0, ∞); anything else is the default. */
export function pageOf(query: Request["query"], dfltLimit: number, maxLimit: number): { limit: number; offset: number } {
  const int = (q: unknown): number | undefined => (typeof q === "string" && /^\d{1,15}$/.test(q) ? Number(q) : undefined);
  return { limit: Math.max(1, Math.min(int(query.limit) ?? dfltLimit, maxLimit)), offset: int(query.offset) ?? 0 };
}

/** Sends one page of a list: the page as a JSON array, the whole list's length in X-Total-Count, the next page in Link. */
export function sendPage<T>(
  req: Request,
  res: Response,
  list: { readonly length: number; slice(from: number, to: number): T[] },
  page: { limit: number; offset: number },
): void {
  res.set("X-Total-Count", String(list.length));
  const end = page.offset + page.limit;
  if (end < list.length) {
    const url = new URL(req.originalUrl, "http://localhost");
    url.searchParams.set("offset", String(end));
    url.searchParams.set("limit", String(page.limit));
    res.set("Link", `<${url.pathname}${url.search}>; rel="next"`);
  }
  res.json(list.slice(page.offset, end));
}

function busy(res: Response, err: unknown): boolean {
  if (!(err instanceof BusyError)) return false;
  res.status(503).set("Retry-After", "1").json({ error: "busy with other requests of this kind; retry shortly" });
  return true;
}

/** Whether the request carries the admin token (compared in constant time); false when there is none. */
function hasToken(req: Request, token: string | undefined): boolean {
  if (!token) return false;
  const given = /^Bearer (.+)$/.exec(req.get("authorization") ?? "")?.[1] ?? "";
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Admin calls change what leakwatch does to the target: off unless --admin-token is set, and then bearer-only. */
export function requireAdmin(token: string | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!token) {
      res.status(403).json({ error: "the admin API is disabled; start leakwatch with --admin-token to enable it" });
      return;
    }
    if (!hasToken(req, token)) {
      res.status(401).set("WWW-Authenticate", "Bearer").json({ error: "missing or wrong bearer token" });
      return;
    }
    next();
  };
}

export function createApi(deps: ApiDeps): Router {
  const api = express.Router();
  const find = (name: string) => deps.targets().find((t) => t.name === name);

  api.param("target", (_req, res, next, name: string) => {
    const t = find(name);
    if (!t) {
      res.status(404).json({ error: `no target named ${JSON.stringify(name)}` });
      return;
    }
    res.locals.target = t;
    next();
  });

  api.get("/targets", (_req, res) => {
    res.json(
      deps.targets().map((t) => {
        const heap = deps.heaps.view(t.name);
        const dumps = deps.store.list(t.name);
        return {
          name: t.name,
          kind: t.kind,
          up: t.up,
          pid: t.main?.pid ?? null,
          command: t.shownCommand,
          runtime: deps.heaps.runtime(t.name),
          restarts: t.restarts,
          lastExit: t.lastExit ?? null,
          heapSource: heap?.source ?? null,
          dumps: dumps.length,
          lastDump: dumps.at(-1) ? dumpHeader(dumps.at(-1)!) : null,
          lastOutcome: heap?.lastOutcome ? { ...heap.lastOutcome, summary: undefined } : null,
          suspects: heap?.suspects.map((v) => v.type) ?? [],
          verdictStates: heap?.stateCounts ?? null,
          warmup: heap?.warmup ?? false,
        };
      }),
    );
  });

  api.get("/targets/:target/dumps", (req, res) => {
    res.json(deps.store.list(req.params.target!).map(dumpHeader));
  });

  api.get("/targets/:target/dumps/:id", async (req, res) => {
    // Straight from the file: a dump of 100 k types is never parsed (or held) to be served.
    const stream = await deps.store.stream(req.params.target!, req.params.id!);
    if (!stream) {
      res.status(404).json({ error: `no dump ${JSON.stringify(req.params.id)} for this target` });
      return;
    }
    res.type("application/json");
    stream.on("error", (err) => res.destroy(err));
    stream.pipe(res);
  });

  const heavy = new Limiter(1, 8);
  const diffs = new Map<string, DiffRow[]>();
  /** The first DIFF_MAX_ROWS rows of the diff of two stored dumps, from the verdict window when both are in it. */
  const diffRows = async (target: string, from: DumpHeader, to: DumpHeader): Promise<DiffRow[] | undefined> => {
    const key = JSON.stringify([target, from.id, to.id]);
    const hit = diffs.get(key);
    if (hit) return hit;
    return heavy.run(async () => {
      const again = diffs.get(key); // computed while this request waited
      if (again) return again;
      const series = deps.heaps.series(target);
      const i = series?.dumps.findIndex((d) => d.id === from.id) ?? -1;
      const j = series?.dumps.findIndex((d) => d.id === to.id) ?? -1;
      let a: TypeRowsInput | undefined;
      let b: TypeRowsInput | undefined;
      if (series && i >= 0 && j >= 0) {
        a = series.rows(i);
        b = series.rows(j);
      } else {
        a = (await deps.store.read(target, from.id))?.types;
        b = from.id === to.id ? a : (await deps.store.read(target, to.id))?.types;
      }
      if (!a || !b) return undefined; // deleted by the retention meanwhile
      const rows = await runInSlices(diffDumpsTop(a, b, DIFF_MAX_ROWS));
      diffs.set(key, rows);
      for (const old of diffs.keys()) if (diffs.size > DIFF_CACHE) diffs.delete(old);
      return rows;
    });
  };

  api.get("/targets/:target/diff", async (req, res) => {
    const target = req.params.target!;
    const dumps = deps.store.list(target);
    const pick = (q: unknown, fallback: DumpHeader | undefined) => (typeof q === "string" && q ? dumps.find((d) => d.id === q) : fallback);
    const from = pick(req.query.from, dumps[0]);
    const to = pick(req.query.to, dumps.at(-1));
    if (!from || !to) {
      res.status(dumps.length < 1 ? 409 : 404).json({ error: dumps.length < 1 ? "no dumps yet" : "no such dump (from/to take dump ids)" });
      return;
    }
    const limit = Math.min(Number(req.query.limit) || 100, DIFF_MAX_ROWS);
    let rows: DiffRow[] | undefined;
    try {
      rows = await diffRows(target, from, to);
    } catch (err) {
      if (busy(res, err)) return;
      throw err;
    }
    if (!rows) res.status(404).json({ error: "that dump is no longer kept" });
    else res.json({ from: dumpHeader(from), to: dumpHeader(to), rows: rows.slice(0, limit) });
  });

  api.get("/targets/:target/suspects", (req, res) => {
    // Computed once per dump (HeapState); served a page at a time: ?limit= (default 1000, at most 10 000) and
    // ?offset=, with the total in X-Total-Count and the next page in Link.
    const heap = deps.heaps.view(req.params.target!);
    const all = req.query.all === "1" || req.query.all === "true";
    // all=1 pages the verdict table: only the verdicts of the page are made into objects.
    sendPage(req, res, (all ? heap?.verdictTable : heap?.suspects) ?? [], pageOf(req.query, 1000, 10_000));
  });

  api.get("/targets/:target/leaks", (req, res) => {
    // One object per leak (heap/retention.ts LeakView), largest first. Path names can be program data (a
    // dictionary's keys): whole with the admin token, else masked where they do not look like code (redactPathName).
    const leaks = deps.heaps.view(req.params.target!)?.retention?.leaks ?? [];
    const whole = hasToken(req, deps.adminToken);
    res.json(whole ? leaks : leaks.map((l) => ({ ...l, path: l.path.map((p) => ({ type: p.type, edge: redactPathName(p.edge) })) })));
  });

  api.post("/targets/:target/dumps", requireAdmin(deps.adminToken), async (req, res) => {
    // ?retention=1: with the heap graph and its retention analysis, whatever --retention-analysis says (unless never).
    const retention = req.query.retention === "1" || req.query.retention === "true";
    const outcome = deps.heaps.dumpNow(String(req.params.target), retention ? "retention" : "api");
    if (!outcome) {
      res.status(409).json({ error: "this target has no heap source (yet): see leakwatch_heap_source_info and the log" });
      return;
    }
    const o = await outcome;
    const status = o.result === "success" ? 201 : o.reason === "busy" ? 409 : o.result === "skipped" ? 409 : 502;
    res.status(status).json({ result: o.result, reason: o.reason, message: o.message, dump: o.summary ? dumpHeader(o.summary) : undefined });
  });

  if (deps.load) mountLoadRoutes(api, { load: deps.load, admin: requireAdmin(deps.adminToken) });
  if (deps.ui) mountUiRoutes(api, { ...deps.ui, store: deps.store, heaps: deps.heaps, heavy });

  api.use((_req, res) => {
    res.status(404).json({ error: "no such API endpoint" });
  });
  return api;
}
