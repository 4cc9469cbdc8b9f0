#!/usr/bin/env node
// What one JVM histogram dump through leakwatch costs against a bare `jcmd PID GC.class_histogram` (spawnSync,
// output buffered): the whole JvmSource.dump (checks, jcmd through runTool, streamed parse), and runTool's spawn of
// jcmd alone (output counted, not parsed). One target JVM holding N objects; runs interleaved (bare, tool, dump, …),
// quiet and with two busy loops loading both cores.
//
// Usage (from the repository root): npm run build && node bench/jvm-spawn/run.mjs [--objects 1650000] [--runs 15]
//   [--conditions quiet,busy]
// Temporary files: bench/tmp/jvm-spawn/ (removed after).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TMP = path.join(ROOT, "bench/tmp/jvm-spawn");
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const OBJECTS = Number(arg("objects", "1650000"));
const RUNS = Number(arg("runs", "15"));
const CONDITIONS = arg("conditions", "quiet,busy").split(",");

const { JvmSource } = await import(pathToFileURL(path.join(ROOT, "dist/runtimes/jvm/source.js")).href);
const { runTool } = await import(pathToFileURL(path.join(ROOT, "dist/runtime-kit/run-tool.js")).href);
const { pino } = await import("pino");

mkdirSync(TMP, { recursive: true });
const work = mkdtempSync(path.join(TMP, "run-"));
writeFileSync(
  path.join(work, "Big.java"),
  `import java.util.*;
public class Big {
  static final class Item { final long id; Item(long i) { id = i; } }
  static final List<Object> KEPT = new ArrayList<>();
  public static void main(String[] a) throws Exception {
    int n = Integer.parseInt(a[0]);
    for (int i = 0; i < n; i++) KEPT.add(i % 3 == 0 ? new Item(i) : i % 3 == 1 ? new int[i % 4] : "s" + i);
    System.out.println("ready");
    Thread.sleep(3_600_000);
  }
}
`,
);
execFileSync("javac", ["-d", work, path.join(work, "Big.java")]);
// Items, arrays and strings (a String is two objects): about the asked number of objects in all.
const target = spawn("java", ["-XX:+UseSerialGC", "-Xmx2g", "-cp", work, "Big", String(Math.round(OBJECTS / 1.33))], { stdio: ["ignore", "pipe", "inherit"] });
await new Promise((resolve, reject) => {
  target.stdout.on("data", (d) => String(d).includes("ready") && resolve());
  target.once("exit", () => reject(new Error("target exited")));
});
const pid = target.pid;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const source = new JvmSource();
const logger = pino({ level: "silent" });
const privateDir = mkdtempSync(path.join(work, "priv-"));

async function bare() {
  const t = performance.now();
  const r = spawnSync("jcmd", [String(pid), "GC.class_histogram"], { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`jcmd: ${r.stderr}`);
  return performance.now() - t;
}
async function tool() {
  const t = performance.now();
  let bytes = 0;
  const r = await runTool("jcmd", [String(pid), "GC.class_histogram"], { signal: new AbortController().signal, onStdout: (c) => (bytes += c.length) });
  if (r.exitCode !== 0 || bytes === 0) throw new Error(`jcmd: ${r.stderr}`);
  return performance.now() - t;
}
let objects = 0;
async function dump() {
  const t = performance.now();
  const body = await source.dump({ pid, command: "java Big", signal: new AbortController().signal, privateDir, logger, disposeRaw: async () => {} });
  objects = body.totalObjects;
  return performance.now() - t;
}

const busy = [];
const results = [];
try {
  for (const condition of CONDITIONS) {
    if (condition === "busy") for (let i = 0; i < 2; i++) busy.push(spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }));
    const times = { bare: [], tool: [], dump: [] };
    await bare(); // warm-up: the first attach opens the target's attach listener
    for (let i = 0; i < RUNS; i++) {
      // Interleaved, each round in a rotated order so that no mode always follows another.
      const order = [
        ["bare", bare],
        ["tool", tool],
        ["dump", dump],
      ];
      for (let k = 0; k < i % 3; k++) order.push(order.shift());
      for (const [name, fn] of order) times[name].push(await fn());
    }
    for (const b of busy.splice(0)) b.kill("SIGKILL");
    const row = {
      condition,
      objects,
      bare: median(times.bare),
      tool: median(times.tool),
      dump: median(times.dump),
    };
    row.toolRatio = row.tool / row.bare;
    row.dumpRatio = row.dump / row.bare;
    results.push(row);
    console.log(
      `${condition}: ${objects} objects, median of ${RUNS}: bare jcmd ${row.bare.toFixed(0)} ms, runTool(jcmd) ${row.tool.toFixed(0)} ms (${row.toolRatio.toFixed(2)}×), JvmSource.dump ${row.dump.toFixed(0)} ms (${row.dumpRatio.toFixed(2)}×)`,
    );
  }
} finally {
  for (const b of busy) b.kill("SIGKILL");
  target.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
}
console.log(JSON.stringify({ node: process.version, cpus: os.cpus().length, runs: RUNS, results }));
