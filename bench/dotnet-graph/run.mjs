#!/usr/bin/env node
// Benchmark of the .NET heap graph and the retention analysis on it: a 10 M-object heap (the BigHeap target of
// bench/dotnet: N objects, 60 % Outer+Inner, 40 % Other+Inner each referring to an Outer+Inner, in arrays of 2^20)
// dumped by leakwatch's native dotnet source with the graph (built in the spool worker) and analysed as the daemon
// does (analyseRetention, with BigHeap's two element types as suspects), each run in a process of its own
// (graph-once.mjs) so that its peak RSS is leakwatch's alone; against dotnet-gcdump `collect`, which builds the same
// kind of graph (its .gcdump file is the object graph), on the same target, runs interleaved.
//
// Usage (from the repository root; builds the C# target, needs the .NET SDK):
//   npm run build && node bench/dotnet-graph/run.mjs [--size 10000000] [--runs 3] [--gcdump PATH] [--results FILE]
// Goals (issue 14): analysis (graph build + retention analysis) ≤ 5 s, leakwatch's peak RSS ≤ 400 MB.
import { execFile, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TMP = path.join(ROOT, "bench/tmp/dotnet-graph");
const SRC = path.join(ROOT, "test/fixtures/dotnet/bigheap");
const ENV = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1" };
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const SIZE = Number(arg("size", "10000000"));
const RUNS = Number(arg("runs", "3"));
const RESULTS = arg("results", path.join(ROOT, "bench/dotnet-graph/RESULTS.md"));

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
    {
      env: ENV,
      stdio: "inherit",
    },
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

const run = (file, args) =>
  new Promise((resolve) =>
    execFile(file, args, { env: ENV, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => resolve({ err, stdout, stderr })),
  );

async function leakwatch(pid) {
  const t0 = performance.now();
  const { stdout, stderr } = await run(process.execPath, [path.join(ROOT, "bench/dotnet-graph/graph-once.mjs"), String(pid), TMP]);
  const last = stdout.trim().split("\n").at(-1);
  if (!last) return { ok: false, error: stderr.slice(-500), wall: performance.now() - t0 };
  return { ...JSON.parse(last), wall: performance.now() - t0 };
}

async function gcdump(tool, pid) {
  const dir = mkdtempSync(path.join(TMP, "gcdump-"));
  const file = path.join(dir, "x.gcdump");
  const t0 = performance.now();
  const collect = spawn(tool, ["collect", "-p", String(pid), "-o", file], { env: ENV, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  collect.stdout.on("data", (d) => (out += d));
  collect.stderr.on("data", (d) => (out += d));
  let peakKiB = 0;
  // The collect process's peak RSS, from its /proc status while it runs (/usr/bin/time is not everywhere).
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${collect.pid}/status`, "utf8"));
      if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
    } catch {}
  }, 50);
  const code = await new Promise((r) => collect.on("exit", r));
  clearInterval(poll);
  const wall = performance.now() - t0;
  rmSync(dir, { recursive: true, force: true });
  return { ok: code === 0, wall, maxRssMB: peakKiB / 1024, error: code === 0 ? undefined : out.trim().slice(-300) };
}

const median = (xs) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
const max = (xs) => (xs.length === 0 ? NaN : Math.max(...xs));
const s = (ms) => (ms / 1000).toFixed(2);

mkdirSync(TMP, { recursive: true });
const { dll, sdk } = build();
const tool = findGcdump();
const toolVersion = tool ? execFileSync(tool, ["--version"], { encoding: "utf8", env: ENV }).trim() : "absent";
const outer = Math.round(SIZE * 0.6);
const target = spawn("dotnet", [dll, String(outer), String(SIZE - outer), "1000", "1"], { env: ENV, stdio: ["pipe", "pipe", "inherit"] });
process.on("exit", () => target.kill("SIGKILL"));
await new Promise((resolve) => {
  let buf = "";
  target.stdout.setEncoding("utf8");
  target.stdout.on("data", (d) => {
    buf += d;
    if (/^ready pid=/m.test(buf)) resolve();
  });
});

const lw = [];
const gc = [];
for (let i = 0; i < RUNS; i++) {
  const a = await leakwatch(target.pid);
  console.error(`leakwatch #${i + 1}: ${JSON.stringify(a)}`);
  lw.push(a);
  if (tool) {
    const g = await gcdump(tool, target.pid);
    console.error(`dotnet-gcdump #${i + 1}: ${JSON.stringify(g)}`);
    gc.push(g);
  }
}
target.stdin.end("quit\n");

const ok = lw.filter((r) => r.ok);
const gok = gc.filter((r) => r.ok);
const row = (name, f) => `| ${name} | ${ok.length ? f(ok) : "—"} |`;
const lines = [
  "# .NET heap graph and retention analysis at 10 M objects",
  "",
  "Command (from the repository root):",
  "",
  "```",
  `npm run build && node bench/dotnet-graph/run.mjs --size ${SIZE} --runs ${RUNS}`,
  "```",
  "",
  `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), shared with other work; .NET SDK ${sdk}, Node ${process.version}, dotnet-gcdump ${toolVersion}. Target: BigHeap ${outer} ${SIZE - outer} 1000 1 (test/fixtures/dotnet/bigheap). ${RUNS} runs of each tool, interleaved (leakwatch, dotnet-gcdump, leakwatch, …) on one target.`,
  "",
  `leakwatch: ${ok.length}/${lw.length} dumps with a graph; ${ok[0] ? `${ok[0].objects} objects, ${ok[0].references} references, ${ok[0].roots} roots; largest retainer ${ok[0].topType}; leaks: ${ok[0].leaks.join("; ")}; the first one's path: ${ok[0].path.join(" / ")}` : lw.map((r) => r.error).join("; ")}`,
  "",
  "| leakwatch, per run (median / max) | |",
  "|---|---|",
  row("dump with graph, wall (s)", (r) => `${s(median(r.map((x) => x.dumpMs)))} / ${s(max(r.map((x) => x.dumpMs)))}`),
  row("graph build after decoding (s)", (r) => `${s(median(r.map((x) => x.buildMs)))} / ${s(max(r.map((x) => x.buildMs)))}`),
  row(
    "retention analysis as the daemon runs it: dominators, tree, per type, leaks, paths (s)",
    (r) => `${s(median(r.map((x) => x.retentionMs)))} / ${s(max(r.map((x) => x.retentionMs)))}`,
  ),
  row("**analysis: build + retention analysis (s)** (goal ≤ 5)", (r) => `${s(median(r.map((x) => x.analysisMs)))} / ${s(max(r.map((x) => x.analysisMs)))}`),
  row("peak RSS of the dump with the graph (MB)", (r) => `${median(r.map((x) => x.peakDumpMB)).toFixed(0)} / ${max(r.map((x) => x.peakDumpMB)).toFixed(0)}`),
  row("RSS after the dump, graph held (MB)", (r) => `${median(r.map((x) => x.rssAfterDumpMB)).toFixed(0)} / ${max(r.map((x) => x.rssAfterDumpMB)).toFixed(0)}`),
  row("peak RSS of the analysis alone (MB)", (r) => `${median(r.map((x) => x.peakAnalysisMB)).toFixed(0)} / ${max(r.map((x) => x.peakAnalysisMB)).toFixed(0)}`),
  row("**peak RSS (MB)** (goal ≤ 400)", (r) => `${median(r.map((x) => x.maxRssMB)).toFixed(0)} / ${max(r.map((x) => x.maxRssMB)).toFixed(0)}`),
  "",
  "| vs dotnet-gcdump collect (its graph, written to a .gcdump) | leakwatch (dump + graph + analysis) | dotnet-gcdump | ratio |",
  "|---|---|---|---|",
  `| wall, median (s) | ${s(median(ok.map((x) => x.wall)))} | ${gok.length ? s(median(gok.map((x) => x.wall))) : "—"} | ${gok.length ? (median(ok.map((x) => x.wall)) / median(gok.map((x) => x.wall))).toFixed(2) : "—"}× |`,
  `| peak RSS, max (MB) | ${max(ok.map((x) => x.maxRssMB)).toFixed(0)} | ${gok.length ? max(gok.map((x) => x.maxRssMB)).toFixed(0) : "—"} | ${gok.length ? (max(ok.map((x) => x.maxRssMB)) / max(gok.map((x) => x.maxRssMB))).toFixed(2) : "—"}× |`,
  "",
];
writeFileSync(RESULTS, `${lines.join("\n")}\n`);
console.log(lines.join("\n"));
process.exit(0);
