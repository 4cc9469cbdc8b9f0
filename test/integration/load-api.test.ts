// Load through the daemon with a scripted heap source: the admin API (guard, start/stop/PATCH, external counts),
// the hammer against a local server (URL and command jobs, unreachable target), load read from the target's own
// metrics before each dump and "dump every N requests", retained bytes per request told apart from growth without
// load, and a promtool-clean exposition with the load histogram.
import { afterEach, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { pino } from "pino";
import { loadConfig, parseCli } from "../../src/config/load.js";
import { Daemon } from "../../src/daemon.js";
import type { HeapSource } from "../../src/model/dump.js";
import type { TypeVerdict } from "../../src/analysis/index.js";
import { labelMismatches, parseExposition, value } from "../helpers/metrics.js";
import { skipReason, sleep, waitFor, which } from "../helpers/env.js";
import { scriptedSource } from "../helpers/scripted-source.js";

const TOKEN = "load-admin-token-for-tests";
const auth = { Authorization: `Bearer ${TOKEN}` };
const fixtures = path.resolve(__dirname, "../fixtures/load");
let daemon: Daemon | undefined;
let dataDir: string | undefined;
const servers: http.Server[] = [];

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** A local server counting hits; `status` decides the answer. */
async function server(
  handler?: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<{ url: string; hits: () => number; bodies: string[]; headers: http.IncomingHttpHeaders[] }> {
  let hits = 0;
  const bodies: string[] = [];
  const headers: http.IncomingHttpHeaders[] = [];
  const s = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      hits++;
      if (bodies.length < 5) {
        bodies.push(`${req.method} ${body}`);
        headers.push(req.headers);
      }
      if (handler) handler(req, res);
      else res.end("ok");
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, hits: () => hits, bodies, headers };
}

/**
 * A heap whose "PerRequest" type holds 64 bytes per request counted so far and whose "Timer" type grows 100 kB per
 * dump whatever the load, plus a steady type.
 */
function scripted(requests: () => number): HeapSource {
  return scriptedSource((n) => {
    const r = requests();
    return [
      { type: "PerRequest", count: r, bytes: 1_000_000 + 64 * r },
      { type: "Timer", count: n * 100, bytes: 2_000_000 + n * 100_000 },
      { type: "Steady", count: 10, bytes: 5_000_000 },
    ];
  });
}

async function start(extra: string[]): Promise<Daemon> {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "lw-load-"));
  const config = loadConfig(
    parseCli(["--pid", String(process.pid), "--name", "svc", "--data-dir", dataDir, "--min-growth", "1k", "--admin-token", TOKEN, ...extra]),
    {},
  );
  const d: Daemon = new Daemon(config, pino({ level: process.env.LEAKWATCH_TEST_LOG ?? "silent" }), {
    chooseSource: async () => ({ runtime: "node", source: scripted(() => d.load.requests("svc") ?? 0) }),
  });
  daemon = d;
  await d.start({ listen: false });
  return d;
}

async function scrape(d: Daemon) {
  const samples = parseExposition((await request(d.app).get("/metrics").expect(200)).text);
  expect(labelMismatches(samples), "labels as declared (docs/metrics.md)").toEqual([]);
  return samples;
}

describe("load API", () => {
  it("guards the changing calls with the admin token, and keeps secrets out of the open status", async () => {
    const s = await server();
    const d = await start(["--load-url", `http://user:pw@${s.url.slice(7)}/x`, "--load-header", "Authorization: Bearer target-secret", "--load-rate", "20"]);
    for (const [method, url] of [
      ["post", "/load/start"],
      ["post", "/load/stop"],
      ["patch", "/load"],
      ["post", "/load"],
    ] as const) {
      await request(d.app)[method](`/api/v1/targets/svc${url}`).send({}).expect(401);
    }
    await request(d.app).get("/api/v1/targets/nope/load").expect(404);
    const st = (await request(d.app).get("/api/v1/targets/svc/load").expect(200)).body;
    expect(st).toMatchObject({ running: true, kind: "http", method: "GET", headers: ["Authorization"], rate: 20, concurrency: 4, jobs: null });
    expect(JSON.stringify(st)).not.toMatch(/target-secret|pw@/);
    expect(st.url).toBe(`${s.url}/x`);
    await waitFor(async () => s.hits() >= 5, 5000, "requests");
    // The URL's credentials become basic auth, the explicit header wins.
    expect(s.headers[0]!.authorization).toBe("Bearer target-secret");
  });

  it("starts, stops and changes the hammer at run time; its counts match the server's", async () => {
    const s = await server();
    const d = await start([]);
    // Nothing configured: nothing to start, no load series yet.
    await request(d.app).post("/api/v1/targets/svc/load/start").set(auth).expect(409);
    expect((await scrape(d)).some((x) => x.name.startsWith("leakwatch_load_"))).toBe(false);
    await request(d.app).patch("/api/v1/targets/svc/load").set(auth).send({ concurrency: 0 }).expect(400);
    await request(d.app).patch("/api/v1/targets/svc/load").set(auth).send({ url: "ftp://x" }).expect(400);
    await request(d.app).patch("/api/v1/targets/svc/load").set(auth).send({ bogus: 1 }).expect(400);
    await request(d.app).patch("/api/v1/targets/svc/load").set(auth).set("content-type", "application/json").send("{nope").expect(400);
    const patched = await request(d.app)
      .patch("/api/v1/targets/svc/load")
      .set(auth)
      .send({ url: `${s.url}/work`, method: "POST", body: "hello", headers: { "X-Load": "1" }, concurrency: 2, rate: 50 })
      .expect(200);
    expect(patched.body).toMatchObject({ running: false, kind: "http", method: "POST", concurrency: 2, rate: 50 });
    await request(d.app).post("/api/v1/targets/svc/load/start").set(auth).expect(200);
    await sleep(1000);
    let m = await scrape(d);
    expect(value(m, "leakwatch_load_running", { target: "svc" })).toBe(1);
    expect(value(m, "leakwatch_load_target_rate", { target: "svc" })).toBe(50);
    await request(d.app).patch("/api/v1/targets/svc/load").set(auth).send({ rate: null, concurrency: 3 }).expect(200);
    await sleep(300);
    const stopped = (await request(d.app).post("/api/v1/targets/svc/load/stop").set(auth).expect(200)).body;
    expect(stopped.running).toBe(false);
    m = await scrape(d);
    const ok = value(m, "leakwatch_load_requests_total", { target: "svc", outcome: "ok" })!;
    expect(ok).toBeGreaterThan(40);
    expect(ok).toBe(s.hits());
    expect(value(m, "leakwatch_load_requests_total", { target: "svc", outcome: "error" })).toBe(0);
    expect(value(m, "leakwatch_load_target_rate", { target: "svc" })).toBeUndefined();
    expect(value(m, "leakwatch_load_running", { target: "svc" })).toBe(0);
    expect(value(m, "leakwatch_load_request_duration_seconds_count", { target: "svc" })).toBe(ok);
    expect(value(m, "leakwatch_load_request_duration_seconds_bucket", { target: "svc", le: "+Inf" })).toBe(ok);
    expect(s.bodies[0]).toBe("POST hello");
    expect(s.headers[0]!["x-load"]).toBe("1");
    // Stopped means stopped.
    await sleep(200);
    expect(s.hits()).toBe(ok);
  });

  it("adds load counted elsewhere to the ok outcome", async () => {
    const d = await start([]);
    await request(d.app).post("/api/v1/targets/svc/load").send({ count: 5 }).expect(401);
    for (const bad of [{ count: -1 }, { count: 1.5 }, { count: "3" }, {}, { count: 1, extra: 1 }]) {
      await request(d.app).post("/api/v1/targets/svc/load").set(auth).send(bad).expect(400);
    }
    expect(d.load.requests("svc")).toBeUndefined();
    await request(d.app).post("/api/v1/targets/svc/load").set(auth).send({ count: 1200 }).expect(200);
    const r = await request(d.app).post("/api/v1/targets/svc/load").set(auth).send({ count: 34 }).expect(200);
    expect(r.body).toEqual({ added: 34, cumulativeRequests: 1234 });
    const m = await scrape(d);
    expect(value(m, "leakwatch_load_requests_total", { target: "svc", outcome: "ok" })).toBe(1234);
    expect(value(m, "leakwatch_load_requests_total", { target: "svc", outcome: "timeout" })).toBe(0);
    // No hammer: no histogram series and no rate.
    expect(m.some((x) => x.name.startsWith("leakwatch_load_request_duration_seconds"))).toBe(false);
    expect((await request(d.app).get("/api/v1/targets/svc/load")).body).toMatchObject({ known: true, running: false, kind: null, cumulativeRequests: 1234 });
  });

  it("tells retained bytes per request apart from growth without load", async () => {
    const d = await start([]);
    // 10 dumps: load between the first five and the last two; none between dumps 5..8.
    for (let i = 0; i < 10; i++) {
      if (i < 5 || i >= 8) await request(d.app).post("/api/v1/targets/svc/load").set(auth).send({ count: 1000 }).expect(200);
      await request(d.app).post("/api/v1/targets/svc/dumps").set(auth).expect(201);
      await sleep(30);
    }
    expect(d.store.list("svc").map((x) => x.requests)).toEqual([1000, 2000, 3000, 4000, 5000, 5000, 5000, 5000, 6000, 7000]);
    const verdicts = (await request(d.app).get("/api/v1/targets/svc/suspects?all=1").expect(200)).body as TypeVerdict[];
    const per = verdicts.find((v) => v.type === "PerRequest")!;
    const timer = verdicts.find((v) => v.type === "Timer")!;
    expect(per.bytesPerRequest).toBeCloseTo(64, 6);
    expect(per.growsWithoutLoad).toBe(false);
    expect(per.idleGrowthBytes).toBe(0);
    expect(timer.growsWithoutLoad).toBe(true);
    expect(timer.idleGrowthBytes).toBe(300_000);
    const m = await scrape(d);
    expect(value(m, "leakwatch_heap_type_retained_bytes_per_request", { target: "svc", heap_type: "PerRequest" })).toBeCloseTo(64, 6);
    expect(value(m, "leakwatch_heap_type_retained_bytes_per_request", { target: "svc", heap_type: "Steady" })).toBe(0);
  });

  it("reads load from the target's own metric before each dump, and dumps every N requests", async () => {
    let served = 0;
    const s = await server((req, res) => {
      if (req.url === "/metrics") res.end(`# TYPE app_requests_total counter\napp_requests_total{code="200"} ${served}\napp_requests_total{code="500"} 7\n`);
      else res.end("ok");
    });
    const d = await start(["--load-from-metric", `${s.url}/metrics#app_requests_total{code="200"}`, "--dump-every-requests", "100"]);
    await waitFor(async () => d.heaps.view("svc"), 5000, "the heap source");
    served = 150;
    await waitFor(async () => d.store.list("svc").length === 1, 5000, "a dump at 100 requests");
    await sleep(1500);
    served = 200; // < 250: no dump
    await sleep(1500);
    expect(d.store.list("svc")).toHaveLength(1);
    served = 300;
    await waitFor(async () => d.store.list("svc").length === 2, 5000, "a dump at 250 requests");
    expect(d.store.list("svc").map((x) => x.requests)).toEqual([150, 300]);
    // A dump for another reason reads the metric first; a reset counter (a restart) counts from zero.
    served = 20;
    await request(d.app).post("/api/v1/targets/svc/dumps").set(auth).expect(201);
    expect(d.store.list("svc").at(-1)!.requests).toBe(320);
    const m = await scrape(d);
    expect(value(m, "leakwatch_load_requests_total", { target: "svc", outcome: "ok" })).toBe(320);
    const st = (await request(d.app).get("/api/v1/targets/svc/load")).body;
    expect(st.fromMetric).toMatchObject({ metric: "app_requests_total", labels: { code: "200" }, value: 20, error: null });
  });

  it("runs a command per job, counting exit 0 as ok and other exits as errors", async () => {
    let fail = false;
    const s = await server((_req, res) => {
      res.statusCode = fail ? 500 : 200;
      res.end();
    });
    const d = await start([
      "--load-command",
      `${process.execPath} ${path.join(fixtures, "get.mjs")} ${s.url}/job`,
      "--load-concurrency",
      "2",
      "--load-jobs",
      "3",
      "--load-wait",
      "200ms",
    ]);
    await waitFor(async () => (d.load.requests("svc") ?? 0) >= 6, 20_000, "two rounds of jobs");
    fail = true;
    await waitFor(async () => d.load.for("svc")!.stats.counts.error >= 2, 20_000, "failing jobs");
    await request(d.app).post("/api/v1/targets/svc/load/stop").set(auth).expect(200);
    const c = d.load.for("svc")!.stats.counts;
    expect(c.ok + c.error).toBe(s.hits());
    expect(c.timeout).toBe(0);
    expect((await request(d.app).get("/api/v1/targets/svc/load")).body).toMatchObject({
      kind: "command",
      command: path.basename(process.execPath),
      jobs: 3,
      wait: 0.2,
    });
  }, 60_000);

  it("counts refused connections as errors and backs off instead of spinning", async () => {
    const s = await server();
    const port = new URL(s.url).port;
    for (const x of servers.splice(0)) await new Promise((r) => x.close(r));
    const d = await start(["--load-url", `http://127.0.0.1:${port}/`, "--load-concurrency", "8"]);
    await sleep(1500);
    const l = d.load.for("svc")!;
    expect(l.stats.counts.ok).toBe(0);
    expect(l.stats.counts.error).toBeGreaterThanOrEqual(1);
    expect(l.stats.counts.error).toBeLessThan(40);
    expect(l.stats.lastError?.message).toMatch(/ECONNREFUSED/);
    expect((await request(d.app).get("/api/v1/targets/svc/load")).body.pausedBecause).toBe("target unreachable");
  });

  const noPromtool = which("promtool") ? null : "promtool not installed (Debian package prometheus)";
  it.skipIf(skipReason("promtool check metrics (load)", noPromtool))("serves load metrics that promtool finds clean", async () => {
    const s = await server();
    const d = await start(["--load-url", `${s.url}/`, "--load-rate", "100"]);
    await request(d.app).post("/api/v1/targets/svc/load").set(auth).send({ count: 10 }).expect(200);
    for (let i = 0; i < 3; i++) {
      await sleep(150);
      await request(d.app).post("/api/v1/targets/svc/dumps").set(auth).expect(201);
    }
    const text = (await request(d.app).get("/metrics").expect(200)).text;
    expect(text).toContain("# TYPE leakwatch_load_request_duration_seconds histogram");
    expect(text).toMatch(/leakwatch_heap_type_retained_bytes_per_request\{target="svc",heap_type="PerRequest"\} /);
    let out = "";
    try {
      out = execFileSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      out = `${e.stdout ?? ""}${e.stderr ?? ""}`;
    }
    expect(out.trim()).toBe("");
  });
});
