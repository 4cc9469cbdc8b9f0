#!/usr/bin/env node
// Throughput of leakwatch's hammer (src/load: undici keep-alive pool, workers, token bucket) against a trivial
// local HTTP server, side by side with autocannon (npm devDependency) at the same concurrency in the same run.
// Each client runs in its own child process, alternating (hammer, autocannon, hammer, …) so that both see the same
// machine; the server is a third process. Reported: requests per second, and each client's own CPU time (user +
// system of its process over the measured window) per request and as a share of one core.
//
// Usage (from the repository root; builds nothing itself):
//   npm run build && node bench/load/run.mjs [--duration S] [--connections N[,N…]] [--rounds R] [--rate R] [--results FILE]
//
//   --duration S        measured seconds per client run (default 10), after a 2 s warm-up in the same process
//   --connections LIST  concurrency levels (default 16; autocannon's connections = the hammer's --load-concurrency)
//   --rounds R          alternating runs per client and level (default 3; the median is reported)
//   --rate R            also measure the hammer with --load-rate R (default 2000; 0 skips it)
//   --results FILE      default bench/load/RESULTS.md (only the part between the results markers is replaced)
//
// All traffic goes to 127.0.0.1. Every process started here is stopped on exit.
import { spawn, execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SELF = fileURLToPath(import.meta.url);
const GOAL = 0.7;
const WARMUP_S = 2;

// ------------------------------------------------------------------------------------------------- child modes
async function childServer() {
  const server = http.createServer((_req, res) => res.end("ok"));
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
  process.on("SIGTERM", () => process.exit(0));
}

function cpuSeconds(from) {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
}

async function childHammer(url, connections, duration, rate) {
  const dist = (p) => pathToFileURL(path.join(ROOT, "dist/load", p)).href;
  const { Hammer } = await import(dist("hammer.js"));
  const { HttpRunner } = await import(dist("jobs.js"));
  const { LoadStats } = await import(dist("stats.js"));
  const stats = new LoadStats();
  const runner = new HttpRunner({ kind: "http", url, method: "GET", headers: {} });
  const h = new Hammer(runner, { concurrency: connections, jobs: null, waitSeconds: 0, rate: rate || undefined, timeoutSeconds: 10 }, stats, () => true);
  h.start();
  await sleep(WARMUP_S * 1000);
  const c0 = { ...stats.counts };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(duration * 1000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(cpu0);
  const c1 = { ...stats.counts };
  await h.stop({ abort: true });
  await runner.close();
  return { requests: c1.ok - c0.ok, errors: c1.error - c0.error + (c1.timeout - c0.timeout), seconds, cpu };
}

async function childAutocannon(url, connections, duration) {
  const { default: autocannon } = await import("autocannon");
  await autocannon({ url, connections, duration: WARMUP_S, pipelining: 1 });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await autocannon({ url, connections, duration, pipelining: 1 });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(cpu0);
  return { requests: r.requests.total, errors: r.errors + r.timeouts + r.non2xx, seconds: r.duration || seconds, cpu };
}

// ------------------------------------------------------------------------------------------------- parent
function parseArgs(argv) {
  const o = { duration: 10, connections: [16], rounds: 3, rate: 2000, results: path.join(ROOT, "bench/load/RESULTS.md") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} expects a value`);
      return v;
    };
    if (a === "--duration") o.duration = Number(next());
    else if (a === "--connections") o.connections = next().split(",").map(Number);
    else if (a === "--rounds") o.rounds = Number(next());
    else if (a === "--rate") o.rate = Number(next());
    else if (a === "--results") o.results = path.resolve(next());
    else throw new Error(`unknown option ${a}`);
  }
  if (!(o.duration > 0) || !(o.rounds >= 1) || o.connections.some((c) => !(c >= 1))) throw new Error("bad options");
  return o;
}

const children = new Set();
function cleanup() {
  for (const c of children) c.kill("SIGKILL");
}
process.on("exit", cleanup);
for (const s of ["SIGINT", "SIGTERM"]) process.on(s, () => process.exit(130));

function runChild(args) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [SELF, "--child", ...args], { stdio: ["ignore", "pipe", "inherit"] });
    children.add(c);
    let out = "";
    c.stdout.on("data", (b) => (out += b));
    c.on("exit", (code) => {
      children.delete(c);
      if (code !== 0) reject(new Error(`${args[0]} exited with ${code}`));
      else resolve(JSON.parse(out.trim().split("\n").at(-1)));
    });
  });
}

async function startServer() {
  const c = spawn(process.execPath, [SELF, "--child", "server"], { stdio: ["ignore", "pipe", "inherit"] });
  children.add(c);
  const port = await new Promise((resolve) => c.stdout.once("data", (b) => resolve(Number(String(b).trim()))));
  return { url: `http://127.0.0.1:${port}/`, pid: c.pid, proc: c };
}

function serverCpu(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!existsSync(path.join(ROOT, "dist/load/hammer.js"))) throw new Error("dist/load/hammer.js missing: run `npm run build` first");
  const server = await startServer();
  const rows = [];
  for (const connections of o.connections) {
    const runs = { hammer: [], autocannon: [] };
    for (let r = 0; r < o.rounds; r++) {
      for (const tool of ["hammer", "autocannon"]) {
        const s0 = serverCpu(server.pid);
        const res = await runChild([tool, server.url, String(connections), String(o.duration), "0"]);
        res.serverCpu = serverCpu(server.pid) - s0;
        res.rps = res.requests / res.seconds;
        runs[tool].push(res);
        process.stderr.write(
          `${tool} c=${connections} round ${r + 1}: ${res.rps.toFixed(0)} req/s, client CPU ${((res.cpu / res.seconds) * 100).toFixed(0)}% of a core, errors ${res.errors}\n`,
        );
      }
    }
    const summary = (list) => ({
      rps: median(list.map((x) => x.rps)),
      cpuPct: median(list.map((x) => (x.cpu / x.seconds) * 100)),
      cpuUsPerReq: median(list.map((x) => (x.cpu / x.requests) * 1e6)),
      errors: list.reduce((s, x) => s + x.errors, 0),
      all: list.map((x) => x.rps),
    });
    rows.push({ connections, hammer: summary(runs.hammer), autocannon: summary(runs.autocannon) });
  }
  let rate;
  if (o.rate > 0) {
    // At 16 workers (or the highest level below that): one worker cannot always keep up with a high cap.
    const c = Math.min(16, Math.max(...o.connections));
    const res = await runChild(["hammer", server.url, String(c), String(o.duration), String(o.rate)]);
    rate = { target: o.rate, achieved: res.requests / res.seconds, cpuPct: (res.cpu / res.seconds) * 100, connections: c };
    process.stderr.write(`hammer --load-rate ${o.rate}: ${rate.achieved.toFixed(1)} req/s\n`);
  }
  server.proc.kill("SIGTERM");
  writeResults(o, rows, rate);
}

function writeResults(o, rows, rate) {
  let commit = "unknown";
  let dirty = 0;
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean).length;
  } catch {}
  const acVersion = JSON.parse(readFileSync(path.join(ROOT, "node_modules/autocannon/package.json"), "utf8")).version;
  const undiciVersion = JSON.parse(readFileSync(path.join(ROOT, "node_modules/undici/package.json"), "utf8")).version;
  const cpus = os.cpus();
  const lines = [
    `Run ${new Date().toISOString()} at commit ${commit}${dirty ? ` (${dirty} uncommitted change(s) under src/)` : ""}: \`node bench/load/run.mjs ${process.argv.slice(2).join(" ")}\`.`,
    "",
    `- machine: nproc ${cpus.length} (${cpus[0]?.model.trim()}), Node ${process.version}, load average at the end ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
    `- clients: leakwatch's hammer (undici ${undiciVersion} Pool, keep-alive) and autocannon ${acVersion}, each in its own process, ${o.rounds} alternating run(s) of ${o.duration} s after a ${WARMUP_S} s warm-up; the server is a third Node process answering "ok".`,
    "",
    "| concurrency | hammer req/s | autocannon req/s | hammer / autocannon | hammer CPU (% of a core) | autocannon CPU | hammer CPU µs/request | autocannon CPU µs/request | goal ≥ 70% |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const r of rows) {
    const ratio = r.hammer.rps / r.autocannon.rps;
    lines.push(
      `| ${r.connections} | ${r.hammer.rps.toFixed(0)} | ${r.autocannon.rps.toFixed(0)} | ${(ratio * 100).toFixed(0)}% | ${r.hammer.cpuPct.toFixed(0)}% | ${r.autocannon.cpuPct.toFixed(0)}% | ${r.hammer.cpuUsPerReq.toFixed(1)} | ${r.autocannon.cpuUsPerReq.toFixed(1)} | ${ratio >= GOAL ? "met" : "**not met**"} |`,
    );
  }
  lines.push(
    "",
    `Runs (req/s): ${rows.map((r) => `c=${r.connections}: hammer ${r.hammer.all.map((x) => x.toFixed(0)).join(", ")}; autocannon ${r.autocannon.all.map((x) => x.toFixed(0)).join(", ")}`).join("; ")}. Errors: hammer ${rows.reduce((s, r) => s + r.hammer.errors, 0)}, autocannon ${rows.reduce((s, r) => s + r.autocannon.errors, 0)}.`,
  );
  if (rate)
    lines.push(
      "",
      `Rate cap: \`--load-rate ${rate.target}\` at concurrency ${rate.connections} achieved ${rate.achieved.toFixed(1)} req/s (${((rate.achieved / rate.target) * 100).toFixed(1)}%), hammer CPU ${rate.cpuPct.toFixed(0)}% of a core.`,
    );
  const block = lines.join("\n");
  const begin = "<!-- results:begin (written by bench/load/run.mjs; edit outside these markers) -->";
  const end = "<!-- results:end -->";
  let text = existsSync(o.results) ? readFileSync(o.results, "utf8") : `# Load benchmark: the hammer against autocannon\n\n${begin}\n${end}\n`;
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  text = a >= 0 && b > a ? `${text.slice(0, a + begin.length)}\n${block}\n${text.slice(b)}` : `${text}\n${begin}\n${block}\n${end}\n`;
  writeFileSync(o.results, text);
  process.stdout.write(block + "\n");
}

// ------------------------------------------------------------------------------------------------- entry
const argv = process.argv.slice(2);
if (argv[0] === "--child") {
  const [, mode, url, c, d, rate] = argv;
  if (mode === "server") await childServer();
  else {
    const res = mode === "hammer" ? await childHammer(url, Number(c), Number(d), Number(rate)) : await childAutocannon(url, Number(c), Number(d));
    process.stdout.write(JSON.stringify(res) + "\n");
    process.exit(0);
  }
} else {
  main().catch((err) => {
    process.stderr.write(`bench/load: ${err.message}\n`);
    process.exit(1);
  });
}
