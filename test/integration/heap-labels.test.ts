// A real type named "(other)" next to leakwatch's own "(other)" overflow row: two series, never one label twice
// (Prometheus would drop one of them, the overflow sum).
import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { pino } from "pino";
import { loadConfig, parseCli } from "../../src/config/load.js";
import { Daemon } from "../../src/daemon.js";
import { parseExposition } from "../helpers/metrics.js";
import { scriptedSource } from "../helpers/scripted-source.js";

const TOKEN = "s3cret-token-for-tests";
let daemon: Daemon | undefined;
let dataDir = "";

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

describe("heap_type labels", () => {
  it("exports a real type named (other) apart from the overflow row", async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "lw-labels-"));
    const config = loadConfig(parseCli(["--pid", String(process.pid), "--name", "svc", "--data-dir", dataDir, "--max-types", "2", "--admin-token", TOKEN]), {});
    const source = scriptedSource(() => [
      { type: "(other)", count: 7, bytes: 7_000_000 },
      { type: "Big", count: 1, bytes: 9_000_000 },
      { type: "Small1", count: 3, bytes: 300 },
      { type: "Small2", count: 4, bytes: 400 },
    ]);
    daemon = new Daemon(config, pino({ level: "silent" }), { chooseSource: async () => ({ runtime: "node", source }) });
    await daemon.start({ listen: false });
    await request(daemon.app).post("/api/v1/targets/svc/dumps").set("Authorization", `Bearer ${TOKEN}`).expect(201);
    const text = (await request(daemon.app).get("/metrics")).text;
    const bytes = parseExposition(text).filter((s) => s.name === "leakwatch_heap_type_bytes" && s.labels.target === "svc");
    const byLabel = new Map(bytes.map((s) => [s.labels.heap_type, s.value]));
    expect(bytes).toHaveLength(byLabel.size); // no label twice
    expect(byLabel.get('"(other)"')).toBe(7_000_000); // the real type
    expect(byLabel.get("(other)")).toBe(700); // the overflow sum of Small1 and Small2
    expect(byLabel.get("Big")).toBe(9_000_000);
  });
});
