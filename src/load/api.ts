// The load routes of the JSON API, mounted on its router (so that :target is already resolved):
//   GET   /targets/:target/load          status (read-only, unguarded; no secrets in it)
//   POST  /targets/:target/load/start    start the hammer            (admin)
//   POST  /targets/:target/load/stop     stop it                     (admin)
//   PATCH /targets/:target/load          change settings at run time (admin): {concurrency, jobs, wait, rate, timeout,
//                                        url, method, headers, body}; rate/jobs/body null = uncapped/unbounded/none
//   POST  /targets/:target/load          {"count": N}: load counted elsewhere, added to outcome="ok" (admin)
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from "express";
import { z } from "../util/zod.js";
import { concurrency, httpHeaders, httpMethod, httpUrl, jobs, rate, seconds } from "../config/load-options.js";
import type { LoadManager, TargetLoad } from "./manager.js";

const patchSchema = z
  .object({
    concurrency: concurrency.optional(),
    jobs: jobs.optional(),
    wait: seconds(0).optional(),
    rate: z.union([rate, z.null()]).optional(),
    timeout: seconds(0.001).optional(),
    url: httpUrl.optional(),
    method: httpMethod.optional(),
    headers: httpHeaders.optional(),
    body: z.union([z.string(), z.null()]).optional(),
  })
  .strict();

const countSchema = z
  .object({
    count: z.number().int("expected a whole number").min(0, "expected a count ≥ 0").max(Number.MAX_SAFE_INTEGER),
  })
  .strict();

function firstIssue(err: z.ZodError): string {
  const i = err.issues[0]!;
  const where = i.path.map(String).join(".");
  return where ? `${where}: ${i.message}` : i.message;
}

export function mountLoadRoutes(api: Router, deps: { load: LoadManager; admin: RequestHandler }): void {
  const parseJson = express.json({ limit: "16kb", type: () => true });
  const json = (req: Request, res: Response, next: NextFunction) =>
    parseJson(req, res, (err?: unknown) => {
      if (err) res.status(400).json({ error: `expected a JSON body: ${(err as Error).message}` });
      else next();
    });
  const loadOf = (res: Response): TargetLoad => deps.load.for(res.locals.target)!;

  api.get("/targets/:target/load", (_req, res) => {
    res.json(loadOf(res).status());
  });

  api.post("/targets/:target/load/start", deps.admin, (_req, res) => {
    const l = loadOf(res);
    if (!l.start()) {
      res.status(409).json({ error: "no load configured for this target: start leakwatch with --load-url or --load-command, or PATCH a url first" });
      return;
    }
    res.json(l.status());
  });

  api.post("/targets/:target/load/stop", deps.admin, async (_req, res) => {
    const l = loadOf(res);
    await l.stop();
    res.json(l.status());
  });

  api.patch("/targets/:target/load", deps.admin, json, async (req, res) => {
    const parsed = patchSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(400).json({ error: firstIssue(parsed.error) });
      return;
    }
    const l = loadOf(res);
    try {
      await l.update(parsed.data);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      res.status(409).json({ error: err.message });
      return;
    }
    res.json(l.status());
  });

  api.post("/targets/:target/load", deps.admin, json, (req, res) => {
    const parsed = countSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(400).json({ error: firstIssue(parsed.error) });
      return;
    }
    const l = loadOf(res);
    l.addExternal(parsed.data.count);
    res.json({ added: parsed.data.count, cumulativeRequests: l.requests });
  });
}
