#!/usr/bin/env node
// HPROF analysis at scale: a >= 1 GB HPROF of a >= 10 M-object heap (bench/hprof/Gen.java, dumped with jcmd
// GC.heap_dump) read with leakwatch's HPROF reader, then dominators, retained sizes, shortest paths and one path
// (bench/hprof/analyse.mjs, in a child process: its wall time and peak RSS), against the floor: reading the file,
// `cat FILE > /dev/null`. The file is in the page cache for both (a first read warms it); runs interleaved.
//
// Usage (from the repository root): npm run build && node bench/hprof/run.mjs [--nodes 6000000] [--runs 3]
//   [--file F.hprof (an existing dump; kept)]
// Temporary files: bench/tmp/hprof/ (the generated dump is removed after).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, closeSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const HERE = path.join(ROOT, "bench/hprof");
const TMP = path.join(ROOT, "bench/tmp/hprof");
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const NODES = Number(arg("nodes", "6000000"));
const RUNS = Number(arg("runs", "3"));
let file = arg("file", undefined);
const generated = file === undefined;

mkdirSync(TMP, { recursive: true });
const work = mkdtempSync(path.join(TMP, "run-"));
try {
  if (generated) {
    execFileSync("javac", ["-d", work, path.join(HERE, "Gen.java")]);
    const target = spawn("java", ["-XX:+UseSerialGC", "-Xmx4g", "-cp", work, "Gen", String(NODES)], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise((resolve, reject) => {
        target.stdout.on("data", (d) => String(d).includes("ready") && resolve());
        target.once("exit", () => reject(new Error("generator exited")));
      });
      file = path.join(work, "big.hprof");
      const t = performance.now();
      execFileSync("jcmd", [String(target.pid), "GC.heap_dump", file], { stdio: "ignore" });
      console.log(`dumped ${(statSync(file).size / 1e9).toFixed(2)} GB in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    } finally {
      target.kill("SIGKILL");
    }
  }
  const size = statSync(file).size;
  const cat = () => {
    const devnull = openSync("/dev/null", "w");
    const t = performance.now();
    const r = spawnSync("cat", [file], { stdio: ["ignore", devnull, "inherit"] });
    closeSync(devnull);
    if (r.status !== 0) throw new Error("cat failed");
    return performance.now() - t;
  };
  const analyse = () => {
    const t = performance.now();
    const r = spawnSync(process.execPath, [path.join(HERE, "analyse.mjs"), file], { encoding: "utf8", maxBuffer: 1 << 20 });
    const ms = performance.now() - t;
    if (r.status !== 0) throw new Error(`analyse failed: ${r.stderr}`);
    return { ms, ...JSON.parse(r.stdout) };
  };
  cat(); // into the page cache
  const cats = [];
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    cats.push(cat());
    runs.push(analyse());
    const last = runs.at(-1);
    console.log(
      `run ${i + 1}: cat ${cats.at(-1).toFixed(0)} ms; leakwatch ${last.ms.toFixed(0)} ms (parse ${last.parseMs.toFixed(0)}, dominators+retained ${last.retentionMs.toFixed(0)}, paths ${last.pathsMs.toFixed(0)}), peak RSS ${last.maxRssMB.toFixed(0)} MB`,
    );
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const floor = median(cats);
  const wall = median(runs.map((r) => r.ms));
  console.log(
    `${(size / 1e9).toFixed(2)} GB, ${runs[0].objects} objects, ${runs[0].edges} references: leakwatch ${(wall / 1000).toFixed(2)} s median of ${RUNS} = ${(wall / floor).toFixed(1)}× cat (${(floor / 1000).toFixed(2)} s); peak RSS ${Math.max(...runs.map((r) => r.maxRssMB)).toFixed(0)} MB`,
  );
  console.log(JSON.stringify({ node: process.version, cpus: os.cpus().length, size, floorMs: floor, wallMs: wall, runs }));
} finally {
  // The generated dump lives in work/; a --file given is elsewhere and kept.
  rmSync(work, { recursive: true, force: true });
}
