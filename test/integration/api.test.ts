// The JSON API and the heap metrics on a daemon whose heap source is scripted (a leaking type, a steady one, and
// type names that need escaping): admin guard, dumps, diff, suspects, and promtool-clean exposition.
import { afterEach, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { pino } from "pino";
import { loadConfig, parseCli } from "../../src/config/load.js";
import { Daemon } from "../../src/daemon.js";
import type { HeapSource } from "../../src/model/dump.js";
import { labelMismatches, parseExposition, value } from "../helpers/metrics.js";
import { skipReason, which } from "../helpers/env.js";
import { scriptedSource } from "../helpers/scripted-source.js";

const TOKEN = "s3cret-token-for-tests";
let daemon: Daemon | undefined;
let dataDir: string;

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

function scripted(): HeapSource {
  return scriptedSource((n) => [
    { type: 'Leaky"Quoted\\Name', count: n * 1000, bytes: n * 2_000_000 },
    { type: "java.lang.String", count: 500, bytes: 10_000_000 },
    { type: "(compiled code)", count: 10, bytes: 1_000 },
  ]);
}

async function start(extra: string[] = []) {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "lw-api-"));
  const config = loadConfig(parseCli(["--pid", String(process.pid), "--name", "svc", "--data-dir", dataDir, "--min-growth", "1k", ...extra]), {});
  daemon = new Daemon(config, pino({ level: "silent" }), { chooseSource: async () => ({ runtime: "node", source: scripted() }) });
  await daemon.start({ listen: false });
  return daemon;
}

describe("API and heap metrics", () => {
  it("refuses admin calls unless --admin-token is set, then needs the bearer token", async () => {
    let d = await start();
    await request(d.app).post("/api/v1/targets/svc/dumps").expect(403);
    await d.stop();
    d = await start(["--admin-token", TOKEN]);
    await request(d.app).post("/api/v1/targets/svc/dumps").expect(401);
    await request(d.app).post("/api/v1/targets/svc/dumps").set("Authorization", "Bearer wrong-token-xxxxxxx").expect(401);
    const ok = await request(d.app).post("/api/v1/targets/svc/dumps").set("Authorization", `Bearer ${TOKEN}`).expect(201);
    expect(ok.body.result).toBe("success");
    await request(d.app).get("/api/v1/targets/nope/dumps").expect(404);
  });

  it("serves dumps, diff and suspects, and exposes the verdict as metrics", async () => {
    const d = await start(["--admin-token", TOKEN]);
    for (let i = 0; i < 8; i++) {
      await request(d.app).post("/api/v1/targets/svc/dumps").set("Authorization", `Bearer ${TOKEN}`).expect(201);
      await new Promise((r) => setTimeout(r, 20));
    }
    const targets = await request(d.app).get("/api/v1/targets").expect(200);
    expect(targets.body[0]).toMatchObject({ name: "svc", up: true, heapSource: "scripted", dumps: 8, suspects: ['Leaky"Quoted\\Name'] });

    const dumps = (await request(d.app).get("/api/v1/targets/svc/dumps").expect(200)).body as { id: string; typeCount: number }[];
    expect(dumps).toHaveLength(8);
    expect(dumps[0]!.typeCount).toBe(3);
    const one = await request(d.app).get(`/api/v1/targets/svc/dumps/${dumps[2]!.id}`).expect(200);
    expect(one.body.types).toHaveLength(3);

    const diff = await request(d.app).get(`/api/v1/targets/svc/diff?from=${dumps[0]!.id}&to=${dumps[7]!.id}`).expect(200);
    expect(diff.body.rows[0]).toMatchObject({ type: 'Leaky"Quoted\\Name', deltaBytes: 14_000_000, deltaCount: 7000 });
    await request(d.app).get("/api/v1/targets/svc/diff?from=nope").expect(404);

    const suspects = await request(d.app).get("/api/v1/targets/svc/suspects").expect(200);
    expect(suspects.body.map((v: { type: string }) => v.type)).toEqual(['Leaky"Quoted\\Name']);

    const text = (await request(d.app).get("/metrics").expect(200)).text;
    const s = parseExposition(text);
    expect(value(s, "leakwatch_heap_type_leak_suspect", { target: "svc", heap_type: 'Leaky"Quoted\\Name' })).toBe(1);
    expect(value(s, "leakwatch_heap_type_leak_suspect", { target: "svc", heap_type: "java.lang.String" })).toBe(0);
    expect(value(s, "leakwatch_heap_type_bytes", { target: "svc", heap_type: 'Leaky"Quoted\\Name' })).toBe(16_000_000);
    expect(value(s, "leakwatch_heap_dumps_total", { target: "svc", result: "success" })).toBe(8);
    expect(value(s, "leakwatch_heap_type_growth_bytes_per_second", { target: "svc", heap_type: 'Leaky"Quoted\\Name' })).toBeGreaterThan(0);
    expect(value(s, "leakwatch_heap_source_info", { target: "svc", source: "scripted", runtime: "node" })).toBe(1);
    expect(s.filter((x) => !Number.isFinite(x.value))).toEqual([]);
    expect(labelMismatches(s), "labels as declared (docs/metrics.md)").toEqual([]);

    const noPromtool = which("promtool") ? null : "promtool not installed";
    if (!skipReason("promtool on heap metrics", noPromtool)) {
      let out = "";
      try {
        out = execFileSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
      } catch (err) {
        out = String((err as { stdout?: string }).stdout) + String((err as { stderr?: string }).stderr);
      }
      expect(out.trim()).toBe("");
    }
  });

  it("pages the verdicts, streams a stored dump, and diffs from the window or from the files alike", async () => {
    // A verdict window of 3 dumps: the first dumps are only on disk.
    const d = await start(["--admin-token", TOKEN, "--verdict-window", "3"]);
    for (let i = 0; i < 8; i++) {
      await request(d.app).post("/api/v1/targets/svc/dumps").set("Authorization", `Bearer ${TOKEN}`).expect(201);
      await new Promise((r) => setTimeout(r, 20));
    }
    const all = await request(d.app).get("/api/v1/targets/svc/suspects?all=1").expect(200);
    expect(all.body).toHaveLength(3);
    expect(all.headers["x-total-count"]).toBe("3");
    expect(all.headers.link).toBeUndefined();
    const first = await request(d.app).get("/api/v1/targets/svc/suspects?all=1&limit=2").expect(200);
    expect(first.body).toEqual(all.body.slice(0, 2));
    expect(first.headers.link).toBe('</api/v1/targets/svc/suspects?all=1&limit=2&offset=2>; rel="next"');
    const link = first.headers.link ?? "";
    const next = await request(d.app)
      .get(link.slice(1, link.indexOf(">")))
      .expect(200);
    expect(next.body).toEqual(all.body.slice(2));
    expect((await request(d.app).get("/api/v1/targets/svc/suspects?all=1&offset=99").expect(200)).body).toEqual([]);

    const dumps = (await request(d.app).get("/api/v1/targets/svc/dumps").expect(200)).body as { id: string }[];
    const one = await request(d.app).get(`/api/v1/targets/svc/dumps/${dumps[0]!.id}`).expect(200).expect("content-type", /json/);
    expect(one.body).toEqual({ ...(await d.store.read("svc", dumps[0]!.id)), typeCount: 3 });

    // From the files (dump 0 left the window) and from the window (dumps 5 and 7) alike.
    const old = await request(d.app).get(`/api/v1/targets/svc/diff?from=${dumps[0]!.id}&to=${dumps[7]!.id}`).expect(200);
    expect(old.body.rows[0]).toMatchObject({ type: 'Leaky"Quoted\\Name', deltaBytes: 14_000_000, deltaCount: 7000 });
    const recent = await request(d.app).get(`/api/v1/targets/svc/diff?from=${dumps[5]!.id}&to=${dumps[7]!.id}`).expect(200);
    expect(recent.body.rows[0]).toMatchObject({ type: 'Leaky"Quoted\\Name', deltaBytes: 4_000_000, deltaCount: 2000, status: "both" });
    expect(recent.body.rows.map((r: { type: string }) => r.type)).toEqual(old.body.rows.map((r: { type: string }) => r.type));
    expect((await request(d.app).get(`/api/v1/targets/svc/diff?from=${dumps[0]!.id}&to=${dumps[7]!.id}&limit=1`).expect(200)).body.rows).toEqual([
      old.body.rows[0],
    ]);
  });

  it("keeps the history when leakwatch restarts", async () => {
    let d = await start(["--admin-token", TOKEN]);
    await request(d.app).post("/api/v1/targets/svc/dumps").set("Authorization", `Bearer ${TOKEN}`).expect(201);
    await d.stop();
    const dir = dataDir;
    const config = loadConfig(parseCli(["--pid", String(process.pid), "--name", "svc", "--data-dir", dir]), {});
    d = daemon = new Daemon(config, pino({ level: "silent" }), { chooseSource: async () => ({ runtime: "node", source: scripted() }) });
    await d.start({ listen: false });
    expect((await request(d.app).get("/api/v1/targets/svc/dumps").expect(200)).body).toHaveLength(1);
  });
});
