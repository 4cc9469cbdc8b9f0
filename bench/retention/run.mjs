// Benchmark: leakwatch's retention analysis (graph read + dominators + retained sizes + paths) vs memlab's heap
// analysis (getFullHeapFromFile: parse, distances from the roots, dominators, retained sizes) on one large (≥ 400 MB)
// real Node heap snapshot.
//
//   PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-save @memlab/heap-analysis   # the competitor; not a project dependency
//   npm run build && node bench/retention/run.mjs [--sessions=1400000] [--regen] [--runs=3] [--skip-memlab]
//                                                  [--memlab-timeout-s=1800] [--memlab-heap-mb=16384]
//
// The snapshot is generated once into bench/tmp/retention/ (gitignored) by a child Node process: a module-level Map
// of Sessions, each holding strings, an array and an object (the demo's leak at scale). Each analysis runs in its
// own child process, ours and memlab's alternating (interleaved: the same machine load for both), so that peak RSS
// (process.resourceUsage().maxRSS, read in the child at the end) is that analysis's alone.
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

// Child program that builds the heap and writes the snapshot (argv: file, number of Sessions).
const GENERATOR = `
const v8 = require("node:v8");
const n = Number(process.argv[2]);
class Session { constructor(i) { this.id = i; this.user = "user-" + i; this.token = "token-" + i + "-" + (i * 7919); this.events = [i, "login-" + i]; this.meta = { created: i, region: i % 7 }; } }
const sessions = new Map();
globalThis.lookup = (id) => sessions.get(id);
for (let i = 0; i < n; i++) sessions.set(i, new Session(i));
setTimeout(() => v8.writeHeapSnapshot(process.argv[1]), 10);
`;

const dist = (p) => pathToFileURL(path.join(repo, "dist", p)).href;

if (args.child === "ours") {
  const { readV8SnapshotGraph } = await import(dist("runtimes/node/snapshot.js"));
  const { dominators } = await import(dist("analysis/retention/dominators.js"));
  const { dominatorTree, typeRetention } = await import(dist("analysis/retention/retained.js"));
  const { pathTo, shortestPaths } = await import(dist("analysis/retention/paths.js"));
  const t0 = performance.now();
  const { graph } = await readV8SnapshotGraph(args.file);
  const t1 = performance.now();
  const dom = dominators(graph);
  const t2 = performance.now();
  // As analyseRetention runs them: the dominator tree in the dominators' memory, retained sizes summed in its walk
  // per type, then the paths in the tree's memory.
  const tree = dominatorTree(graph, dom);
  const types = typeRetention(graph, tree);
  const t3 = performance.now();
  const sp = shortestPaths(graph, new Int32Array(tree.start.buffer), new Uint32Array(tree.child.buffer));
  const t = graph.typeNames.indexOf("Session");
  const best = t < 0 ? -1 : types.largest[t];
  const steps = best < 0 ? [] : pathTo(graph, sp, best);
  const t4 = performance.now();
  report({
    ms: t4 - t0,
    readMs: t1 - t0,
    dominatorsMs: t2 - t1,
    retainedMs: t3 - t2,
    pathsMs: t4 - t3,
    nodes: graph.nodeCount,
    edges: graph.edgeTarget.length,
    sessions: types.reachable[t],
    sessionRetained: types.bytes[t],
    heapRetained: types.total,
    path: steps.map((s) => `${s.edge} → ${s.type}`).join(" | "),
  });
} else if (args.child === "memlab") {
  const { getFullHeapFromFile } = await import("@memlab/heap-analysis");
  const t0 = performance.now();
  const heap = await getFullHeapFromFile(args.file);
  const ms = performance.now() - t0;
  let nodes = 0;
  let sessions = 0;
  let sessionRetained = 0;
  heap.nodes.forEach((node) => {
    nodes++;
    if (node.type === "object" && node.name === "Session") {
      sessions++;
      sessionRetained += node.retainedSize;
    }
  });
  report({ ms, nodes, sessions, sessionRetained });
} else {
  await main();
}

function report(r) {
  const ru = process.resourceUsage();
  console.log(`RESULT ${JSON.stringify({ ...r, maxRssMB: ru.maxRSS / 1024, userS: ru.userCPUTime / 1e6, sysS: ru.systemCPUTime / 1e6 })}`);
}

async function main() {
  const n = Number(args.sessions ?? 1_400_000);
  const runs = Number(args.runs ?? 3);
  if (!existsSync(path.join(repo, "dist/analysis/retention/dominators.js"))) {
    console.error("dist/ is missing: run `npm run build` first");
    process.exit(1);
  }
  const dir = path.join(repo, "bench/tmp/retention");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `sessions-${n}.heapsnapshot`);
  if (!existsSync(file) || args.regen) {
    console.log(`generating ${file} (${n} Sessions) …`);
    execFileSync(process.execPath, ["--max-old-space-size=8192", "-e", GENERATOR, file, String(n)], { stdio: "inherit" });
  }
  const bytes = statSync(file).size;
  console.log(`snapshot: ${file}, ${(bytes / 1e6).toFixed(1)} MB`);
  if (bytes < 400e6) console.warn("warning: snapshot is smaller than 400 MB; use --sessions and --regen");

  const ours = [];
  const memlab = [];
  const heapMb = Number(args["memlab-heap-mb"] ?? 16384);
  for (let k = 0; k < runs; k++) {
    const r = await runChild(["--max-old-space-size=8192", self, "--child=ours", `--file=${file}`], 1200);
    console.log(`ours run ${k + 1}:`, JSON.stringify(r));
    ours.push(r);
    if (args["skip-memlab"]) continue;
    const m = await runChild([`--max-old-space-size=${heapMb}`, self, "--child=memlab", `--file=${file}`], Number(args["memlab-timeout-s"] ?? 1800));
    console.log(`memlab run ${k + 1}:`, JSON.stringify(m));
    memlab.push(m);
  }

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ok = ours.filter((r) => r.ok);
  const mok = memlab.filter((r) => r.ok);
  const o = ok[0];
  const lines = [
    "| | wall (analysis, in child) | wall (child process) | CPU user+sys | peak RSS (max) | nodes | Session retained |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    `| leakwatch (median of ${ok.length}) | ${s(median(ok.map((r) => r.ms)))} (read ${s(median(ok.map((r) => r.readMs)))}, dominators ${s(median(ok.map((r) => r.dominatorsMs)))}, retained ${s(median(ok.map((r) => r.retainedMs)))}, paths ${s(median(ok.map((r) => r.pathsMs)))}) | ${s(median(ok.map((r) => r.wallMs)))} | ${median(ok.map((r) => r.userS + r.sysS)).toFixed(1)} s | ${mb(Math.max(...ok.map((r) => r.maxRssMB)))} | ${o?.nodes} | ${o?.sessionRetained} |`,
  ];
  if (mok.length > 0) {
    lines.push(
      `| memlab getFullHeapFromFile (median of ${mok.length}) | ${s(median(mok.map((r) => r.ms)))} | ${s(median(mok.map((r) => r.wallMs)))} | ${median(mok.map((r) => r.userS + r.sysS)).toFixed(1)} s | ${mb(Math.max(...mok.map((r) => r.maxRssMB)))} | ${mok[0].nodes} | ${mok[0].sessionRetained} |`,
      "",
      `speed (memlab / leakwatch): ${(median(mok.map((r) => r.ms)) / median(ok.map((r) => r.ms))).toFixed(1)}× analysis wall, ` +
        `${(median(mok.map((r) => r.wallMs)) / median(ok.map((r) => r.wallMs))).toFixed(1)}× child wall, ` +
        `${(median(mok.map((r) => r.userS + r.sysS)) / median(ok.map((r) => r.userS + r.sysS))).toFixed(1)}× CPU; ` +
        `peak RSS: leakwatch = ${((100 * Math.max(...ok.map((r) => r.maxRssMB))) / Math.max(...mok.map((r) => r.maxRssMB))).toFixed(0)} % of memlab's`,
    );
  }
  for (const m of memlab.filter((r) => !r.ok)) lines.push(`memlab failed: ${m.error} after ${s(m.wallMs)}`);
  const cpu = os.cpus();
  console.log(
    `\nmachine: ${cpu.length} × ${cpu[0]?.model}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
  console.log(`snapshot: ${(bytes / 1e6).toFixed(1)} MB, ${n} Sessions; ours: ${o?.edges} strong edges; path: ${o?.path}\n`);
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
