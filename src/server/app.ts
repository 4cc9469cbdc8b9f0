// HTTP: /metrics for Prometheus, /healthz for orchestrators. Later capabilities mount their routers here.
import express, { type Express } from "express";
import type { CollectorRegistry } from "../collectors/registry.js";
import { VERSION } from "../util/version.js";
import { createApi, type ApiDeps } from "./api.js";
import { createUi } from "../ui/server.js";

export function createApp(deps: { registry: CollectorRegistry; api: ApiDeps }): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use("/api/v1", createApi(deps.api));
  app.get("/metrics", async (_req, res) => {
    try {
      const body = await deps.registry.scrape();
      res.type(deps.registry.prom.contentType).send(body);
    } catch (err) {
      res
        .status(500)
        .type("text/plain")
        .send(`scrape failed: ${(err as Error).message}\n`);
    }
  });
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok", version: VERSION });
  });
  app.use(createUi()); // the live UI at "/" (reads only the read-only API)
  return app;
}
