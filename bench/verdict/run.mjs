#!/usr/bin/env node
// Benchmark of the leak verdict's accuracy: precision, recall and delay over many seeded synthetic patterns, fed dump
// after dump to the verdict window (TypeWindow) exactly as the daemon does, for this checkout ("after") and for the
// base commit's verdict ("before", default main's 367a1f0: its src/analysis is taken with `git archive` into
// bench/tmp/ and transpiled there with TypeScript's transpileModule). Both see the same dumps from the same seeds, one dump at a time,
// alternately.
//
// Each seed is one run of 60 dumps, 2 s apart, with one type per pattern:
//   leaks (a positive from their onset on): linear, staircase (a step every 2–5 dumps), slow (0.25–0.4 MiB a dump),
//   late-onset (flat, then linear from dump 15–30), load-proportional (grows only while load runs, idle 30% of the
//   steps), release (linear, then 40% of what it gained freed at once at dump 20–35, then linear again);
//   not leaks: sawtooth (period 3–10), bounded LRU, noisy constant, constant, a cache that fills for the first 12 dumps
//   (24 s) then stays flat.
// Noise: Gaussian, standard deviation 0, ½ or 1 × the pattern's growth per dump (by seed), ≥ 0.5% of the base for
// the flat ones.
// Counted: every dump of every type. A flagged dump is a true positive when the type leaks and its onset has passed,
// else a false positive. Recall: leak series flagged at least once after onset; delay: dumps from onset to the first
// flag; held: of the dumps after the first flag, the share still flagged (what flickering costs).
//
// Usage (from the repository root):  npm run build && node bench/verdict/run.mjs [--seeds 300] [--base REV]
//   [--warmup SECONDS] (the "after" run's --warmup, default 0) [--scale N] (instead: CPU and heap of the verdicts of N types) [--results FILE] (default bench/verdict/RESULTS.md; only
//   the part between the results markers is replaced; --no-write to print only)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const SEEDS = Number(opt("seeds", "300"));
const BASE = opt("base", "367a1f0");
const WARMUP = Number(opt("warmup", "0"));
const RESULTS = opt("results", path.join(ROOT, "bench/verdict/RESULTS.md"));
const WRITE = !args.includes("--no-write");
const DUMPS = 60;
const INTERVAL_MS = 2000;
const MiB = 1024 * 1024;

/** The base commit's analysis, transpiled (no type check) into bench/tmp/verdict-base/. */
function buildBase() {
  const dir = path.join(ROOT, "bench/tmp/verdict-base");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tar = execFileSync("git", ["-C", ROOT, "archive", BASE, "src/analysis", "src/model"]);
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
  const files = readdirSync(path.join(dir, "src/analysis"))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(dir, "src/analysis", f));
  mkdirSync(path.join(dir, "out"));
  for (const f of files) {
    const js = ts.transpileModule(readFileSync(f, "utf8"), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    writeFileSync(path.join(dir, "out", path.basename(f).replace(/\.ts$/, ".js")), js);
  }
  return path.join(dir, "out/window.js");
}

/** One seed's types: name → { bytes per dump, leak, onset (first leaking dump) }. */
function scenario(seed) {
  const u = mulberry32(seed * 7919 + 13);
  const g = () => Math.sqrt(-2 * Math.log(Math.max(u(), 1e-12))) * Math.cos(2 * Math.PI * u());
  const pick = (a, b) => a + (b - a) * u();
  const noiseK = [0, 0.5, 1][seed % 3];
  const n = DUMPS;
  const out = [];
  const add = (name, leak, onset, fn, perDump, base) => {
    const sd = Math.max(noiseK * perDump, leak ? 0 : 0.005 * base * (noiseK > 0 ? 1 : 0));
    const bytes = Array.from({ length: n }, (_, i) => Math.max(0, fn(i) + sd * g()));
    out.push({ name, leak, onset, bytes });
  };
  {
    const s = pick(0.5, 1.5) * MiB;
    const b = pick(10, 40) * MiB;
    add("linear", true, 0, (i) => b + s * i, s, b);
  }
  {
    const p = 2 + Math.floor(u() * 4);
    const s = pick(0.5, 1.5) * MiB;
    const b = pick(10, 40) * MiB;
    add("staircase", true, 0, (i) => b + s * p * Math.floor(i / p), s, b);
  }
  {
    const s = pick(0.25, 0.4) * MiB;
    const b = pick(8, 12) * MiB;
    add("slow", true, 0, (i) => b + s * i, s, b);
  }
  {
    const on = 15 + Math.floor(u() * 16);
    const s = pick(0.5, 1.5) * MiB;
    const b = pick(10, 40) * MiB;
    add("late-onset", true, on, (i) => b + s * Math.max(0, i - on), s, b);
  }
  {
    const s = pick(0.8, 2) * MiB;
    const b = pick(10, 40) * MiB;
    let level = b;
    const levels = [];
    for (let i = 0; i < n; i++) {
      levels.push(level);
      if (u() > 0.3) level += s * pick(0.5, 1.5);
    }
    add("load-proportional", true, 0, (i) => levels[i], s * 0.7, b);
  }
  {
    const r = 20 + Math.floor(u() * 16);
    const s = pick(0.5, 1.5) * MiB;
    const b = pick(10, 40) * MiB;
    const at = (i) => b + s * i;
    const freed = 0.4 * (at(r - 1) - b); // 40% of what the leak holds
    add("release", true, 0, (i) => (i < r ? at(i) : at(i) - freed), s, b);
  }
  {
    const p = 3 + Math.floor(u() * 8);
    const s = pick(0.5, 2) * MiB;
    const b = pick(10, 40) * MiB;
    const ph = Math.floor(u() * p);
    add("sawtooth", false, Infinity, (i) => b + s * ((i + ph) % p), s, b);
  }
  {
    const b = pick(10, 40) * MiB;
    const cap = b + pick(5, 30) * MiB;
    const rate = pick(0.2, 0.6);
    add("bounded-lru", false, Infinity, (i) => cap - (cap - b) * (1 - rate) ** i, ((cap - b) * rate) / 4, b);
  }
  {
    const b = pick(10, 40) * MiB;
    add("noisy-constant", false, Infinity, () => b, 0.02 * b, b);
  }
  {
    const b = pick(10, 40) * MiB;
    add("constant", false, Infinity, () => b, 0, b);
  }
  {
    const b = pick(10, 40) * MiB;
    const s = pick(0.5, 1.5) * MiB;
    add("filling-cache", false, Infinity, (i) => b + s * Math.min(i, 12), s, b);
  }
  return out;
}

function drain(gen) {
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
  }
}

function runOne(TypeWindow, types, options) {
  const w = new TypeWindow(options.window ?? 12);
  const flagged = types.map(() => []);
  const states = types.map(() => []);
  let ms = 0;
  for (let i = 0; i < DUMPS; i++) {
    const time = 1_700_000_000_000 + i * INTERVAL_MS;
    w.push(
      { time },
      types.map((t) => ({ type: t.name, count: Math.round(t.bytes[i] / 64), bytes: Math.round(t.bytes[i]) })),
    );
    const t0 = performance.now();
    const table = drain(w.verdicts(options, 1e9));
    ms += performance.now() - t0;
    types.forEach((t, k) => {
      const v = table.at(table.indexOf(t.name));
      flagged[k].push(Boolean(v?.suspect));
      states[k].push(v?.state ?? (v?.suspect ? "leaking" : "-"));
    });
  }
  return { flagged, states, ms };
}

function score(runs) {
  let tp = 0;
  let fp = 0;
  const per = new Map();
  const delays = [];
  let leakSeries = 0;
  let detected = 0;
  let heldNum = 0;
  let heldDen = 0;
  for (const { types, flagged } of runs) {
    types.forEach((t, k) => {
      const p = per.get(t.name) ?? { series: 0, detected: 0, flaggedDumps: 0, dumps: 0, delays: [], held: [0, 0] };
      per.set(t.name, p);
      p.series++;
      let first = -1;
      flagged[k].forEach((f, i) => {
        const truth = t.leak && i >= t.onset;
        p.dumps++;
        if (f) p.flaggedDumps++;
        if (f && truth) tp++;
        if (f && !truth) fp++;
        if (f && truth && first < 0) first = i;
      });
      if (t.leak) {
        leakSeries++;
        if (first >= 0) {
          detected++;
          p.detected++;
          delays.push(first - t.onset + 1);
          p.delays.push(first - t.onset + 1);
          const after = flagged[k].slice(first);
          const h = after.filter(Boolean).length;
          heldNum += h;
          heldDen += after.length;
          p.held[0] += h;
          p.held[1] += after.length;
        }
      }
    });
  }
  const med = (xs) => {
    if (xs.length === 0) return NaN;
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  return {
    precision: tp / Math.max(1, tp + fp),
    recall: detected / Math.max(1, leakSeries),
    medianDelay: med(delays),
    held: heldNum / Math.max(1, heldDen),
    fp,
    tp,
    per: [...per].map(([name, p]) => ({
      name,
      leak: runs[0].types.find((t) => t.name === name).leak,
      detected: p.detected / p.series,
      flaggedShare: p.flaggedDumps / p.dumps,
      medianDelay: med(p.delays),
      held: p.held[1] ? p.held[0] / p.held[1] : NaN,
    })),
  };
}

const baseWindow = (await import(pathToFileURL(buildBase()).href)).TypeWindow;

/** --scale N: CPU per dump of the verdicts and heap held by the window with N types, before vs after, interleaved. */
async function scale(n) {
  const { setFlagsFromString } = await import("node:v8");
  const { runInNewContext } = await import("node:vm");
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc");
  const dumps = 15;
  const rows = (d) =>
    Array.from({ length: n }, (_, i) => {
      // 1% of the types grow, the rest wobble a little or stay.
      const count = 100 + (i % 100 === 0 ? d * 50 : i % 7 === 0 ? d % 3 : 0);
      return { type: `com.example.Type${i}`, count, bytes: count * 48 };
    });
  const measure = (TypeWindow) => {
    gc();
    // Typed arrays live outside the JS heap: count both.
    const used = () => process.memoryUsage().heapUsed + process.memoryUsage().external;
    const before = used();
    const w = new TypeWindow(12);
    let ms = 0;
    for (let d = 0; d < dumps; d++) {
      w.push({ time: 1_700_000_000_000 + d * 2000 }, rows(d));
      const t0 = performance.now();
      drain(w.verdicts({}, 1e9));
      if (d >= 12) ms += performance.now() - t0;
    }
    gc();
    const held = used() - before;
    if (!w) throw new Error("unreachable"); // keeps the window alive until measured
    return { ms: ms / (dumps - 12), mb: held / 1e6 };
  };
  const out = { before: [], after: [] };
  for (let round = 0; round < 2; round++) {
    for (const which of round % 2 ? ["after", "before"] : ["before", "after"]) out[which].push(measure(which === "before" ? baseWindow : newWindow));
  }
  const avg = (xs, k) => xs.reduce((a, x) => a + x[k], 0) / xs.length;
  const b = { ms: avg(out.before, "ms"), mb: avg(out.before, "mb") };
  const a = { ms: avg(out.after, "ms"), mb: avg(out.after, "mb") };
  return `With ${n} types (1% growing), 15 dumps, 2 interleaved rounds: verdicts of one dump ${b.ms.toFixed(0)} ms before, ${a.ms.toFixed(0)} ms after (×${(a.ms / b.ms).toFixed(2)}); memory (JS heap + typed arrays) held by the window and its verdicts ${b.mb.toFixed(0)} MB before, ${a.mb.toFixed(0)} MB after (×${(a.mb / b.mb).toFixed(2)}).`;
}
const newWindowPath = path.join(ROOT, "dist/analysis/window.js");
if (!existsSync(newWindowPath)) throw new Error("dist/ missing: npm run build first");
// The same seeded generator the code under test uses (src/analysis/prng.ts), from the build.
const { mulberry32 } = await import(pathToFileURL(path.join(ROOT, "dist/analysis/prng.js")).href);
const newWindow = (await import(pathToFileURL(newWindowPath).href)).TypeWindow;

const SCALE = opt("scale", undefined);
if (SCALE !== undefined) {
  console.log(await scale(Number(SCALE)));
  rmSync(path.join(ROOT, "bench/tmp/verdict-base"), { recursive: true, force: true });
  process.exit(0);
}

const before = [];
const after = [];
let msBefore = 0;
let msAfter = 0;
for (let seed = 1; seed <= SEEDS; seed++) {
  const types = scenario(seed);
  // Alternate which one runs first.
  const order = seed % 2 ? ["b", "a"] : ["a", "b"];
  for (const which of order) {
    if (which === "b") {
      const r = runOne(baseWindow, types, {});
      msBefore += r.ms;
      before.push({ types, ...r });
    } else {
      const r = runOne(newWindow, types, { warmupSeconds: WARMUP });
      msAfter += r.ms;
      after.push({ types, ...r });
    }
  }
}

// The filling cache with a warm-up covering it (30 s), new verdict only.
const warm = [];
for (let seed = 1; seed <= SEEDS; seed++) warm.push({ types: scenario(seed), ...runOne(newWindow, scenario(seed), { warmupSeconds: 30 }) });
const warmCache = score(warm).per.find((p) => p.name === "filling-cache");
// Without warm-up: how many dumps after its plateau (dump 12) the filling cache is still leaking.
const plateauExit = after.map(({ flagged, types }) => {
  const k = types.findIndex((t) => t.name === "filling-cache");
  let last = -1;
  flagged[k].forEach((f, i) => {
    if (f) last = i;
  });
  return last < 0 ? 0 : Math.max(0, last - 12);
});
// Release: flagged at every dump after first flagged?
const releaseHeld = after.filter(({ flagged, types }) => {
  const k = types.findIndex((t) => t.name === "release");
  const f = flagged[k];
  const first = f.indexOf(true);
  return first >= 0 && f.slice(first).every(Boolean);
}).length;

const b = score(before);
const a = score(after);
const pct = (x) => (Number.isNaN(x) ? "–" : `${(100 * x).toFixed(1)}%`);
const num = (x) => (Number.isNaN(x) ? "–" : x.toFixed(1));
const lines = [];
lines.push(`${SEEDS} seeds × ${DUMPS} dumps × 11 types; "after" with --warmup ${WARMUP}s. Node ${process.version}.`);
lines.push("");
lines.push("| | before (base verdict) | after | goal |");
lines.push("| --- | --- | --- | --- |");
lines.push(`| precision, every dump | ${pct(b.precision)} (${b.fp} false dumps) | ${pct(a.precision)} (${a.fp} false dumps) | ≥ 95% |`);
lines.push(`| recall, leak series flagged | ${pct(b.recall)} | ${pct(a.recall)} | ≥ 95% |`);
lines.push(`| median delay, dumps from onset | ${num(b.medianDelay)} | ${num(a.medianDelay)} | ≤ 6 |`);
lines.push(`| held: dumps still flagged after the first flag | ${pct(b.held)} | ${pct(a.held)} | |`);
lines.push(`| verdict CPU, ms per dump (11 types) | ${(msBefore / SEEDS / DUMPS).toFixed(3)} | ${(msAfter / SEEDS / DUMPS).toFixed(3)} | |`);
lines.push("");
lines.push("Per pattern (detected = share of series flagged at least once; flagged = share of all its dumps flagged):");
lines.push("");
lines.push("| pattern | leak | detected before → after | flagged dumps before → after | median delay before → after | held before → after |");
lines.push("| --- | --- | --- | --- | --- | --- |");
for (const p of a.per) {
  const q = b.per.find((x) => x.name === p.name);
  lines.push(
    `| ${p.name} | ${p.leak ? "yes" : "no"} | ${pct(q.detected)} → ${pct(p.detected)} | ${pct(q.flaggedShare)} → ${pct(p.flaggedShare)} | ${num(q.medianDelay)} → ${num(p.medianDelay)} | ${pct(q.held)} → ${pct(p.held)} |`,
  );
}
lines.push("");
const exits = [...plateauExit].sort((x, y) => x - y);
lines.push(
  `Release (40% freed once): after the first flag, flagged at every later dump in ${releaseHeld} of ${SEEDS} series. ` +
    `Filling cache without warm-up: its last flagged dump comes a median ${exits[Math.floor(exits.length / 2)]} and at most ` +
    `${exits.at(-1)} dumps after its plateau begins (dump 12); with --warmup 30s it is flagged in ${pct(warmCache.detected)} of the series.`,
);
const text = lines.join("\n");
console.log(text);
if (WRITE) {
  const file = readFileSync(RESULTS, "utf8");
  const begin = "<!-- results:begin -->";
  const end = "<!-- results:end -->";
  writeFileSync(RESULTS, `${file.slice(0, file.indexOf(begin) + begin.length)}\n${text}\n${file.slice(file.indexOf(end))}`);
}
rmSync(path.join(ROOT, "bench/tmp/verdict-base"), { recursive: true, force: true });
