// The JSON API: read-only views of targets, dumps, diffs and suspects, plus the token-guarded admin calls.
import { timingSafeEqual } from "node:crypto";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { diffDumps } from "../analysis/index.js";
import type { HeapManager } from "../heap/manager.js";
import type { DumpStore } from "../heap/store.js";
import type { DumpSummary } from "../model/summary.js";
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

function dumpHeader(d: DumpSummary) {
  const { types, notes, ...rest } = d;
  return { ...rest, typeCount: types.length, notes };
}

/** Admin calls change what leakwatch does to the target: off unless --admin-token is set, and then bearer-only. */
export function requireAdmin(token: string | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!token) {
      res.status(403).json({ error: "the admin API is disabled; start leakwatch with --admin-token to enable it" });
      return;
    }
    const given = /^Bearer (.+)$/.exec(req.get("authorization") ?? "")?.[1] ?? "";
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
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
        };
      }),
    );
  });

  api.get("/targets/:target/dumps", (req, res) => {
    res.json(deps.store.list(req.params.target!).map(dumpHeader));
  });

  api.get("/targets/:target/dumps/:id", (req, res) => {
    const d = deps.store.get(req.params.target!, req.params.id!);
    if (!d) res.status(404).json({ error: `no dump ${JSON.stringify(req.params.id)} for this target` });
    else res.json(d);
  });

  api.get("/targets/:target/diff", (req, res) => {
    const dumps = deps.store.list(req.params.target!);
    const pick = (q: unknown, fallback: DumpSummary | undefined) => (typeof q === "string" && q ? dumps.find((d) => d.id === q) : fallback);
    const from = pick(req.query.from, dumps[0]);
    const to = pick(req.query.to, dumps.at(-1));
    if (!from || !to) {
      res.status(dumps.length < 1 ? 409 : 404).json({ error: dumps.length < 1 ? "no dumps yet" : "no such dump (from/to take dump ids)" });
      return;
    }
    const limit = Math.min(Number(req.query.limit) || 100, 10_000);
    res.json({ from: dumpHeader(from), to: dumpHeader(to), rows: diffDumps(from.types, to.types).slice(0, limit) });
  });

  api.get("/targets/:target/suspects", (req, res) => {
    const heap = deps.heaps.view(req.params.target!);
    const all = req.query.all === "1" || req.query.all === "true";
    res.json((all ? heap?.verdicts : heap?.suspects) ?? []);
  });

  api.post("/targets/:target/dumps", requireAdmin(deps.adminToken), async (req, res) => {
    const outcome = deps.heaps.dumpNow(String(req.params.target), "api");
    if (!outcome) {
      res.status(409).json({ error: "this target has no heap source (yet): see leakwatch_heap_source_info and the log" });
      return;
    }
    const o = await outcome;
    const status = o.result === "success" ? 201 : o.reason === "busy" ? 409 : o.result === "skipped" ? 409 : 502;
    res.status(status).json({ result: o.result, reason: o.reason, message: o.message, dump: o.summary ? dumpHeader(o.summary) : undefined });
  });

  if (deps.load) mountLoadRoutes(api, { load: deps.load, admin: requireAdmin(deps.adminToken) });
  if (deps.ui) mountUiRoutes(api, { ...deps.ui, store: deps.store, heaps: deps.heaps });

  api.use((_req, res) => {
    res.status(404).json({ error: "no such API endpoint" });
  });
  return api;
}
