// Benchmark: our streaming V8 snapshot parser vs memlab on a large (≥ 400 MB) real Node heap snapshot.
//
//   PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-save @memlab/heap-analysis   # the competitor; not a project dependency:
//                                     # it pulls in puppeteer, whose browser download breaks `npm ci` offline
//   npm run build && node bench/parsers/v8-snapshot.mjs [--size-mb=450] [--regen] [--runs=3] [--skip-memlab]
//                                                        [--memlab-timeout-s=1800] [--memlab-heap-mb=16384]
//
// The snapshot is generated once into bench/tmp/parsers/ (gitignored) by a child Node process and reused.
// Each parser runs in its own child process, so peak RSS (process.resourceUsage().maxRSS, read in the child at
// the end) is that parser's alone. Results are printed as a Markdown table (copy into RESULTS.md).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const self = fileURLToPath(import.meta.url);
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    return m ? [m[1], m[2] ?? "true"] : [a, "true"];
  }),
);

// Child program that builds the heap and writes the snapshot (argv: file, number of LeakyThing).
const GENERATOR = `
const v8 = require("node:v8");
const n = Number(process.argv[2]);
class LeakyThing { constructor(i) { this.id = i; this.name = "thing-" + i; this.payload = { a: i, b: [i, i + 1] }; } }
class Session { constructor(i) { this.user = "u" + (i % 1000); this.created = i; this.items = []; } }
globalThis.keep = [];
for (let i = 0; i < n; i++) { globalThis.keep.push(new LeakyThing(i)); if (i % 4 === 0) globalThis.keep.push(new Session(i)); }
v8.writeHeapSnapshot(process.argv[1]);
`;

// ---- child modes: parse one file, print one RESULT line ----
if (args.child === "ours") {
  const { parseV8SnapshotFile } = await import(pathToFileURL(path.join(repo, "dist/runtimes/node/snapshot.js")).href);
  const t0 = performance.now();
  const body = await parseV8SnapshotFile(args.file);
  const ms = performance.now() - t0;
  const leaky = body.types.find((r) => r.type === "LeakyThing")?.count ?? 0;
  report({ ms, nodes: body.totalObjects, selfSize: body.totalBytes, leaky, types: body.types.length });
} else if (args.child === "memlab") {
  const { getFullHeapFromFile } = await import("@memlab/heap-analysis");
  const t0 = performance.now();
  const heap = await getFullHeapFromFile(args.file);
  const parseMs = performance.now() - t0;
  // The same question asked of memlab's graph: count and self size per constructor / kind.
  let nodes = 0;
  let selfSize = 0;
  let leaky = 0;
  heap.nodes.forEach((node) => {
    nodes++;
    selfSize += node.self_size;
    if (node.type === "object" && node.name === "LeakyThing") leaky++;
  });
  const ms = performance.now() - t0;
  report({ ms, parseMs, nodes, selfSize, leaky });
} else {
  await main();
}

function report(r) {
  const ru = process.resourceUsage();
  console.log(`RESULT ${JSON.stringify({ ...r, maxRssMB: ru.maxRSS / 1024, userS: ru.userCPUTime / 1e6, sysS: ru.systemCPUTime / 1e6 })}`);
}

// ---- parent ----
async function main() {
  const sizeMb = Number(args["size-mb"] ?? 450);
  const runs = Number(args.runs ?? 3);
  const dist = path.join(repo, "dist/runtimes/node/snapshot.js");
  if (!existsSync(dist)) {
    console.error("dist/runtimes/node/snapshot.js is missing: run `npm run build` first");
    process.exit(1);
  }
  const dir = path.join(repo, "bench/tmp/parsers");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${sizeMb}mb.heapsnapshot`);
  // ~2300 LeakyThing (+ 1 Session per 4) per MB of snapshot on Node 20.
  const n = Math.round(sizeMb * 2300);
  if (!existsSync(file) || args.regen) {
    console.log(`generating ${file} (${n} LeakyThing) …`);
    const t0 = performance.now();
    execFileSync(process.execPath, ["--max-old-space-size=4096", "-e", GENERATOR, file, String(n)], { stdio: "inherit" });
    console.log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const bytes = statSync(file).size;
  console.log(`snapshot: ${file}, ${(bytes / 1e6).toFixed(1)} MB`);
  if (bytes < 400e6) console.warn("warning: snapshot is smaller than 400 MB; use --size-mb and --regen");

  const ours = [];
  for (let k = 0; k < runs; k++) {
    const r = await runChild([self, "--child=ours", `--file=${file}`], 600);
    console.log(`ours run ${k + 1}:`, JSON.stringify(r));
    ours.push(r);
  }
  let memlab;
  if (!args["skip-memlab"]) {
    const heapMb = Number(args["memlab-heap-mb"] ?? 16384);
    memlab = await runChild([`--max-old-space-size=${heapMb}`, self, "--child=memlab", `--file=${file}`], Number(args["memlab-timeout-s"] ?? 1800));
    console.log("memlab:", JSON.stringify(memlab));
  }

  const ok = ours.filter((r) => r.ok);
  const best = ok.reduce((a, b) => (b.ms < a.ms ? b : a), ok[0]);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const lines = [
    `| | wall (parse, in child) | wall (child process) | CPU user+sys | peak RSS | LeakyThing | nodes |`,
    `| --- | --- | --- | --- | --- | --- | --- |`,
    `| leakwatch (median of ${ok.length}) | ${s(median(ok.map((r) => r.ms)))} | ${s(median(ok.map((r) => r.wallMs)))} | ${median(ok.map((r) => r.userS + r.sysS)).toFixed(2)} s | ${mb(Math.max(...ok.map((r) => r.maxRssMB)))} (max) | ${best?.leaky} | ${best?.nodes} |`,
  ];
  if (memlab?.ok) {
    lines.push(
      `| memlab getFullHeapFromFile | ${s(memlab.ms)} (parse ${s(memlab.parseMs)}) | ${s(memlab.wallMs)} | ${(memlab.userS + memlab.sysS).toFixed(2)} s | ${mb(memlab.maxRssMB)} | ${memlab.leaky} | ${memlab.nodes} |`,
    );
    lines.push(
      "",
      `speed ratio (memlab / leakwatch, parse wall): ${(memlab.ms / median(ok.map((r) => r.ms))).toFixed(1)}×;` +
        ` child wall: ${(memlab.wallMs / median(ok.map((r) => r.wallMs))).toFixed(1)}×;` +
        ` CPU time (user+sys): ${(memlab.userS + memlab.sysS).toFixed(1)} s vs ${median(ok.map((r) => r.userS + r.sysS)).toFixed(2)} s =` +
        ` ${((memlab.userS + memlab.sysS) / median(ok.map((r) => r.userS + r.sysS))).toFixed(1)}×;` +
        ` peak RSS ratio: ${(memlab.maxRssMB / Math.max(...ok.map((r) => r.maxRssMB))).toFixed(1)}×`,
    );
  } else if (memlab) {
    lines.push(`| memlab getFullHeapFromFile | failed: ${memlab.error} after ${s(memlab.wallMs)} | | | | | |`);
  }
  const cpu = os.cpus();
  console.log(
    `\nmachine: ${cpu.length} × ${cpu[0]?.model}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
  console.log(`snapshot: ${(bytes / 1e6).toFixed(1)} MB, ${n} LeakyThing expected\n`);
  console.log(lines.join("\n"));
}

function s(ms) {
  return `${(ms / 1000).toFixed(2)} s`;
}
function mb(x) {
  return `${x.toFixed(0)} MB`;
}

/** Runs a child Node process, returns its RESULT plus wall time, or ok:false with the reason. */
function runChild(childArgs, timeoutS) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, childArgs, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err = (err + d).slice(-4000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutS * 1000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - t0;
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (code === 0 && line) resolve({ ok: true, wallMs, ...JSON.parse(line.slice(7)) });
      else {
        const reason =
          signal === "SIGKILL" ? `killed after the ${timeoutS} s timeout` : `exit ${code ?? signal}: ${err.trim().split("\n").slice(-3).join(" / ")}`;
        resolve({ ok: false, wallMs, error: reason });
      }
    });
  });
}
