#!/usr/bin/env node
// Benchmark of leakwatch's /metrics endpoint with 20 targets: scrape latency, and idle cost (RSS, CPU) at a 15 s
// scrape interval, measured in the same run against prometheus' process-exporter (Debian package
// prometheus-process-exporter) configured to watch the same 20 processes, one group per process.
//
// Usage (from the repository root; this script builds nothing itself):
//   npm run build && node bench/metrics/run.mjs [options]
//
// Options:
//   --requests N          sequential GET /metrics for the latency figures (default 2000)
//   --warmup N            requests before those, not measured (default 200)
//   --idle-seconds S      measured idle window (default 600: V8's old generation fills with promoted garbage for
//                         several minutes before its first full collection, so a shorter window judges RSS on the
//                         way up; and one clock tick is 0.01 s of CPU, a lot inside a short window)
//   --scrape-interval S   scrape interval during the idle window (default 15)
//   --settle-seconds S    pause between the latency burst and the idle window (default 10)
//   --no-competitor       skip process-exporter even when it is installed
//   --node-flags "…"      V8/Node flags for leakwatch's node (default: the flags of bin/leakwatch.js's shebang line,
//                         e.g. --max-semi-space-size=2, so the run measures what `npx leakwatch` runs; "" for none)
//   --cpu-prof            run leakwatch under `node --cpu-prof` (profiles land in bench/tmp/prof/)
//   --results FILE        where to write the results (default bench/metrics/RESULTS.md; only the part between the
//                         results markers is replaced, notes outside them are kept)
//
// The competitor: `apt-get install prometheus-process-exporter` (Debian bookworm has 0.7.10). If it is not
// installed, the run measures leakwatch alone and says so in the results.
//
// Everything this script starts (20 targets, leakwatch, process-exporter) is stopped on exit, on SIGINT/SIGTERM and
// on errors. Temporary files go to bench/tmp/ (ignored by git).
import { spawn, execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync, existsSync, openSync, closeSync, statSync, readdirSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TMP = path.join(ROOT, "bench/tmp");
const GOALS = { p99Ms: 10, rssMb: 80, cpuPct: 1 };
const N_TARGETS = 20;

// ---------------------------------------------------------------------------------------------------- options
function parseArgs(argv) {
  const o = {
    requests: 2000,
    warmup: 200,
    idleSeconds: 600,
    scrapeInterval: 15,
    settleSeconds: 10,
    competitor: true,
    cpuProf: false,
    nodeFlags: undefined,
    results: path.join(ROOT, "bench/metrics/RESULTS.md"),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) usage(`${a} expects a number`);
      return v;
    };
    if (a === "--requests") o.requests = Math.max(1, Math.floor(num()));
    else if (a === "--warmup") o.warmup = Math.floor(num());
    else if (a === "--idle-seconds") o.idleSeconds = num();
    else if (a === "--scrape-interval") o.scrapeInterval = Math.max(0.1, num());
    else if (a === "--settle-seconds") o.settleSeconds = num();
    else if (a === "--no-competitor") o.competitor = false;
    else if (a === "--node-flags") o.nodeFlags = (argv[++i] ?? usage("--node-flags expects a string")).split(/\s+/).filter(Boolean);
    else if (a === "--cpu-prof") o.cpuProf = true;
    else if (a === "--results") o.results = path.resolve(argv[++i] ?? usage("--results expects a file"));
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
  process.stdout.write(text + "\n");
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------------- processes
const started = []; // every child process we own, in start order

function start(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ["ignore", "ignore", opts.stderr ?? "ignore"], ...opts.spawn });
  child.exitedP = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
  child.once("error", (err) => process.stderr.write(`cannot start ${cmd}: ${err.message}\n`));
  started.push(child);
  return child;
}

const alive = (c) => c.exitCode === null && c.signalCode === null && c.pid !== undefined;

async function stopAll() {
  const live = started.filter(alive);
  for (const c of live) c.kill("SIGTERM");
  await Promise.race([Promise.all(live.map((c) => c.exitedP)), sleep(5000)]);
  for (const c of started.filter(alive)) c.kill("SIGKILL");
  await Promise.race([Promise.all(started.map((c) => c.exitedP)), sleep(2000)]);
}

// Last resort when the event loop is gone (process.exit from an error path): synchronous SIGKILL.
process.on("exit", () => {
  for (const c of started)
    if (alive(c))
      try {
        c.kill("SIGKILL");
      } catch {
        /* already gone */
      }
});
let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\n${sig}: stopping everything this benchmark started…\n`);
    stopAll().finally(() => process.exit(130));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------------- /proc
const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(f[14 - 3]) + Number(f[15 - 3])) / CLK_TCK;
}

/** VmRSS of a process, in bytes. */
function rssBytes(pid) {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Other runs of this benchmark (or of anything named like it) on the machine compete for its two cores. */
const othersSeen = new Set();
function noteOtherBenchmarks() {
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      if (/bench\/metrics\/run\.mjs/.test(cmd)) othersSeen.add(`${d}: ${cmd}`);
    } catch {
      // gone
    }
  }
}

// ---------------------------------------------------------------------------------------------------- HTTP
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(port, pathname, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: pathname, agent, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${pathname} timed out`)));
    req.on("error", reject);
  });
}

async function waitFor(port, pathname, child, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (!alive(child)) throw new Error(`${what} exited before answering ${pathname} (${last})`);
    try {
      const r = await get(port, pathname, 2000);
      if (r.status === 200) return r;
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = err.message;
    }
    await sleep(100);
  }
  throw new Error(`${what} did not answer ${pathname} within ${timeoutMs / 1000}s (${last})`);
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

/** prom-client's GC histogram (leakwatch only): { kind: { count, sum seconds } }. */
function gcStats(body) {
  const out = {};
  for (const m of body.matchAll(/^nodejs_gc_duration_seconds_(sum|count)\{kind="([^"]+)"\} (\S+)$/gm)) {
    out[m[2]] ??= { count: 0, sum: 0 };
    out[m[2]][m[1]] = Number(m[3]);
  }
  return out;
}

async function latency(ex, o) {
  let before = "";
  for (let i = 0; i < o.warmup; i++) before = (await get(ex.port, "/metrics")).body;
  const times = new Array(o.requests);
  const cpu0 = cpuSeconds(ex.pid);
  const t0 = performance.now();
  let body = "";
  for (let i = 0; i < o.requests; i++) {
    const s = performance.now();
    const r = await get(ex.port, "/metrics");
    times[i] = performance.now() - s;
    if (r.status !== 200) throw new Error(`${ex.name}: GET /metrics answered ${r.status}`);
    body = r.body;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(ex.pid) - cpu0;
  const gc0 = gcStats(before);
  const gc = Object.entries(gcStats(body)).map(([kind, v]) => ({
    kind,
    count: v.count - (gc0[kind]?.count ?? 0),
    ms: (v.sum - (gc0[kind]?.sum ?? 0)) * 1000,
  }));
  const over = (ms) => times.filter((t) => t > ms).length;
  const slow = { over10: over(10), over20: over(20) };
  times.sort((a, b) => a - b);
  return {
    gc,
    slow,
    n: o.requests,
    p50: quantile(times, 0.5),
    p90: quantile(times, 0.9),
    p99: quantile(times, 0.99),
    max: times[times.length - 1],
    mean: times.reduce((a, b) => a + b, 0) / times.length,
    cpuMsPerScrape: (cpu * 1000) / o.requests,
    throughput: o.requests / wall,
    bodyBytes: Buffer.byteLength(body),
    series: body.split("\n").filter((l) => l && !l.startsWith("#")).length,
    rssAfterBurst: rssBytes(ex.pid),
    lastBody: body,
  };
}

/** Both exporters scraped every interval over one window; CPU and RSS of each read from /proc. */
async function idle(exporters, o) {
  const st = new Map(exporters.map((e) => [e, { cpu0: cpuSeconds(e.pid), rss0: rssBytes(e.pid), rssMax: 0, scrapes: 0, errors: 0, trace: [], body: "" }]));
  const t0 = performance.now();
  const end = t0 + o.idleSeconds * 1000;
  let nextScrape = t0;
  const sample = () => {
    for (const e of exporters) {
      const s = st.get(e);
      s.rssMax = Math.max(s.rssMax, rssBytes(e.pid));
    }
  };
  let lastReport = 0;
  while (performance.now() < end) {
    if (performance.now() >= nextScrape) {
      noteOtherBenchmarks();
      for (const e of exporters) {
        const s = st.get(e);
        s.trace.push(rssBytes(e.pid));
        try {
          const r = await get(e.port, "/metrics");
          if (r.status === 200) {
            s.scrapes++;
            s.body = r.body;
          } else s.errors++;
        } catch {
          s.errors++;
        }
      }
      nextScrape += o.scrapeInterval * 1000;
    }
    sample();
    const elapsed = (performance.now() - t0) / 1000;
    if (elapsed - lastReport >= 30) {
      lastReport = elapsed;
      process.stderr.write(`  idle: ${Math.round(elapsed)}/${o.idleSeconds}s\n`);
    }
    await sleep(Math.max(0, Math.min(1000, end - performance.now(), nextScrape - performance.now())));
  }
  const seconds = (performance.now() - t0) / 1000;
  const out = new Map();
  for (const e of exporters) {
    const s = st.get(e);
    sample();
    const cpu = cpuSeconds(e.pid) - s.cpu0;
    out.set(e, {
      seconds,
      scrapes: s.scrapes,
      errors: s.errors,
      cpuSeconds: cpu,
      cpuPct: (cpu / seconds) * 100,
      rssStart: s.rss0,
      rssEnd: rssBytes(e.pid),
      rssMax: s.rssMax,
      rssTrace: s.trace,
      lastBody: s.body,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------- setup
function startTargets(tag) {
  // 20 targets: 14 `sleep` and 4 idle `node` processes watched by pid, plus one of each watched by --match.
  // Every command line carries a per-run tag so neither exporter can confuse them with anything else running.
  const targets = [];
  for (let i = 1; i <= N_TARGETS; i++) {
    const name = `t${String(i).padStart(2, "0")}`;
    const isNode = i >= 15 && i <= 18 ? true : i === 20;
    const byMatch = i >= 19;
    let child;
    let cmdRe;
    if (isNode) {
      const mark = `lwbench-${tag}-${name}`;
      child = start(process.execPath, ["-e", "setInterval(()=>{},1000)", mark]);
      cmdRe = `-e setInterval\\(\\(\\)=>\\{\\},1000\\) ${mark}$`;
    } else {
      // sleep's argument doubles as the tag: seconds = 9e6 + tag*100 + i (≈ 100+ days; killed at the end anyway).
      const secs = String(9_000_000 + tag * 100 + i);
      child = start("sleep", [secs]);
      cmdRe = `^sleep ${secs}$`;
    }
    targets.push({ name, kind: isNode ? "node" : "sleep", byMatch, child, cmdRe, comm: isNode ? "node" : "sleep" });
  }
  return targets;
}

function writeLeakwatchConfig(file, port, targets) {
  const lines = [`listen: 127.0.0.1:${port}`, "logLevel: warn", "targets:"];
  for (const t of targets) {
    lines.push(t.byMatch ? `  - { name: ${t.name}, match: ${JSON.stringify(t.cmdRe)} }` : `  - { name: ${t.name}, pid: ${t.child.pid} }`);
  }
  writeFileSync(file, lines.join("\n") + "\n");
}

function writeProcessExporterConfig(file, targets) {
  // One group per target, selected like leakwatch selects it: the process's comm plus its full command line.
  const lines = ["process_names:"];
  for (const t of targets) {
    lines.push(`  - name: ${t.name}`, `    comm: [${t.comm}]`, `    cmdline: [${JSON.stringify(t.cmdRe)}]`);
  }
  writeFileSync(file, lines.join("\n") + "\n");
}

function which(cmd) {
  for (const d of (process.env.PATH ?? "").split(":")) {
    const p = path.join(d || ".", cmd);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (err) {
    return String(err.stdout ?? "").trim() || String(err.stderr ?? "").trim();
  }
}

function shebangFlags(file) {
  const first = readFileSync(file, "utf8").split("\n", 1)[0];
  const m = /^#!.*?\bnode\b(.*)$/.exec(first);
  return m ? m[1].split(/\s+/).filter((a) => a.startsWith("-")) : [];
}

function peVersion(bin) {
  const v = sh(bin, ["-version"]);
  return /revision: ([^)\s]+)/.exec(v)?.[1] ?? /version (\S+)/.exec(v)?.[1] ?? v.split("\n")[0];
}

function machine() {
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? os.arch();
  return {
    nproc: Number(sh("nproc", [])) || os.availableParallelism(),
    cpuModel,
    memGiB: os.totalmem() / 1024 ** 3,
    kernel: os.release(),
    node: process.version,
    clkTck: CLK_TCK,
    loadavg: os.loadavg(),
    leakwatch: sh(process.execPath, [path.join(ROOT, "bin/leakwatch.js"), "--version"]),
    commit: sh("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]),
    srcChanges: sh("git", ["-C", ROOT, "status", "--porcelain", "--", "src"]).split("\n").filter(Boolean).length,
    distBuilt: (() => {
      try {
        return statSync(path.join(ROOT, "dist/cli/main.js")).mtime.toISOString();
      } catch {
        return "?";
      }
    })(),
    date: new Date().toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------------- report
const mb = (b) => b / 1024 ** 2;
const f = (x, d = 2) => (x === undefined || Number.isNaN(x) ? "—" : x.toFixed(d));
const ratio = (a, b) => (a === undefined || b === undefined || !b ? "—" : `${(a / b).toFixed(2)}×`);

function heapBreakdown(body) {
  const g = (name) => {
    const m = new RegExp(`^${name} (\\S+)`, "m").exec(body ?? "");
    return m ? Number(m[1]) : undefined;
  };
  const parts = [
    ["process_resident_memory_bytes", "RSS"],
    ["nodejs_heap_size_total_bytes", "V8 heap total"],
    ["nodejs_heap_size_used_bytes", "V8 heap used"],
    ["nodejs_external_memory_bytes", "external"],
  ]
    .map(([n, label]) => [label, g(n)])
    .filter(([, v]) => v !== undefined);
  return parts.length ? parts.map(([label, v]) => `${label} ${f(mb(v), 1)} MB`).join(", ") : undefined;
}

function collectorDurations(body) {
  const out = {};
  for (const m of body.matchAll(/^leakwatch_scrape_collector_duration_seconds\{collector="([^"]+)"\} (\S+)$/gm)) out[m[1]] = Number(m[2]) * 1000;
  return out;
}

function report(o, m, lw, pe, peNote) {
  const goals = [
    { goal: `p99 /metrics latency ≤ ${GOALS.p99Ms} ms`, value: `${f(lw.lat.p99)} ms`, pass: lw.lat.p99 <= GOALS.p99Ms },
    {
      goal: `idle RSS ≤ ${GOALS.rssMb} MB at the end of the ${Math.round(lw.idle.seconds)} s window`,
      value: `${f(mb(lw.idle.rssEnd), 1)} MB (max seen in the window ${f(mb(lw.idle.rssMax), 1)})`,
      pass: mb(lw.idle.rssEnd) <= GOALS.rssMb,
    },
    {
      goal: `idle CPU ≤ ${GOALS.cpuPct}% of one core at a ${o.scrapeInterval} s scrape`,
      value: `${f(lw.idle.cpuPct, 3)} %`,
      pass: lw.idle.cpuPct <= GOALS.cpuPct,
    },
  ];
  const col = (x) => (x === undefined ? "—" : x);
  const rows = [
    ["/metrics p50 (ms)", (e) => f(e?.lat.p50), (a, b) => ratio(a?.lat.p50, b?.lat.p50)],
    ["/metrics p90 (ms)", (e) => f(e?.lat.p90), (a, b) => ratio(a?.lat.p90, b?.lat.p90)],
    ["/metrics p99 (ms)", (e) => f(e?.lat.p99), (a, b) => ratio(a?.lat.p99, b?.lat.p99)],
    ["/metrics max (ms)", (e) => f(e?.lat.max), (a, b) => ratio(a?.lat.max, b?.lat.max)],
    ["/metrics mean (ms)", (e) => f(e?.lat.mean), (a, b) => ratio(a?.lat.mean, b?.lat.mean)],
    ["CPU per scrape, server side (ms)", (e) => f(e?.lat.cpuMsPerScrape), (a, b) => ratio(a?.lat.cpuMsPerScrape, b?.lat.cpuMsPerScrape)],
    ["scrapes/s, one connection", (e) => f(e?.lat.throughput, 0), (a, b) => ratio(a?.lat.throughput, b?.lat.throughput)],
    ["response size (kB)", (e) => f(e && e.lat.bodyBytes / 1024, 1), (a, b) => ratio(a?.lat.bodyBytes, b?.lat.bodyBytes)],
    ["series in the response", (e) => col(e?.lat.series), (a, b) => ratio(a?.lat.series, b?.lat.series)],
    ["RSS after start and one scrape (MB)", (e) => f(e && mb(e.rssStart), 1), (a, b) => ratio(a?.rssStart, b?.rssStart)],
    ["RSS right after the burst (MB)", (e) => f(e && mb(e.lat.rssAfterBurst), 1), (a, b) => ratio(a?.lat.rssAfterBurst, b?.lat.rssAfterBurst)],
    [`idle CPU, % of one core (${Math.round(lw.idle.seconds)} s window)`, (e) => f(e?.idle.cpuPct, 3), (a, b) => ratio(a?.idle.cpuPct, b?.idle.cpuPct)],
    ["idle CPU time over the window (s)", (e) => f(e?.idle.cpuSeconds), (a, b) => ratio(a?.idle.cpuSeconds, b?.idle.cpuSeconds)],
    ["idle RSS at the end (MB)", (e) => f(e && mb(e.idle.rssEnd), 1), (a, b) => ratio(a?.idle.rssEnd, b?.idle.rssEnd)],
    ["idle RSS max seen (MB)", (e) => f(e && mb(e.idle.rssMax), 1), (a, b) => ratio(a?.idle.rssMax, b?.idle.rssMax)],
  ];
  const L = [];
  L.push(
    `Run ${m.date} at commit ${m.commit} — ${m.leakwatch}; dist/ built ${m.distBuilt}${m.srcChanges ? ` (the work tree had ${m.srcChanges} uncommitted change(s) under src/)` : ""}.`,
    "",
  );
  L.push("Machine:", "");
  L.push(`- nproc: ${m.nproc} (${m.cpuModel}), ${f(m.memGiB, 1)} GiB RAM, Linux ${m.kernel}, CLK_TCK ${m.clkTck}`);
  L.push(`- Node ${m.node}`);
  L.push(
    `- load average (1/5/15 min) at the start: ${m.loadavg.map((x) => x.toFixed(2)).join(" ")}, at the end: ${m.loadavgEnd.map((x) => x.toFixed(2)).join(" ")} (other work on the machine makes the figures noisier)`,
  );
  L.push("");
  L.push("Setup:", "");
  L.push(
    `- ${N_TARGETS} targets: 14 \`sleep\` and 4 idle \`node -e "setInterval(…)"\` processes watched by \`pid\`, 1 \`sleep\` and 1 \`node\` watched by \`match\` (config in bench/tmp/bench.yaml).`,
  );
  L.push(
    `- leakwatch: \`node ${[...m.nodeFlags, ""].join(" ")}bin/leakwatch.js --config bench/tmp/bench.yaml --log-level warn\`${o.cpuProf ? " under --cpu-prof" : ""}` +
      `${m.nodeFlags.length ? ' (the node flags of the bin\'s shebang, as `npx leakwatch` runs it; `--node-flags ""` for none)' : ""}, defaults otherwise (discovery every 2 s, PSS read below 1 GiB RSS).`,
  );
  L.push(
    `- competitor: ${pe ? `prometheus-process-exporter ${pe.version} with one group per target (\`comm\` + \`cmdline\` regex, the same processes), \`-threads=false\` (leakwatch has no per-thread series), smaps (PSS) gathered as leakwatch does; \`-recheck\` off (default).` : peNote}`,
  );
  L.push(
    `- latency: ${o.warmup} warm-up requests, then ${o.requests} sequential GET /metrics over one keep-alive connection (Node http), time to the last byte of the body; each exporter measured alone while the other idles.`,
  );
  L.push(
    `- idle: ${o.settleSeconds} s settle after the burst, then a ${o.idleSeconds} s window in which both exporters are scraped every ${o.scrapeInterval} s (${lw.idle.scrapes} scrapes each); CPU = Δ(utime+stime) of /proc/PID/stat over the window, RSS = VmRSS of /proc/PID/status, sampled every second. A longer window (\`--idle-seconds 600\`) gives a steadier CPU figure.`,
  );
  L.push("");
  L.push(pe ? "| metric | leakwatch | process-exporter | ratio leakwatch / process-exporter |" : "| metric | leakwatch |");
  L.push(pe ? "| --- | ---: | ---: | ---: |" : "| --- | ---: |");
  for (const [label, val, rat] of rows) L.push(pe ? `| ${label} | ${val(lw)} | ${val(pe)} | ${rat(lw, pe)} |` : `| ${label} | ${val(lw)} |`);
  L.push("");
  if (!pe) L.push(`No competitor measured: ${peNote}`, "");
  L.push(
    `RSS (MB) before each idle-window scrape, every ${o.scrapeInterval} s: leakwatch ${lw.idle.rssTrace.map((b) => f(mb(b), 1)).join(", ")}, end ${f(mb(lw.idle.rssEnd), 1)}` +
      (pe ? `; process-exporter ${pe.idle.rssTrace.map((b) => f(mb(b), 1)).join(", ")}, end ${f(mb(pe.idle.rssEnd), 1)}.` : "."),
    "",
  );
  const heap = heapBreakdown(lw.idle.lastBody);
  if (heap) L.push(`leakwatch's own view at the last idle scrape (prom-client): ${heap}.`, "");
  if (m.othersSeen.length)
    L.push(`**Another run of this benchmark overlapped with this one** (figures disturbed): ${m.othersSeen.map((x) => `\`${x}\``).join(", ")}.`, "");
  const gcs = lw.lat.gc.filter((g) => g.count > 0);
  if (gcs.length) {
    L.push(
      `leakwatch's garbage collection during the ${o.requests}-request burst (its own nodejs_gc_duration_seconds, which counts the last warm-up scrape's too): ` +
        gcs.map((g) => `${g.kind} ${g.count}× ${f(g.ms, 1)} ms in all`).join(", ") +
        `; requests over 10 ms: ${lw.lat.slow.over10}, over 20 ms: ${lw.lat.slow.over20}.`,
      "",
    );
  }
  const durs = collectorDurations(lw.lat.lastBody);
  if (Object.keys(durs).length) {
    L.push(
      `leakwatch's own per-collector scrape durations (last scrape of the burst): ${Object.entries(durs)
        .map(([k, v]) => `${k} ${f(v)} ms`)
        .join(", ")}.`,
      "",
    );
  }
  L.push("Goals:", "");
  L.push("| goal | measured | result |", "| --- | ---: | :---: |");
  for (const g of goals) L.push(`| ${g.goal} | ${g.value} | ${g.pass ? "PASS" : "FAIL"} |`);
  return { markdown: L.join("\n"), goals };
}

function writeResults(file, generated) {
  const BEGIN = "<!-- results:begin (written by bench/metrics/run.mjs; edit outside these markers) -->";
  const END = "<!-- results:end -->";
  const block = `${BEGIN}\n${generated}\n${END}`;
  let text;
  if (existsSync(file)) {
    const old = readFileSync(file, "utf8");
    const a = old.indexOf("<!-- results:begin");
    const b = old.indexOf(END);
    text = a >= 0 && b > a ? old.slice(0, a) + block + old.slice(b + END.length) : old.trimEnd() + "\n\n" + block + "\n";
  } else {
    text = [
      "# /metrics benchmark: leakwatch with 20 targets",
      "",
      "Repeat with:",
      "",
      "```sh",
      "npm run build && node bench/metrics/run.mjs                      # 600 s idle window",
      "npm run build && node bench/metrics/run.mjs --idle-seconds 3600  # an hour of idling",
      "```",
      "",
      "The competitor is prometheus' process-exporter from Debian (`apt-get install prometheus-process-exporter`);",
      "without it the run measures leakwatch alone.",
      "",
      block,
      "",
    ].join("\n");
  }
  writeFileSync(file, text);
}

// ---------------------------------------------------------------------------------------------------- main
async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!existsSync(path.join(ROOT, "dist/cli/main.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  mkdirSync(TMP, { recursive: true });
  const log = (s) => process.stderr.write(s + "\n");
  noteOtherBenchmarks();
  if (othersSeen.size) log(`WARNING: another run of this benchmark is running; the figures will be disturbed:\n  ${[...othersSeen].join("\n  ")}`);
  const m = machine();
  const tag = process.pid % 10000;

  log(`starting ${N_TARGETS} targets…`);
  const targets = startTargets(tag);
  await sleep(500);
  for (const t of targets) if (!alive(t.child)) throw new Error(`target ${t.name} (${t.kind}) did not start`);

  // leakwatch
  const lwPort = await freePort();
  const cfg = path.join(TMP, "bench.yaml");
  writeLeakwatchConfig(cfg, lwPort, targets);
  // By default the flags of bin/leakwatch.js's shebang (`#!/usr/bin/env -S node --flag…`): measure what
  // `npx leakwatch` runs, not bare `node bin/leakwatch.js`, which would run without them.
  o.nodeFlags ??= shebangFlags(path.join(ROOT, "bin/leakwatch.js"));
  m.nodeFlags = o.nodeFlags;
  const nodeArgs = [...o.nodeFlags, ...(o.cpuProf ? ["--cpu-prof", "--cpu-prof-dir", path.join(TMP, "prof")] : [])];
  const lwLog = path.join(TMP, "leakwatch.log");
  const lwLogFd = openSync(lwLog, "w");
  const lwChild = start(process.execPath, [...nodeArgs, path.join(ROOT, "bin/leakwatch.js"), "--config", cfg, "--log-level", "warn"], {
    stderr: lwLogFd,
    spawn: { cwd: ROOT },
  });
  closeSync(lwLogFd);
  log(`leakwatch's log: ${path.relative(process.cwd(), lwLog)}`);
  const lw = { name: "leakwatch", pid: lwChild.pid, port: lwPort, child: lwChild };
  await waitFor(lwPort, "/healthz", lwChild, "leakwatch");
  {
    // /healthz answers as soon as leakwatch listens, before its targets are resolved: wait for all of them.
    let up = 0;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(200)) {
      const body = (await waitFor(lwPort, "/metrics", lwChild, "leakwatch")).body;
      up = [...body.matchAll(/^leakwatch_target_up\{target="(t\d+)"\} 1$/gm)].length;
      if (up === N_TARGETS) break;
    }
    if (up !== N_TARGETS) throw new Error(`leakwatch sees ${up} of ${N_TARGETS} targets up (log: bench/tmp/leakwatch.log)`);
    lw.rssStart = rssBytes(lw.pid);
    log(`leakwatch pid ${lw.pid} on 127.0.0.1:${lwPort}: ${up}/${N_TARGETS} targets up, RSS ${f(mb(lw.rssStart), 1)} MB`);
  }

  // process-exporter
  let pe;
  let peNote = "";
  const peBin = which("prometheus-process-exporter") ?? which("process-exporter");
  if (!o.competitor) peNote = "skipped with --no-competitor.";
  else if (!peBin) {
    peNote =
      "prometheus-process-exporter is not installed (Debian: `apt-get install prometheus-process-exporter`); " +
      "its Go release binaries cannot be downloaded here. prometheus-node-exporter would only give host statistics, not per-process ones.";
  } else {
    const pePort = await freePort();
    const peCfg = path.join(TMP, "process-exporter.yaml");
    writeProcessExporterConfig(peCfg, targets);
    const peChild = start(peBin, ["-config.path", peCfg, "-web.listen-address", `127.0.0.1:${pePort}`, "-threads=false"], { stderr: "inherit" });
    pe = { name: "process-exporter", pid: peChild.pid, port: pePort, child: peChild, version: peVersion(peBin) };
    let groups = 0;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(200)) {
      const body = (await waitFor(pePort, "/metrics", peChild, "process-exporter")).body;
      groups = [...body.matchAll(/^namedprocess_namegroup_num_procs\{groupname="(t\d+)"\} 1$/gm)].length;
      if (groups === N_TARGETS) break;
    }
    if (groups !== N_TARGETS) throw new Error(`process-exporter sees ${groups} of ${N_TARGETS} groups with their process`);
    pe.rssStart = rssBytes(pe.pid);
    log(`process-exporter pid ${pe.pid} on 127.0.0.1:${pePort}: ${groups}/${N_TARGETS} groups (${pe.version}), RSS ${f(mb(pe.rssStart), 1)} MB`);
  }
  const exporters = pe ? [lw, pe] : [lw];

  for (const e of exporters) {
    noteOtherBenchmarks();
    log(`latency: ${e.name}, ${o.warmup} warm-up + ${o.requests} requests…`);
    e.lat = await latency(e, o);
    log(`  p50 ${f(e.lat.p50)} p90 ${f(e.lat.p90)} p99 ${f(e.lat.p99)} max ${f(e.lat.max)} ms; ${f(e.lat.cpuMsPerScrape)} ms CPU/scrape`);
  }

  log(`settling ${o.settleSeconds}s, then idle window ${o.idleSeconds}s at a ${o.scrapeInterval}s scrape…`);
  await sleep(o.settleSeconds * 1000);
  const idleRes = await idle(exporters, o);
  for (const e of exporters) {
    e.idle = idleRes.get(e);
    if (!alive(e.child)) throw new Error(`${e.name} died during the run`);
    log(
      `  ${e.name}: CPU ${f(e.idle.cpuPct, 3)} % of a core (${f(e.idle.cpuSeconds)} s), RSS end ${f(mb(e.idle.rssEnd), 1)} MB, max ${f(mb(e.idle.rssMax), 1)} MB, ${e.idle.scrapes} scrapes, ${e.idle.errors} errors`,
    );
  }

  noteOtherBenchmarks();
  m.loadavgEnd = os.loadavg();
  m.othersSeen = [...othersSeen];
  if (othersSeen.size) log(`WARNING: another run of this benchmark overlapped with this one:\n  ${[...othersSeen].join("\n  ")}`);
  const { markdown, goals } = report(o, m, lw, pe, peNote);
  writeResults(o.results, markdown);
  const strip = (e) => e && { ...e, child: undefined, lat: { ...e.lat, lastBody: undefined }, idle: { ...e.idle, lastBody: undefined } };
  writeFileSync(
    path.join(TMP, "metrics-results.json"),
    JSON.stringify({ options: o, machine: m, leakwatch: strip(lw), competitor: strip(pe) ?? peNote, goals }, null, 2),
  );
  process.stdout.write(markdown + "\n");
  process.stdout.write(`\nresults written to ${path.relative(process.cwd(), o.results)}\n`);
  return goals.every((g) => g.pass) ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  process.stderr.write(`run.mjs: ${err instanceof Error ? err.message : String(err)}\n`);
  code = 3;
} finally {
  await stopAll();
}
process.exit(code);
