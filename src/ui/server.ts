// Serves the live UI at "/": the HTML shell, its stylesheet, the client script and uPlot — all from the package,
// nothing from a CDN. It reads only the read-only JSON API.
//
// Where the files come from, and why this way:
// - HTML and CSS are TypeScript strings (page.ts) and the client is TypeScript (client/app.ts): `tsc` alone emits
//   all of them into dist/ui/, so every build (npm run build, prepare, the test setup's bare tsc) yields a complete
//   UI and `npm pack` ships it with dist/ — there is no copy step that a build could skip.
// - uPlot is a runtime dependency, served straight from wherever npm installed it (resolved like an import, so
//   hoisting and nested installs work), never copied.
// - Run from source (vitest imports src/), there is no compiled client next to this file: it is transpiled from
//   client/app.ts once, with the TypeScript that a checkout has as a dev dependency.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Router } from "express";
import { VERSION } from "../util/version.js";
import { pageHtml, STYLE } from "./page.js";

const here = path.dirname(fileURLToPath(import.meta.url));

/** uPlot's dist directory (uPlot.iife.min.js, uPlot.min.css). */
export function uplotDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve("uplot"));
}

let clientJs: Promise<string> | undefined;

/** The browser script: the compiled client/app.js next to this module, or (from source) client/app.ts transpiled. */
export function clientScript(): Promise<string> {
  clientJs ??= (async () => {
    const js = path.join(here, "client", "app.js");
    if (existsSync(js)) return readFileSync(js, "utf8");
    const tsFile = path.join(here, "client", "app.ts");
    const ts = (await import("typescript")).default;
    const out = ts.transpileModule(readFileSync(tsFile, "utf8"), {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
      fileName: tsFile,
    });
    return out.outputText;
  })();
  clientJs.catch(() => (clientJs = undefined));
  return clientJs;
}

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export function createUi(): Router {
  const ui = express.Router();
  const html = pageHtml(VERSION);
  ui.use((_req, res, next) => {
    res.set("X-Content-Type-Options", "nosniff");
    next();
  });
  ui.get("/", (_req, res) => {
    res.set("Content-Security-Policy", CSP).set("Cache-Control", "no-cache").type("html").send(html);
  });
  ui.get("/ui/app.css", (_req, res) => {
    res.type("css").set("Cache-Control", "no-cache").send(STYLE);
  });
  ui.get("/ui/app.js", async (_req, res) => {
    try {
      res
        .type("application/javascript")
        .set("Cache-Control", "no-cache")
        .send(await clientScript());
    } catch (err) {
      res
        .status(500)
        .type("text/plain")
        .send(`the UI script is missing from this build: ${(err as Error).message}\n`);
    }
  });
  let vendor: string | undefined;
  try {
    vendor = uplotDir();
  } catch {
    // an install without its dependencies: the page says so instead of the daemon failing to start
  }
  if (vendor) ui.use("/ui/vendor/uplot", express.static(vendor, { index: false, maxAge: "1d" }));
  else ui.use("/ui/vendor/uplot", (_req, res) => void res.status(500).type("text/plain").send("uplot is not installed: run npm install\n"));
  ui.use("/ui", (_req, res) => void res.status(404).type("text/plain").send("not found\n"));
  return ui;
}
