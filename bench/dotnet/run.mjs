#!/usr/bin/env node
// Benchmark of the native dotnet heap source (diagnostic IPC + EventPipe, in leakwatch's own process) against
// `dotnet-gcdump collect` + `dotnet-gcdump report` on the same paused target, at several heap sizes. Checks the
// per-type counts against the target program's own counts (and against dotnet-gcdump's report when installed),
// and reports wall time per dump (median of --runs).
//
// Usage (from the repository root; builds the C# target itself, needs the .NET SDK):
//   npm run build && node bench/dotnet/run.mjs [--runs N] [--sizes 0,300000,1500000] [--gcdump PATH] [--results FILE]
//
// dotnet-gcdump is looked up in PATH and ~/.dotnet/tools unless --gcdump is given
// (`dotnet tool install -g dotnet-gcdump`). Without it, leakwatch is measured alone and the results say so.
// The target is stopped on exit. Temporary files go to bench/tmp/dotnet/.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TMP = path.join(ROOT, "bench/tmp/dotnet");
const SRC = path.join(ROOT, "test/fixtures/dotnet/targets");
const ENV = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1" };

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}
const RUNS = Number(arg("runs", "5"));
const SIZES = arg("sizes", "0,300000,1500000").split(",").map(Number);
const RESULTS = arg("results", path.join(ROOT, "bench/dotnet/RESULTS.md"));

const { DotnetEventPipeSource } = await import(pathToFileURL(path.join(ROOT, "dist/runtimes/dotnet/eventpipe-source.js")).href);
const { parseText } = await import(pathToFileURL(path.join(ROOT, "dist/runtimes/index.js")).href);

function build() {
  const sdk = execFileSync("dotnet", ["--version"], { encoding: "utf8", env: ENV }).trim();
  const h = createHash("sha256").update(sdk);
  for (const f of readdirSync(SRC).sort()) if (/\.(cs|csproj)$/.test(f)) h.update(f).update(readFileSync(path.join(SRC, f)));
  const out = path.join(TMP, `targets-${h.digest("hex").slice(0, 16)}`);
  const dll = path.join(out, "LeakTarget.dll");
  if (existsSync(dll)) return { dll, sdk };
  const work = mkdtempSync(path.join(os.tmpdir(), "lw-bench-build-"));
  cpSync(SRC, work, { recursive: true });
  execFileSync(
    "dotnet",
    ["build", path.join(work, "LeakTarget.csproj"), "-c", "Release", "-o", out, "-nologo", "-v", "q", "-nodeReuse:false", "-p:UseSharedCompilation=false"],
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
  constructor(dll) {
    this.proc = spawn("dotnet", [dll, "leak"], { env: ENV, stdio: ["pipe", "pipe", "inherit"] });
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
  async cmd(c) {
    const from = this.lines.length;
    this.proc.stdin.write(`${c}\n`);
    return this.line(/^(ok|error)/, from);
  }
  kill() {
    this.proc.kill("SIGKILL");
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// One source for the run, as the daemon keeps one per target (it remembers which processes need no type-table flush).
const source = new DotnetEventPipeSource({ keepRaw: false });

async function leakwatchDump(pid) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lw-bench-"));
  const t0 = performance.now();
  const body = await source.dump({
    pid,
    command: "",
    signal: new AbortController().signal,
    privateDir: dir,
    disposeRaw: async () => {},
    logger: { info() {}, warn() {}, debug() {}, error() {} },
  });
  const ms = performance.now() - t0;
  rmSync(dir, { recursive: true, force: true });
  return { ms, body };
}

function gcdumpDump(tool, pid) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lw-bench-gcdump-"));
  const file = path.join(dir, "x.gcdump");
  const t0 = performance.now();
  execFileSync(tool, ["collect", "-p", String(pid), "-o", file], { env: ENV, stdio: "ignore" });
  const collectMs = performance.now() - t0;
  const report = execFileSync(tool, ["report", file], { env: ENV, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  const ms = performance.now() - t0;
  rmSync(dir, { recursive: true, force: true });
  return { ms, collectMs, body: parseText(report, "gcdump-report") };
}

const row = (body, t) => body.types.find((r) => r.type === t);
const NS = "Leakwatch.Targets.";

mkdirSync(TMP, { recursive: true });
const { dll, sdk } = build();
const gcdump = findGcdump();
const target = new Target(dll);
process.on("exit", () => target.kill());
await target.line(/^ready/);
const st = await target.cmd("iterate 1000");
const leaked = Number(/leaked=(\d+)/.exec(st)[1]);
let ballast = 0;
const rows = [];
for (const size of SIZES) {
  if (size > ballast) {
    await target.cmd(`ballast ${size - ballast}`);
    ballast = size;
  }
  await leakwatchDump(target.proc.pid); // warm-up (first session initialises the runtime's EventSource side)
  const lw = [];
  let body;
  for (let i = 0; i < RUNS; i++) {
    const r = await leakwatchDump(target.proc.pid);
    lw.push(r.ms);
    body = r.body;
  }
  const exactLeaky = row(body, `${NS}LeakySession`)?.count === leaked;
  const exactBallast = (row(body, `${NS}Ballast`)?.count ?? 0) === ballast;
  const gcMs = Number(/\(([\d.]+) ms in the target/.exec(body.notes.join(" "))?.[1] ?? NaN);
  const r = {
    size,
    gcPauseMs: gcMs,
    objects: body.totalObjects,
    bytes: body.totalBytes,
    types: body.types.length,
    lwMs: median(lw),
    lwMin: Math.min(...lw),
    exact: exactLeaky && exactBallast,
  };
  if (gcdump) {
    const g = [];
    let gb;
    for (let i = 0; i < RUNS; i++) {
      const x = gcdumpDump(gcdump, target.proc.pid);
      g.push(x.ms);
      gb = x.body;
    }
    r.gcMs = median(g);
    r.gcAgree =
      row(gb, `${NS}LeakySession`)?.count === row(body, `${NS}LeakySession`)?.count &&
      (row(gb, `${NS}Ballast`)?.count ?? 0) === (row(body, `${NS}Ballast`)?.count ?? 0);
  }
  rows.push(r);
  console.log(JSON.stringify(r));
}
target.kill();

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const lines = [
  "<!-- results:start -->",
  `Run ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${cpu}, Node ${process.version}, .NET SDK ${sdk}; median of ${RUNS} dumps per size (after one warm-up dump).`,
  `Target: test/fixtures/dotnet/targets in \`leak\` mode after \`iterate 1000\` (1000 LeakySession kept), plus N Ballast objects.`,
  "",
  `| ballast objects | objects in dump | bytes in dump | types | induced GC in target (ms) | leakwatch (ms) | leakwatch min (ms) | counts exact vs program | ${gcdump ? "dotnet-gcdump collect+report (ms) | same counts as gcdump | ratio |" : ""}`,
  `| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |${gcdump ? " ---: | --- | ---: |" : ""}`,
  ...rows.map(
    (r) =>
      `| ${r.size} | ${r.objects} | ${r.bytes} | ${r.types} | ${r.gcPauseMs.toFixed(1)} | ${r.lwMs.toFixed(0)} | ${r.lwMin.toFixed(0)} | ${r.exact ? "yes" : "NO"} |${gcdump ? ` ${r.gcMs.toFixed(0)} | ${r.gcAgree ? "yes" : "NO"} | ${(r.lwMs / r.gcMs).toFixed(2)}× |` : ""}`,
  ),
  "",
  gcdump
    ? `dotnet-gcdump: ${gcdump}.`
    : "dotnet-gcdump was not installed, so there is no side-by-side time: counts were checked against the program's own counts only.",
  "<!-- results:end -->",
];
let text = existsSync(RESULTS) ? readFileSync(RESULTS, "utf8") : "";
const block = lines.join("\n");
if (/<!-- results:start -->[\s\S]*<!-- results:end -->/.test(text)) text = text.replace(/<!-- results:start -->[\s\S]*<!-- results:end -->/, block);
else text = `${text}${text ? "\n" : ""}${block}\n`;
writeFileSync(RESULTS, text);
console.log(`results written to ${path.relative(ROOT, RESULTS)}`);
