// `leakwatch run` end to end with the real CLI: a leaking program gives exit 3 and a report naming the leaking type,
// a steady one exit 0, an OOM-killed one exit 4.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { leakwatch } from "../helpers/cli.js";
import { memoryCgroupUnavailable, skipReason } from "../helpers/env.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), "lw-run-"));
  dirs.push(d);
  return d;
}
const leaky = path.resolve(__dirname, "../fixtures/targets/leaky.js");
const hog = path.resolve(__dirname, "../fixtures/programs/alloc-steadily.js");

function run(dir: string, args: string[], timeout = 90_000) {
  return leakwatch(["run", "--report", path.join(dir, "report"), "--data-dir", path.join(dir, "data"), "--listen", "127.0.0.1:0", ...args], {
    timeout,
    stdin: "pipe",
  });
}

describe("leakwatch run", () => {
  it("exits 3 for a leaking program and writes a report naming the leaking type", async () => {
    const dir = tmp();
    // Measured in dumps, not seconds: a busy machine takes longer, not fewer dumps.
    const r = await run(dir, ["--dumps", "8", "--dump-every", "1s", "--min-growth", "1k", "--", process.execPath, leaky, "10"]);
    expect(r.stderr).toMatch(/leak suspected \(node: (leak )?LeakyThing/);
    expect(r.exitCode).toBe(3);
    const report = JSON.parse(readFileSync(path.join(dir, "report", "report.json"), "utf8"));
    expect(report).toMatchObject({ verdict: "leak_suspected", exitCode: 3, endReason: "dumps" });
    expect(report.targets[0].dumps.length).toBeGreaterThanOrEqual(8);
    expect(report.targets[0].suspects.map((s: { type: string }) => s.type)).toContain("LeakyThing");
    expect(report.targets[0].suspects.map((s: { type: string }) => s.type)).not.toContain("StableThing");
    expect(report.targets[0].memory.length).toBeGreaterThan(3);
    expect(readFileSync(path.join(dir, "report", "report.md"), "utf8")).toMatch(/\| LeakyThing \|/);
    const html = readFileSync(path.join(dir, "report", "report.html"), "utf8");
    expect(html).toContain("LeakyThing");
    expect(html).toContain("<svg");
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  }, 120_000);

  it("exits 0 for a steady program", async () => {
    const dir = tmp();
    const r = await run(dir, ["--dumps", "7", "--dump-every", "1s", "--min-growth", "1k", "--", process.execPath, leaky, "0"]);
    expect(r.stderr).toMatch(/no leak suspected/);
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(readFileSync(path.join(dir, "report", "report.json"), "utf8"));
    expect(report.targets[0].suspects).toEqual([]);
    // Enough dumps for a verdict to have been possible at all.
    expect(report.targets[0].dumps.length).toBeGreaterThanOrEqual(6);
  }, 120_000);

  it.skipIf(skipReason("leakwatch run OOM", memoryCgroupUnavailable()))(
    "exits 4 when the target is OOM-killed",
    async () => {
      const dir = tmp();
      const r = await run(dir, ["--memory-limit", "100m", "--dump-every", "2s", "--", process.execPath, hog, "8", "100"]);
      expect(r.exitCode).toBe(4);
      const report = JSON.parse(readFileSync(path.join(dir, "report", "report.json"), "utf8"));
      expect(report).toMatchObject({ verdict: "target_crashed", endReason: "target_exited" });
      expect(report.targets[0].oomKills).toBeGreaterThanOrEqual(1);
      expect(report.targets[0].exit.status).toBe(137);
    },
    60_000,
  );

  it("rejects a run without a command, or a bad duration, with exit 2", async () => {
    const dir = tmp();
    expect((await run(dir, ["--duration", "1h"])).exitCode).toBe(2);
    const r = await run(dir, ["--duration", "soon", "--", "true"]);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr).trim()).toBe('leakwatch: --duration: expected a duration like 30m or 2h, got "soon"');
    const d = await run(dir, ["--dumps", "0", "--", "true"]);
    expect(d.exitCode).toBe(2);
    expect(String(d.stderr).trim()).toBe('leakwatch: --dumps: expected a whole number ≥ 1, got "0"');
  });
});
