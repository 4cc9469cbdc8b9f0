#!/usr/bin/env node
// Benchmark of the native dotnet heap source (diagnostic IPC + EventPipe, in leakwatch's own process) against
// dotnet-gcdump (`collect`, then `report` for the per-type table) on large heaps of known counts
// (test/fixtures/dotnet/bigheap: N objects, 60 % Outer+Inner and 40 % Other+Inner, each of those referring to an
// Outer+Inner), quiet and with two busy loops loading both cores. Runs are interleaved (leakwatch, gcdump,
// leakwatch, …) on one target per size and condition.
//
// Per dump: wall time; the target's longest stall (the longest gap a 1 ms ticker thread in the target saw during the
// dump: the induced GC's pause plus scheduling delays); leakwatch's peak RSS (each leakwatch dump runs in a process of
// its own, bench/dotnet/dump-once.mjs, so the figure is leakwatch's alone; gcdump's is its collect process's); and the
// objects of the program's types counted against the program's own count.
//
// Usage (from the repository root; builds the C# target itself, needs the .NET SDK):
//   npm run build && node bench/dotnet/run.mjs [--sizes 1000000,5000000,10000000,20000000] [--runs 3]
//     [--conditions quiet,busy] [--success 20 --success-size 10000000] [--gcdump PATH] [--results FILE]
//
// --success N adds N more leakwatch-only dumps at --success-size with both cores busy, for the success rate.
// dotnet-gcdump is looked up in PATH and ~/.dotnet/tools unless --gcdump is given. Temporary files: bench/tmp/dotnet/.
import { execFile, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TMP = path.join(ROOT, "bench/tmp/dotnet");
const SRC = path.join(ROOT, "test/fixtures/dotnet/bigheap");
const ENV = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1" };

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}
const RUNS = Number(arg("runs", "3"));
const SIZES = arg("sizes", "1000000,5000000,10000000,20000000").split(",").map(Number);
const CONDITIONS = arg("conditions", "quiet,busy").split(",");
const SUCCESS = Number(arg("success", "0"));
const SUCCESS_SIZE = Number(arg("success-size", "10000000"));
const RESULTS = arg("results", path.join(ROOT, "bench/dotnet/RESULTS.md"));

const { parseText } = await import(pathToFileURL(path.join(ROOT, "dist/runtimes/index.js")).href);

function build() {
  const sdk = execFileSync("dotnet", ["--version"], { encoding: "utf8", env: ENV }).trim();
  const h = createHash("sha256").update(sdk);
  for (const f of readdirSync(SRC).sort()) if (/\.(cs|csproj)$/.test(f)) h.update(f).update(readFileSync(path.join(SRC, f)));
  const out = path.join(TMP, `bigheap-${h.digest("hex").slice(0, 16)}`);
  const dll = path.join(out, "BigHeap.dll");
  if (existsSync(dll)) return { dll, sdk };
  const work = mkdtempSync(path.join(os.tmpdir(), "lw-bench-build-"));
  cpSync(SRC, work, { recursive: true, filter: (s) => !/[\\/](bin|obj)$/.test(s) });
  execFileSync(
    "dotnet",
    ["build", path.join(work, "BigHeap.csproj"), "-c", "Release", "-o", out, "-nologo", "-v", "q", "-nodeReuse:false", "-p:UseSharedCompilation=false"],
    { env: ENV, stdio: "inherit" },
  );
  rmSync(work, { recursive: true, force: true });
  return { dll, sdk };
}

function findGcdump() {
  const given = arg("gcdump", undefined);
  const dirs = [...(process.env.PATH ?? "").split(":"), path.join(os.homedir(), ".dotnet/tools")];
  for (const c of given ? [given] : dirs.map((d) => path.join(d, "dotnet-gcdump"))) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {}
  }
  return undefined;
}

class Target {
  constructor(dll, n) {
    this.outer = Math.round(n * 0.6);
    this.other = n - this.outer;
    this.proc = spawn("dotnet", [dll, String(this.outer), String(this.other), "1000", "1", "stall"], { env: ENV, stdio: ["pipe", "pipe", "inherit"] });
    this.lines = [];
    this.waiters = [];
    let buf = "";
    this.proc.stdout.setEncoding("utf8");
    this.proc.stdout.on("data", (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        this.lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }
  async line(re, from = 0) {
    for (;;) {
      for (let i = from; i < this.lines.length; i++) if (re.test(this.lines[i])) return this.lines[i];
      await new Promise((r) => this.waiters.push(r));
    }
  }
  /** The longest stall since the last call (ms). */
  async stall() {
    const from = this.lines.length;
    this.proc.stdin.write("stall\n");
    return Number(/stall_ms=([\d.]+)/.exec(await this.line(/^stall_ms=/, from))[1]);
  }
  kill() {
    this.proc.kill("SIGKILL");
  }
}

const run = (file, args) =>
  new Promise((resolve) => {
    execFile(file, args, { env: ENV, maxBuffer: 512 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => resolve({ err, stdout, stderr }));
  });

/** Objects of the program's own types (Outer+Inner and Other+Inner, under today's names or SOS's) in a table. */
const innerCount = (rows) => rows.filter(([t]) => /(^|[.+])Inner$/.test(t)).reduce((s, [, c]) => s + c, 0);

async function leakwatchDump(pid) {
  const t0 = performance.now();
  const { stdout } = await run(process.execPath, [path.join(ROOT, "bench/dotnet/dump-once.mjs"), String(pid), TMP]);
  const wall = performance.now() - t0;
  const r = JSON.parse(stdout.trim().split("\n").at(-1));
  return {
    ok: r.ok,
    ms: r.ms,
    wall,
    rssMB: r.maxRssMB,
    objects: r.ok ? innerCount(r.rows) : 0,
    error: r.ok ? undefined : `${r.reason}: ${r.error}`,
    notes: r.notes,
  };
}

async function gcdumpDump(tool, pid) {
  const dir = mkdtempSync(path.join(TMP, "gcdump-"));
  const file = path.join(dir, "x.gcdump");
  const t0 = performance.now();
  // /usr/bin/time is not everywhere: the collect process's peak RSS is read from its /proc status while it runs.
  const collect = spawn(tool, ["collect", "-p", String(pid), "-o", file], { env: ENV, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  collect.stdout.on("data", (d) => (out += d));
  collect.stderr.on("data", (d) => (out += d));
  let peakKiB = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${collect.pid}/status`, "utf8"));
      if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
    } catch {}
  }, 50);
  const code = await new Promise((r) => collect.on("exit", r));
  clearInterval(poll);
  const collectMs = performance.now() - t0;
  let objects = 0;
  let error;
  if (code === 0 && existsSync(file)) {
    const rep = await run(tool, ["report", file]);
    if (rep.err) error = rep.stderr.trim() || String(rep.err);
    else objects = innerCount(parseText(rep.stdout, "gcdump-report").types.map((t) => [t.type, t.count]));
  } else error = `collect exited ${code}: ${out.trim().slice(-300)}`;
  const ms = performance.now() - t0;
  rmSync(dir, { recursive: true, force: true });
  return { ok: error === undefined, ms, collectMs, rssMB: peakKiB / 1024, objects, error };
}

function startBusy() {
  return [0, 1].map(() => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
}

const median = (xs) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
const max = (xs) => (xs.length === 0 ? NaN : Math.max(...xs));

mkdirSync(TMP, { recursive: true });
const { dll, sdk } = build();
const gcdump = findGcdump();
const gcdumpVersion = gcdump ? execFileSync(gcdump, ["--version"], { encoding: "utf8", env: ENV }).trim() : undefined;
const live = new Set();
process.on("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

async function measure(size, condition, runs, withGcdump) {
  const busy = condition === "busy" ? startBusy() : [];
  for (const b of busy) live.add(b);
  const target = new Target(dll, size);
  live.add(target.proc);
  try {
    await target.line(/^ready/);
    const expected = target.outer + target.other;
    const lw = [];
    const gc = [];
    for (let i = 0; i < runs; i++) {
      await target.stall();
      const a = await leakwatchDump(target.proc.pid);
      a.stallMs = await target.stall();
      lw.push(a);
      if (withGcdump && gcdump) {
        const g = await gcdumpDump(gcdump, target.proc.pid);
        g.stallMs = await target.stall();
        gc.push(g);
      }
      console.log(JSON.stringify({ size, condition, i, lw: { ...a, notes: undefined }, gcdump: gc.at(-1) }));
    }
    return { size, condition, expected, lw, gc };
  } finally {
    target.kill();
    live.delete(target.proc);
    for (const b of busy) {
      b.kill("SIGKILL");
      live.delete(b);
    }
  }
}

const results = [];
for (const condition of CONDITIONS) for (const size of SIZES) results.push(await measure(size, condition, RUNS, true));
let success;
if (SUCCESS > 0) success = await measure(SUCCESS_SIZE, "busy", SUCCESS, false);

const okRuns = (xs, expected) => xs.filter((x) => x.ok && x.objects === expected);
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "–");
const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const lines = [
  "<!-- results:start -->",
  `Run ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${cpu}, Node ${process.version}, .NET SDK ${sdk}; ${RUNS} interleaved dumps per size and condition${gcdump ? `; dotnet-gcdump ${gcdumpVersion}` : "; dotnet-gcdump not installed"}.`,
  `Load average when it ended: ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(", ")} (the machine is shared: "quiet" means no busy loops of the benchmark's own).`,
  "",
  "| objects | cores | tool | complete and exact | wall median (s) | wall max (s) | vs gcdump collect+report | target's longest stall, median (ms) | peak RSS max (MB) | program's objects counted |",
  "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
];
for (const r of results) {
  const lwOk = okRuns(r.lw, r.expected);
  const gcOk = okRuns(r.gc, r.expected);
  const gcWall = median(r.gc.map((g) => g.ms));
  const counted = (xs) => [...new Set(xs.map((x) => x.objects))].join(" / ");
  lines.push(
    `| ${r.size} | ${r.condition} | leakwatch | ${lwOk.length}/${r.lw.length} | ${fmt(median(r.lw.map((x) => x.ms)) / 1000)} | ${fmt(max(r.lw.map((x) => x.ms)) / 1000)} | ${gcdump ? `${fmt(median(r.lw.map((x) => x.ms)) / gcWall, 2)}×` : "–"} | ${fmt(median(r.lw.map((x) => x.stallMs)), 0)} | ${fmt(max(r.lw.map((x) => x.rssMB)), 0)} | ${counted(r.lw)} of ${r.expected} |`,
  );
  if (r.gc.length > 0) {
    lines.push(
      `| ${r.size} | ${r.condition} | dotnet-gcdump | ${gcOk.length}/${r.gc.length} | ${fmt(gcWall / 1000)} (collect ${fmt(median(r.gc.map((g) => g.collectMs)) / 1000)}) | ${fmt(max(r.gc.map((x) => x.ms)) / 1000)} | 1× | ${fmt(median(r.gc.map((x) => x.stallMs)), 0)} | ${fmt(max(r.gc.map((x) => x.rssMB)), 0)} | ${counted(r.gc)} of ${r.expected} |`,
    );
  }
}
if (success) {
  const ok = okRuns(success.lw, success.expected).length;
  lines.push(
    "",
    `Success rate with both cores busy: ${ok} of ${success.lw.length} leakwatch dumps of ${success.size} objects complete and exact (wall median ${fmt(median(success.lw.map((x) => x.ms)) / 1000)} s, max ${fmt(max(success.lw.map((x) => x.ms)) / 1000)} s).`,
  );
  const failures = success.lw.filter((x) => !x.ok).map((x) => x.error);
  if (failures.length > 0) lines.push(`Failures: ${[...new Set(failures)].join("; ")}`);
}
const errors = results.flatMap((r) => [...r.lw, ...r.gc].filter((x) => !x.ok).map((x) => x.error));
if (errors.length > 0) lines.push("", `Errors seen: ${[...new Set(errors)].join("; ")}`);
lines.push("<!-- results:end -->");
let text = existsSync(RESULTS) ? readFileSync(RESULTS, "utf8") : "";
const block = lines.join("\n");
if (/<!-- results:start -->[\s\S]*<!-- results:end -->/.test(text)) text = text.replace(/<!-- results:start -->[\s\S]*<!-- results:end -->/, block);
else text = `${text}${text ? "\n" : ""}${block}\n`;
writeFileSync(RESULTS, text);
console.log(`results written to ${path.relative(ROOT, RESULTS)}`);
