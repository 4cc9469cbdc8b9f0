#!/usr/bin/env node
// One heap dump of a .NET process by leakwatch's native dotnet source, in a process of its own so that its peak RSS
// is leakwatch's alone. Prints one JSON line: wall time, peak RSS, the summary's totals, rows and notes, or the error.
//   node bench/dotnet/dump-once.mjs PID [PRIVATE_DIR]
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { DotnetEventPipeSource } = await import(pathToFileURL(path.join(ROOT, "dist/runtimes/dotnet/eventpipe-source.js")).href);
const pid = Number(process.argv[2]);
const dir = mkdtempSync(path.join(process.argv[3] ?? os.tmpdir(), "lw-bench-"));
const quiet = { info() {}, warn() {}, debug() {}, error() {} };
const t0 = performance.now();
let out;
try {
  const body = await new DotnetEventPipeSource({ keepRaw: false }).dump({
    pid,
    command: "",
    signal: AbortSignal.timeout(600_000),
    privateDir: dir,
    disposeRaw: async () => {},
    logger: { ...quiet, child: () => quiet },
  });
  out = { ok: true, ms: performance.now() - t0, objects: body.totalObjects, rows: body.types.map((r) => [r.type, r.count]), notes: body.notes };
} catch (err) {
  out = { ok: false, ms: performance.now() - t0, reason: err.reason, error: err.message };
}
rmSync(dir, { recursive: true, force: true });
out.maxRssMB = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify(out));
