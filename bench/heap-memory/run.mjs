#!/usr/bin/env node
// Benchmark of leakwatch's memory and /metrics latency with a target of 100 k heap types: a daemon whose heap
// source is a command printing a 100 k-row plain histogram with slowly changing counts (test/fixtures/programs/
// many-types.js), dumping at a short interval until it has stored 50 dumps. Measured: the exporter's RSS over the
// dumps, /metrics latency (p50/p99/max) with no API traffic in the first half and with concurrent
// `GET …/suspects?all=1` callers in the second half, the API calls' latency and size, and CPU per dump. The same
// run measures the previous behaviour: the base commit (default e26b73b) is checked out with `git worktree add`
// into bench/tmp/, built there, and the runs alternate between the two; the results give new/base ratios.
//
// Usage (from the repository root; the script builds this checkout's dist/ only if it is missing):
//   npm run build && node bench/heap-memory/run.mjs [options]
//
// Options:
//   --types N           types per dump (default 100000)
//   --dumps N           successful dumps per run (default 50)
//   --interval D        --dump-every of the daemon (default 2s); a dump and its analysis take longer at 100 k types,
//                       so in practice dumps follow each other as fast as the daemon takes them
//   --window N          --verdict-window (default 12)
//   --api-clients N     concurrent suspects?all=1 callers in the second half (default 4); each waits 0.5 s between calls
//   --rounds N          pairs of runs (default 1); round 1 runs base then new, round 2 new then base, …
//   --base REV          the previous behaviour (default e26b73b)
//   --no-base           measure this checkout only
//   --max-minutes M     stop a run that has not reached --dumps after M minutes (default 30; the base needs long)
//   --results FILE      where to write the results (default bench/heap-memory/RESULTS.md; only the part between the
//                       results markers is replaced)
//
// Everything this script starts (the idle target, the daemons, their heap commands) is stopped on exit, on
// SIGINT/SIGTERM and on errors; the base worktree is removed at the end. Temporary files go to bench/tmp/.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TMP = path.join(ROOT, "bench/tmp/heap-memory");
const GENERATOR = path.join(ROOT, "test/fixtures/programs/many-types.js");
const IDLE = path.join(ROOT, "test/fixtures/programs/idle.js");

function parseArgs(argv) {
  const o = {
    types: 100_000,
    dumps: 50,
    interval: "2s",
    window: 12,
    apiClients: 4,
    rounds: 1,
    base: "e26b73b",
    maxMinutes: 30,
    results: path.join(ROOT, "bench/heap-memory/RESULTS.md"),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i] ?? usage(`${a} expects a value`);
    const num = () => {
      const v = Number(next());
      if (!Number.isFinite(v) || v < 0) usage(`${a} expects a number`);
      return v;
    };
    if (a === "--types") o.types = Math.max(1, Math.floor(num()));
    else if (a === "--dumps") o.dumps = Math.max(2, Math.floor(num()));
    else if (a === "--interval") o.interval = next();
    else if (a === "--window") o.window = Math.max(3, Math.floor(num()));
    else if (a === "--api-clients") o.apiClients = Math.floor(num());
    else if (a === "--rounds") o.rounds = Math.max(1, Math.floor(num()));
    else if (a === "--base") o.base = next();
    else if (a === "--no-base") o.base = null;
    else if (a === "--max-minutes") o.maxMinutes = num();
    else if (a === "--results") o.results = path.resolve(next());
    else if (a === "-h" || a === "--help") usage();
    else usage(`unknown option ${a}`);
  }
  return o;
}

function usage(err) {
  const text = readFileSync(fileURLToPath(import.meta.url), "utf8")
    .split("\n")
    .filter((l) => l.startsWith("//"))
    .map((l) => l.replace(/^\/\/ ?/, ""))
    .join("\n");
  if (err) {
    process.stderr.write(`run.mjs: ${err}\n`);
    process.exit(2);
  }
  process.stdout.write(`${text}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------------- processes
const started = [];

function start(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ["ignore", "ignore", opts.stderr ?? "ignore"], detached: opts.detached ?? false });
  child.exitedP = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
  child.once("error", (err) => process.stderr.write(`cannot start ${cmd}: ${err.message}\n`));
  started.push(child);
  return child;
}

const alive = (c) => c.exitCode === null && c.signalCode === null && c.pid !== undefined;

async function stop(c) {
  if (!alive(c)) return;
  c.kill("SIGTERM");
  await Promise.race([c.exitedP, sleep(10_000)]);
  if (alive(c)) c.kill("SIGKILL");
  await Promise.race([c.exitedP, sleep(2000)]);
}

let worktree;
function removeWorktree() {
  if (!worktree) return;
  try {
    execFileSync("git", ["-C", ROOT, "worktree", "remove", "--force", worktree], { stdio: "ignore" });
  } catch {
    rmSync(worktree, { recursive: true, force: true });
    execFileSync("git", ["-C", ROOT, "worktree", "prune"], { stdio: "ignore" });
  }
  worktree = undefined;
}

process.on("exit", () => {
  for (const c of started)
    if (alive(c))
      try {
        c.kill("SIGKILL");
      } catch {
        /* already gone */
      }
  removeWorktree();
});
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    process.stderr.write(`\n${sig}: stopping everything this benchmark started…\n`);
    Promise.all(started.map(stop)).finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------------- /proc, HTTP
const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function cpuSeconds(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

function rssMb(pid) {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** One GET to the last byte: status, size, milliseconds, body (unless `discard`), headers. */
function get(agent, port, pathname, { timeoutMs = 120_000, discard = false } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.get({ host: "127.0.0.1", port, path: pathname, agent, timeout: timeoutMs }, (res) => {
      const chunks = [];
      let bytes = 0;
      res.on("data", (c) => {
        bytes += c.length;
        if (!discard) chunks.push(c);
      });
      res.on("end", () =>
        resolve({
          status: res.statusCode,
          bytes,
          ms: performance.now() - t0,
          body: discard ? "" : Buffer.concat(chunks).toString("utf8"),
          headers: res.headers,
        }),
      );
      res.on("error", (err) => resolve({ status: 0, bytes, ms: performance.now() - t0, error: err.message }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (err) => resolve({ status: 0, bytes: 0, ms: performance.now() - t0, error: err.message }));
  });
}

const quantile = (values, q) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] : NaN;
};

/** Least-squares slope of y against x. */
function slope(points) {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx > 0 ? sxy / sxx : NaN;
}

// ---------------------------------------------------------------------------------------------------- builds
function git(...args) {
  return execFileSync("git", ["-C", ROOT, ...args], { encoding: "utf8" }).trim();
}

/** The base commit checked out and built in bench/tmp/, with this checkout's node_modules. */
function buildBase(rev) {
  const sha = git("rev-parse", "--short", `${rev}^{commit}`);
  worktree = path.join(TMP, `base-${sha}`);
  if (existsSync(worktree)) removeWorktree();
  worktree = path.join(TMP, `base-${sha}`);
  git("worktree", "add", "--detach", worktree, sha);
  const modules = path.join(ROOT, "node_modules");
  symlinkSync(realpathSync(modules), path.join(worktree, "node_modules"));
  process.stderr.write(`building the base ${sha} in ${worktree}…\n`);
  execFileSync(process.execPath, [path.join(modules, "typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: worktree, stdio: "inherit" });
  return { label: `base ${sha}`, root: worktree, sha };
}

function thisBuild() {
  if (!existsSync(path.join(ROOT, "dist/cli/main.js"))) {
    process.stderr.write("building this checkout…\n");
    execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
  }
  let sha = "working tree";
  try {
    sha = git("rev-parse", "--short", "HEAD") + (git("status", "--porcelain", "--untracked-files=no") ? "+changes" : "");
  } catch {
    // not a git checkout
  }
  return { label: `new ${sha}`, root: ROOT, sha };
}

// ---------------------------------------------------------------------------------------------------- one run
async function runOnce(build, o, target) {
  const dataDir = path.join(TMP, `data-${Date.now()}`);
  mkdirSync(dataDir, { recursive: true });
  const heapCommand = `${process.execPath} ${GENERATOR} ${o.types} 1000`;
  const args = [
    "--max-semi-space-size=2", // as bin/leakwatch.js's shebang runs it
    path.join(build.root, "bin/leakwatch.js"),
    "--pid",
    String(target.pid),
    "--name",
    "big",
    "--heap-source",
    "command",
    "--heap-command",
    heapCommand,
    "--dump-every",
    o.interval,
    "--dump-timeout",
    "5m",
    "--verdict-window",
    String(o.window),
    "--data-dir",
    dataDir,
    "--listen",
    "127.0.0.1:0",
    "--log-level",
    "info",
  ];
  const daemon = start(process.execPath, args, { stderr: "pipe" });
  let stderr = "";
  daemon.stderr.on("data", (b) => {
    if (stderr.length < 1e6) stderr += b.toString();
  });
  const t0 = Date.now();
  let port;
  while (!port) {
    if (!alive(daemon)) throw new Error(`${build.label}: leakwatch exited at start:\n${stderr.slice(-2000)}`);
    port = /"address":"127\.0\.0\.1:(\d+)"/.exec(stderr)?.[1];
    if (Date.now() - t0 > 30_000) throw new Error(`${build.label}: leakwatch did not listen:\n${stderr.slice(-2000)}`);
    await sleep(100);
  }
  const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const apiAgent = new http.Agent({ keepAlive: true, maxSockets: o.apiClients || 1 });
  const rss = []; // { t, dumps, mb }
  const metrics = { quiet: [], api: [] }; // ms
  const failures = { quiet: 0, api: 0 };
  const api = []; // { ms, bytes, status }
  let dumps = 0;
  let phase = "quiet";
  let stopApi = false;
  const half = Math.ceil(o.dumps / 2);
  const deadline = t0 + o.maxMinutes * 60_000;
  const clients = [];
  const apiClient = async () => {
    while (!stopApi && alive(daemon)) {
      const r = await get(apiAgent, port, "/api/v1/targets/big/suspects?all=1", { discard: true });
      api.push({ ms: r.ms, bytes: r.bytes, status: r.status });
      await sleep(500);
    }
  };
  const cpu0 = cpuSeconds(daemon.pid);
  while (alive(daemon) && dumps < o.dumps && Date.now() < deadline) {
    const r = await get(probeAgent, port, "/metrics");
    if (r.status === 200) {
      metrics[phase].push(r.ms);
      const m = /^leakwatch_heap_dumps_total\{target="big",result="success",reason=""\} (\d+)/m.exec(r.body);
      if (m) dumps = Number(m[1]);
    } else failures[phase]++;
    if (alive(daemon)) rss.push({ t: (Date.now() - t0) / 1000, dumps, mb: rssMb(daemon.pid) });
    if (phase === "quiet" && dumps >= half && o.apiClients > 0) {
      phase = "api";
      for (let i = 0; i < o.apiClients; i++) clients.push(apiClient());
    }
    await sleep(250);
  }
  stopApi = true;
  const seconds = (Date.now() - t0) / 1000;
  const cpu = alive(daemon) ? cpuSeconds(daemon.pid) - cpu0 : NaN;
  const crashed = !alive(daemon);
  await stop(daemon);
  await Promise.all(clients);
  probeAgent.destroy();
  apiAgent.destroy();
  rmSync(dataDir, { recursive: true, force: true });

  const at = (n) => rss.find((s) => s.dumps >= n)?.mb ?? NaN;
  const after = rss.filter((s) => s.dumps >= o.window && s.dumps < half);
  const stats = (xs) => ({ n: xs.length, p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: xs.length ? Math.max(...xs) : NaN });
  return {
    label: build.label,
    dumps,
    seconds,
    crashed,
    cpuPerDump: cpu / Math.max(1, dumps),
    rssAtWindow: at(o.window),
    rssAtHalf: at(half),
    rssEnd: rss.at(-1)?.mb ?? NaN,
    rssMaxQuiet: Math.max(...rss.filter((s) => s.dumps < half).map((s) => s.mb)),
    rssMax: Math.max(...rss.map((s) => s.mb)),
    // MB per dump between the window filling and the API phase: ~0 when memory is bounded.
    rssSlope: slope(after.map((s) => ({ x: s.dumps, y: s.mb }))),
    metricsQuiet: stats(metrics.quiet),
    metricsApi: stats(metrics.api),
    failures,
    api: {
      ...stats(api.map((a) => a.ms)),
      bytes: quantile(
        api.map((a) => a.bytes),
        0.5,
      ),
      errors: api.filter((a) => a.status !== 200).length,
    },
    rss,
  };
}

// ---------------------------------------------------------------------------------------------------- results
const f0 = (v) => (Number.isFinite(v) ? v.toFixed(0) : "—");
const f1 = (v) => (Number.isFinite(v) ? v.toFixed(1) : "—");
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "—");

function report(o, runs, startedAt) {
  const rows = runs.map(
    (r) =>
      `| ${r.label} | ${r.dumps}${r.dumps < o.dumps ? ` (stopped at ${o.maxMinutes} min)` : ""}${r.crashed ? " (exited)" : ""} | ${f0(r.seconds)} | ${f1(r.cpuPerDump)} | ` +
      `${f0(r.rssAtWindow)} / ${f0(r.rssAtHalf)} / ${f0(r.rssEnd)} | ${f0(r.rssMax)} | ${f1(r.rssSlope)} | ` +
      `${f0(r.metricsQuiet.p50)} / ${f0(r.metricsQuiet.p99)} / ${f0(r.metricsQuiet.max)} | ${f0(r.metricsApi.p50)} / ${f0(r.metricsApi.p99)} / ${f0(r.metricsApi.max)} | ` +
      `${r.api.n} × ${f0(r.api.p50)} ms, ${f1(r.api.bytes / 1e6)} MB |`,
  );
  const mean = (label, key) => {
    const xs = runs.filter((r) => r.label.startsWith(label)).map(key);
    return xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : NaN;
  };
  const ratios = o.base
    ? [
        "",
        "Ratios new / base (means over the runs):",
        "",
        "| RSS at the end | RSS max | RSS growth per dump after the window filled | /metrics p99 without API calls | /metrics p99 with API calls | suspects?all=1 latency | its size |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        `| ${ratio(
          mean("new", (r) => r.rssEnd),
          mean("base", (r) => r.rssEnd),
        )} | ${ratio(
          mean("new", (r) => r.rssMax),
          mean("base", (r) => r.rssMax),
        )} | ` +
          `${f1(mean("new", (r) => r.rssSlope))} vs ${f1(mean("base", (r) => r.rssSlope))} MB | ` +
          `${ratio(
            mean("new", (r) => r.metricsQuiet.p99),
            mean("base", (r) => r.metricsQuiet.p99),
          )} | ${ratio(
            mean("new", (r) => r.metricsApi.p99),
            mean("base", (r) => r.metricsApi.p99),
          )} | ` +
          `${ratio(
            mean("new", (r) => r.api.p50),
            mean("base", (r) => r.api.p50),
          )} | ${ratio(
            mean("new", (r) => r.api.bytes),
            mean("base", (r) => r.api.bytes),
          )} |`,
      ]
    : [];
  const load = os
    .loadavg()
    .map((v) => v.toFixed(1))
    .join(" ");
  return [
    `Run of ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC: ${o.types} types, ${o.dumps} dumps per run, --dump-every ${o.interval}, ` +
      `--verdict-window ${o.window}, ${o.apiClients} suspects?all=1 callers from dump ${Math.ceil(o.dumps / 2)} on, ${o.rounds} round(s); ` +
      `node ${process.version}, ${os.cpus().length} cores, load average at the end ${load}.`,
    "",
    "| build | dumps | seconds | CPU s per dump | RSS MB at window full / half / end | RSS max MB | RSS MB per dump (window full → half) | /metrics ms p50 / p99 / max, no API calls | /metrics ms p50 / p99 / max, with API calls | suspects?all=1 calls: median latency, size |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    ...ratios,
  ].join("\n");
}

function writeResults(file, text) {
  const begin = "<!-- results:begin -->";
  const end = "<!-- results:end -->";
  const old = existsSync(file) ? readFileSync(file, "utf8") : `${begin}\n${end}\n`;
  const i = old.indexOf(begin);
  const j = old.indexOf(end);
  const next = i >= 0 && j > i ? `${old.slice(0, i + begin.length)}\n${text}\n${old.slice(j)}` : `${old}\n${begin}\n${text}\n${end}\n`;
  writeFileSync(file, next);
}

// ---------------------------------------------------------------------------------------------------- main
async function main() {
  const o = parseArgs(process.argv.slice(2));
  mkdirSync(TMP, { recursive: true });
  const startedAt = new Date();
  const current = thisBuild();
  const base = o.base ? buildBase(o.base) : undefined;
  const target = start(process.execPath, [IDLE]);
  const runs = [];
  try {
    for (let round = 0; round < o.rounds; round++) {
      const order = !base ? [current] : round % 2 === 0 ? [base, current] : [current, base];
      for (const b of order) {
        process.stderr.write(`round ${round + 1}: ${b.label}…\n`);
        const r = await runOnce(b, o, target);
        process.stderr.write(
          `  ${r.dumps} dumps in ${f0(r.seconds)} s; RSS ${f0(r.rssAtWindow)} → ${f0(r.rssEnd)} MB (max ${f0(r.rssMax)}); ` +
            `/metrics p99 ${f0(r.metricsQuiet.p99)} ms quiet, ${f0(r.metricsApi.p99)} ms with API calls\n`,
        );
        runs.push(r);
      }
    }
  } finally {
    await stop(target);
    removeWorktree();
  }
  writeFileSync(path.join(TMP, "results.json"), JSON.stringify({ options: o, runs }, null, 1));
  const text = report(o, runs, startedAt);
  writeResults(o.results, text);
  process.stdout.write(`${text}\n`);
}

main().catch(async (err) => {
  process.stderr.write(`run.mjs: ${err.stack ?? err}\n`);
  await Promise.all(started.map(stop));
  removeWorktree();
  process.exit(1);
});
