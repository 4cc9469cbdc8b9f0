// The catalog (src/collectors/catalog.ts) the bundle's tests check rules and dashboards against must list every
// metric a running leakwatch exposes: a collector added without a catalog entry fails here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { METRIC_CATALOG, METRIC_NAMES, isExposed, sampleNames } from "../../src/collectors/catalog.js";
import { startDaemon, type TestDaemon } from "../helpers/daemon.js";
import request from "supertest";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

let d: TestDaemon | undefined;
const dataDir = mkdtempSync(path.join(os.tmpdir(), "lw-catalog-"));
let child: ChildProcess | undefined;
beforeAll(() => {
  child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
});
afterAll(async () => {
  await d?.stop();
  child?.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("metric catalog", () => {
  it("has unique leakwatch_ names with a type and help", () => {
    expect(new Set(METRIC_NAMES).size).toBe(METRIC_NAMES.length);
    for (const e of METRIC_CATALOG) {
      expect(e.name).toMatch(/^leakwatch_[a-z0-9_]+$/);
      expect(e.help.length).toBeGreaterThan(0);
      if (e.type === "counter") expect(e.name).toMatch(/_total$/);
    }
    expect(sampleNames({ name: "x_seconds", type: "histogram" })).toEqual(["x_seconds_bucket", "x_seconds_sum", "x_seconds_count"]);
  });

  it("covers every family a running daemon exposes", async () => {
    d = await startDaemon(["--name", "self", "--pid", String(child!.pid), "--heap-source", "none", "--data-dir", dataDir]);
    const text = (await request(d.daemon.app).get("/metrics").expect(200)).text;
    const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => ({ name: m[1]!, type: m[2]! }));
    expect(families.length).toBeGreaterThan(20);
    // Families without samples are still declared: the heap ones must be there even with no dump yet.
    expect(families.map((f) => f.name)).toContain("leakwatch_heap_type_bytes");
    const known = (name: string) => METRIC_CATALOG.some((e) => e.name === name) || (!name.startsWith("leakwatch_") && isExposed(name));
    const missing = families.filter((f) => !known(f.name)).map((f) => f.name);
    expect(missing, "exposed but not in src/collectors/catalog.ts").toEqual([]);
    for (const f of families.filter((f) => f.name.startsWith("leakwatch_"))) {
      expect(METRIC_CATALOG.find((e) => e.name === f.name)?.type, f.name).toBe(f.type);
    }
  });
});
