// The hammer against a real target: a Node HTTP server (test/fixtures/load/leaky-server.js) that retains one
// RequestRecord holding a 1000-character string per request, launched under the daemon with the v8 heap source.
// The hammer's counts must match the server's own count of requests served, and the bytes retained per request
// must come out within 20% of what V8's accounting says one request leaves behind: RequestRecord's own shallow
// size (read from the snapshot: bytes ÷ count of that type) for RequestRecord, and 16 + 1000 = 1016 bytes (a flat
// one-byte string's header and characters, 8-aligned) for (string). Growth on a timer while no load runs
// (BackgroundRecord) must be told apart from growth per request.
import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { pino } from "pino";
import { loadConfig, parseCli } from "../../src/config/load.js";
import { Daemon } from "../../src/daemon.js";
import type { TypeVerdict } from "../../src/analysis/index.js";
import { parseExposition, value } from "../helpers/metrics.js";
import { sleep, waitFor } from "../helpers/env.js";

const TOKEN = "load-hammer-token-1234";
const auth = { Authorization: `Bearer ${TOKEN}` };
const SERVER = path.resolve(__dirname, "../fixtures/load/leaky-server.js");
/** A flat one-byte string of 1000 characters: 16 bytes of header (map, hash, length) + 1000, 8-aligned. */
const STRING_BYTES = 1016;

let daemon: Daemon | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function run(argv: string[], port: number, mode: string): Promise<Daemon> {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "lw-load-e2e-"));
  const config = loadConfig(
    parseCli([
      "--name",
      "fx",
      "--data-dir",
      dataDir,
      "--min-growth",
      "1k",
      "--discovery-interval",
      "300ms",
      "--admin-token",
      TOKEN,
      "--load-url",
      `http://127.0.0.1:${port}/work`,
      "--load-concurrency",
      "4",
      ...argv,
      "--",
      process.execPath,
      SERVER,
      String(port),
      mode,
    ]),
    {},
  );
  daemon = new Daemon(config, pino({ level: process.env.LEAKWATCH_TEST_LOG ?? "silent" }));
  await daemon.start({ listen: false });
  return daemon;
}

async function served(port: number): Promise<number> {
  return ((await (await fetch(`http://127.0.0.1:${port}/count`)).json()) as { served: number }).served;
}

async function verdicts(d: Daemon): Promise<TypeVerdict[]> {
  return (await request(d.app).get("/api/v1/targets/fx/suspects?all=1").expect(200)).body as TypeVerdict[];
}

function within(actual: number | undefined, expected: number, fraction: number, what: string): void {
  expect(actual, what).toBeDefined();
  expect(Math.abs(actual! - expected) / expected, `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(fraction);
}

describe("the hammer against a leaking Node server", () => {
  it("counts what the server served and finds the bytes each request leaves behind", async () => {
    const port = await freePort();
    // --dump-every 24d: no clock dump within the test (the default schedule fires every 5 minutes on the clock, and a
    // slow run could cross one), so every dump is a request trigger's.
    const d = await run(["--load-rate", "200", "--dump-every-requests", "400", "--dump-every", "24d"], port, "request");
    await waitFor(async () => d.store.list("fx").length >= 7, 60_000, "7 dumps");
    await request(d.app).post("/api/v1/targets/fx/load/stop").set(auth).expect(200);
    // A dump the last requests asked for may still be running (with its retention analysis): the metrics and the
    // verdicts below must both come from after it.
    await d.heaps.idle();

    const m = parseExposition((await request(d.app).get("/metrics").expect(200)).text);
    const ok = value(m, "leakwatch_load_requests_total", { target: "fx", outcome: "ok" })!;
    // The hammer starts with leakwatch: until the server listens, each of the 4 workers may meet a refused
    // connection (counted as an error, then backed off) — never more.
    expect(value(m, "leakwatch_load_requests_total", { target: "fx", outcome: "error" })).toBeLessThanOrEqual(4);
    expect(value(m, "leakwatch_load_requests_total", { target: "fx", outcome: "timeout" })).toBe(0);
    expect(ok).toBe(await served(port));
    expect(ok).toBeGreaterThanOrEqual(2800);

    // A dump every 400 requests (and no clock dumps).
    const dumps = d.store.list("fx");
    expect(dumps.every((x) => x.source === "v8")).toBe(true);
    const reqs = dumps.map((x) => x.requests!);
    for (let i = 1; i < reqs.length; i++) expect(reqs[i]! - reqs[i - 1]!).toBeGreaterThanOrEqual(400);

    await d.heaps.settled(); // the verdicts of every stored dump are published
    const v = await verdicts(d);
    const latest = (await d.store.read("fx", dumps.at(-1)!.id))!.types.find((t) => t.type === "RequestRecord")!;
    const recordSize = latest.bytes / latest.count;
    expect(recordSize).toBeGreaterThan(16);
    const record = v.find((x) => x.type === "RequestRecord")!;
    within(record.bytesPerRequest, recordSize, 0.2, "RequestRecord bytes per request");
    within(v.find((x) => x.type === "(string)")!.bytesPerRequest, STRING_BYTES, 0.2, "(string) bytes per request");
    expect(record.suspect).toBe(true);
    expect(value(m, "leakwatch_heap_type_retained_bytes_per_request", { target: "fx", heap_type: "RequestRecord" })).toBeCloseTo(record.bytesPerRequest!, 6);
  }, 120_000);

  it("tells growth per request from growth with no load", async () => {
    const port = await freePort();
    const d = await run(["--load-rate", "150", "--dump-every", "2s"], port, "both");
    const dumpsAtLeast = (n: number) => waitFor(async () => d.store.list("fx").length >= n, 30_000, `${n} dumps`);
    await dumpsAtLeast(4);
    await request(d.app).post("/api/v1/targets/fx/load/stop").set(auth).expect(200);
    const idleFrom = d.store.list("fx").length;
    await dumpsAtLeast(idleFrom + 3);
    await request(d.app).post("/api/v1/targets/fx/load/start").set(auth).expect(200);
    const busyFrom = d.store.list("fx").length;
    await dumpsAtLeast(busyFrom + 3);
    await request(d.app).post("/api/v1/targets/fx/load/stop").set(auth).expect(200);

    const reqs = d.store.list("fx").map((x) => x.requests!);
    // At least two idle steps (equal counts in consecutive dumps).
    expect(reqs.filter((r, i) => i > 0 && r === reqs[i - 1]).length).toBeGreaterThanOrEqual(2);
    await d.heaps.settled();
    const v = await verdicts(d);
    const record = v.find((x) => x.type === "RequestRecord")!;
    const background = v.find((x) => x.type === "BackgroundRecord")!;
    expect(record.growsWithoutLoad).toBe(false);
    expect(record.idleGrowthBytes).toBe(0);
    expect(background.growsWithoutLoad).toBe(true);
    expect(background.idleGrowthBytes).toBeGreaterThan(0);
    const latest = (await d.store.read("fx", d.store.list("fx").at(-1)!.id))!.types.find((t) => t.type === "RequestRecord")!;
    within(record.bytesPerRequest, latest.bytes / latest.count, 0.2, "RequestRecord bytes per request");
    const ok = d.load.for("fx")!.stats.counts.ok;
    expect(ok).toBe(await served(port));
    await sleep(10);
  }, 120_000);
});
