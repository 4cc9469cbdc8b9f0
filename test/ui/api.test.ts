// The UI's server side without a browser: the dump-outcome ring, the read-only endpoints the UI adds
// (…/memory, …/outcomes, …/types/history), the assets served at / (no CDN, CSP, no innerHTML in the client), and
// that a packed leakwatch ships the UI.
import { afterEach, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import request from "supertest";
import { pino } from "pino";
import { loadConfig, parseCli } from "../../src/config/load.js";
import { Daemon } from "../../src/daemon.js";
import { DumpError, type HeapSource } from "../../src/model/dump.js";
import { Ring } from "../../src/ui/history.js";
import { waitFor } from "../helpers/env.js";
import { scriptedSource } from "../helpers/scripted-source.js";

const root = path.resolve(__dirname, "../..");
const TOKEN = "ui-api-test-token-0123456789";

describe("Ring", () => {
  it("keeps the last `capacity` items, oldest first", () => {
    const r = new Ring<number>(3);
    expect(r.toArray()).toEqual([]);
    for (let i = 1; i <= 7; i++) r.push(i);
    expect(r.toArray()).toEqual([5, 6, 7]);
    expect(r.size).toBe(3);
    expect(() => new Ring(0)).toThrow(RangeError);
  });
});

function scripted(failOn: number[] = []): HeapSource {
  return scriptedSource(
    (n) => [
      { type: "Leak", count: n * 1000, bytes: n * 2_000_000 },
      { type: "Big", count: 500, bytes: 30_000_000 },
      ...Array.from({ length: 40 }, (_, i) => ({ type: `Small${i}`, count: 1, bytes: 100 + i })),
    ],
    { failOn: (n) => (failOn.includes(n) ? new DumpError("parse_error", "scripted failure") : undefined) },
  );
}

describe("UI endpoints and assets", () => {
  let daemon: Daemon | undefined;
  let dataDir = "";
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function start(source: HeapSource) {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "lw-ui-api-"));
    const config = loadConfig(
      parseCli(["--pid", String(process.pid), "--name", "svc", "--data-dir", dataDir, "--min-growth", "1k", "--admin-token", TOKEN]),
      {},
    );
    daemon = new Daemon(config, pino({ level: "silent" }), { chooseSource: async () => ({ runtime: "node", source }) });
    await daemon.start({ listen: false });
    return daemon;
  }

  it("serves memory samples, dump outcomes and per-type history with suspects first", async () => {
    const d = await start(scripted([3]));
    const post = () => request(d.app).post("/api/v1/targets/svc/dumps").set("Authorization", `Bearer ${TOKEN}`);
    for (let i = 0; i < 9; i++) {
      await post();
      await new Promise((r) => setTimeout(r, 15));
    }

    const mem = await waitFor(
      async () => {
        const r = await request(d.app).get("/api/v1/targets/svc/memory").expect(200);
        return r.body.samples.length >= 1 ? r.body : undefined;
      },
      5000,
      "a memory sample",
    );
    expect(mem).toMatchObject({ target: "svc", intervalSeconds: 2, keepSeconds: 7200 });
    expect(mem.samples[0]).toMatchObject({ up: true });
    expect(mem.samples[0].rss).toBeGreaterThan(1024 * 1024);
    const last = mem.samples.at(-1).time;
    expect((await request(d.app).get(`/api/v1/targets/svc/memory?since=${last}`).expect(200)).body.samples).toEqual([]);

    const outcomes = (await request(d.app).get("/api/v1/targets/svc/outcomes").expect(200)).body as {
      result: string;
      reason: string | null;
      id: string | null;
    }[];
    expect(outcomes).toHaveLength(9);
    expect(outcomes[2]).toMatchObject({ result: "failure", reason: "parse_error", message: "scripted failure", id: null });
    expect(outcomes.filter((o) => o.result === "success").every((o) => typeof o.id === "string")).toBe(true);

    const hist = (await request(d.app).get("/api/v1/targets/svc/types/history?limit=5&top=3").expect(200)).body as {
      dumps: { id: string; time: number }[];
      types: { type: string; bytes: number; bytesSeries: (number | null)[]; verdict: { suspect: boolean } | null }[];
    };
    expect(hist.dumps).toHaveLength(5);
    const stored = d.store.list("svc");
    expect(hist.dumps.map((x) => x.id)).toEqual(stored.slice(-5).map((x) => x.id));
    // The suspect first, then the top 3 of the latest dump by bytes (Leak is one of them: no duplicate).
    expect(hist.types.map((r) => r.type)).toEqual(["Leak", "Big", "Small39"]);
    expect(hist.types[0]!.verdict?.suspect).toBe(true);
    const rows = await Promise.all(stored.slice(-5).map(async (x) => (await d.store.read("svc", x.id))!.types));
    expect(hist.types[0]!.bytesSeries).toEqual(rows.map((types) => types.find((r) => r.type === "Leak")!.bytes));
    expect(hist.types[1]!.verdict?.suspect).toBe(false);

    const all = (await request(d.app).get("/api/v1/targets/svc/types/history").expect(200)).body;
    expect(all.dumps).toHaveLength(8);
    expect(all.types).toHaveLength(42);
    await request(d.app).get("/api/v1/targets/nope/memory").expect(404);
  });

  it("serves the page, its script and uPlot from the package with a strict CSP; the client never uses innerHTML", async () => {
    const d = await start(scripted());
    const page = await request(d.app).get("/").expect(200);
    expect(page.type).toBe("text/html");
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(page.text).not.toMatch(/https?:\/\//); // no CDN
    const js = await request(d.app).get("/ui/app.js").expect(200);
    expect(js.type).toBe("application/javascript");
    expect(js.text).toContain("replaceChildren");
    expect(js.text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    const uplot = await request(d.app).get("/ui/vendor/uplot/uPlot.iife.min.js").expect(200);
    expect(uplot.text).toContain("uPlot");
    await request(d.app).get("/ui/vendor/uplot/uPlot.min.css").expect(200).expect("content-type", /css/);
    await request(d.app).get("/ui/app.css").expect(200).expect("content-type", /css/);
    await request(d.app).get("/ui/vendor/uplot/nope.js").expect(404);
    expect((await request(d.app).get("/ui/vendor/uplot/%2e%2e/package.json")).status).toBeGreaterThanOrEqual(400);
    // The JSON API and /metrics are untouched by the UI mount.
    await request(d.app).get("/api/v1/nope").expect(404).expect("content-type", /json/);
    await request(d.app).get("/healthz").expect(200);
  });

  it("ships the UI in the package: tsc emits it into dist/ui and npm pack includes it", async () => {
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
    expect(pkg.dependencies.uplot).toBeTruthy();
    expect(pkg.files).toContain("dist");
    const built = path.join(root, "dist/ui/client/app.js");
    expect(existsSync(built), "dist/ui/client/app.js (the test setup builds dist)").toBe(true);
    // The built server reads the compiled client next to it (no TypeScript needed at run time).
    const server = (await import(pathToFileURL(path.join(root, "dist/ui/server.js")).href)) as typeof import("../../src/ui/server.js");
    expect(await server.clientScript()).toBe(readFileSync(built, "utf8"));
    expect(existsSync(path.join(server.uplotDir(), "uPlot.iife.min.js"))).toBe(true);
    const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const f of ["dist/ui/server.js", "dist/ui/page.js", "dist/ui/api.js", "dist/ui/history.js", "dist/ui/client/app.js"]) expect(files).toContain(f);
  });
});
