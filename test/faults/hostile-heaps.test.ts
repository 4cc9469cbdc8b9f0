// Issue 12, items 11-15, with the real `leakwatch`: what a target's heap or command line contains must not break
// the metrics, the report or the UI, nor leak a secret; and a soak run is not reachable from the network by default.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { leakwatch } from "../helpers/cli.js";
import { type CliDaemon, startCliDaemon } from "../helpers/cli-daemon.js";
import { waitFor } from "../helpers/env.js";
import { parseExposition } from "../helpers/metrics.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "lw-faults-heaps-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const histogram = path.resolve(__dirname, "../fixtures/faults/histogram.js");
const idle = path.resolve(__dirname, "../fixtures/programs/idle.js");
const me = String(process.pid);
let d: CliDaemon | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
});

const heapCommand = (mode: string) => ["--heap-source", "command", "--heap-command", `${process.execPath} ${histogram} ${mode} {pid}`];
const dataDir = (name: string) => ["--data-dir", path.join(dir, name)];

/** The heap_type → value map of one metric once the first dump is in. */
async function heapTypes(daemon: CliDaemon, metric: string): Promise<{ labels: string[]; values: Map<string, number> }> {
  return waitFor(
    async () => {
      const samples = parseExposition(await (await daemon.get("/metrics")).text()).filter((s) => s.name === metric);
      if (samples.length === 0) return undefined;
      const labels = samples.map((s) => s.labels.heap_type!);
      return { labels, values: new Map(samples.map((s) => [s.labels.heap_type!, s.value])) };
    },
    30_000,
    `${metric} after the first dump`,
  );
}

describe("hostile heaps and command lines, with the real leakwatch", () => {
  it("11. a real type named (other) keeps its own series beside the overflow row", async () => {
    d = await startCliDaemon(["--pid", me, "--name", "svc", ...dataDir("other"), ...heapCommand("plain-other"), "--dump-every", "1s", "--max-types", "2"]);
    const { labels, values } = await heapTypes(d, "leakwatch_heap_type_bytes");
    expect(new Set(labels).size).toBe(labels.length); // no label twice: Prometheus would drop one
    expect(values.get('"(other)"')).toBe(7_000_000);
    expect(values.get("(other)")).toBe(700);
  });

  it("12. a JVM class name with a space does not lose the dump", async () => {
    d = await startCliDaemon(["--pid", me, "--name", "svc", ...dataDir("space"), ...heapCommand("jcmd-space"), "--dump-every", "1s"]);
    const { values } = await heapTypes(d, "leakwatch_heap_type_objects");
    expect(values.get("com.example.My Class")).toBe(30);
    expect(values.get("java.lang.String")).toBe(20);
  });

  it("13. report.md and report.html show hostile type names as text", async () => {
    const report = path.join(dir, "report");
    const r = await leakwatch([
      "run",
      "--report",
      report,
      ...dataDir("run"),
      "--listen",
      "127.0.0.1:0",
      ...heapCommand("hostile"),
      "--dumps",
      "2",
      "--dump-every",
      "1s",
      "--",
      process.execPath,
      idle,
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const md = readFileSync(path.join(report, "report.md"), "utf8");
    expect(md).not.toMatch(/<script|<img|<\/td>/);
    expect(md).toContain("&lt;script&gt;");
    expect(md).not.toContain("\u202e");
    expect(md).toContain("Evil\\u{202E}gnp.exe");
    const html = readFileSync(path.join(report, "report.html"), "utf8");
    expect(html).not.toMatch(/<script|<img|a<\/td>/);
  }, 90_000);

  it("14. a password on the target's command line and an API key in the load URL are never served", async () => {
    d = await startCliDaemon([
      "--name",
      "svc",
      ...dataDir("secrets"),
      "--heap-source",
      "none",
      "--load-url",
      "http://127.0.0.1:9/orders?apikey=TOPSECRET",
      "--load-rate",
      "1",
      "--",
      process.execPath,
      idle,
      "--db-password=HUNTER2",
    ]);
    const daemon = d;
    const metrics = await waitFor(
      async () => {
        const text = await (await daemon.get("/metrics")).text();
        return text.includes("idle.js") ? text : undefined;
      },
      30_000,
      "the target's command line in /metrics",
    );
    const served = [metrics, await (await d.get("/api/v1/targets")).text(), await (await d.get("/api/v1/targets/svc/load")).text()];
    for (const text of served) {
      expect(text).not.toContain("HUNTER2");
      expect(text).not.toContain("TOPSECRET");
    }
    expect(metrics).toContain("--db-password=***");
  });

  it("15. leakwatch run listens on 127.0.0.1 unless told otherwise", async () => {
    const r = await leakwatch([
      "run",
      "--report",
      path.join(dir, "r15"),
      ...dataDir("r15"),
      "--heap-source",
      "none",
      "--",
      process.execPath,
      "-e",
      "setTimeout(() => {}, 500)",
    ]);
    // Either it served on loopback, or the port was taken, which names the address it tried: loopback either way.
    expect(r.stderr).toMatch(/live view http:\/\/127\.0\.0\.1:9477\/|cannot listen on 127\.0\.0\.1:9477/);
  }, 60_000);
});
