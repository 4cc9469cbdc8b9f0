// Benchmark: jmap/jcmd histogram text parsing throughput (goal ≥ 1 M rows/s).
//
//   npm run build && node bench/parsers/histogram-text.mjs [--rows=1000000] [--runs=5] [--shape=both|leak|distinct]
//
// Generates JDK 17-style `jmap -histo` tables in memory, ranked by bytes like jmap prints them, and parses
// each `runs` times in this process, reporting best and median rows/s. Two shapes:
// - leak: how a million-row histogram really comes about — a class leak. 50 k ordinary classes (with module
//   suffixes and array descriptors) plus 950 k generated classes (lambdas with run-specific counters and
//   addresses, reflection accessors, proxies) that normalise to a few hundred types.
// - distinct: worst case, 900 k distinct type names (10% lambda rows that merge).
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=")));
const rows = Number(args.rows ?? 1_000_000);
const runs = Number(args.runs ?? 5);
const shape = args.shape ?? "both";
const { parseJmapHistogram } = await import(pathToFileURL(path.join(repo, "dist/runtimes/jvm/histogram.js")).href);

function nameFor(kind, i) {
  if (kind === "distinct") {
    if (i % 10 === 0) return `com.example.svc${i % 100}.Handler$$Lambda$${i}/0x0000${(0x7f4b4c000000 + i * 16).toString(16)}`;
    if (i % 10 === 1) return `[Lcom.example.model${i % 1000}.Entity${i};`;
    return `com.example.gen${i % 1000}.Class${i} (app.module@1.0.${i % 7})`;
  }
  // leak
  if (i % 20 === 0) return i % 40 === 0 ? `[Lcom.example.model${i % 997}.Entity${i % 25013};` : `com.example.gen${i % 1000}.Class${i % 25013} (app.module@1.0)`;
  if (i % 20 < 15) return `com.example.svc${i % 200}.Handler$$Lambda$${i}/0x0000${(0x7f4b4c000000 + i * 16).toString(16)}`;
  if (i % 20 < 18) return `jdk.internal.reflect.GeneratedMethodAccessor${i} (java.base@17.0.15)`;
  return `jdk.proxy${1 + (i % 3)}.$Proxy${i} (jdk.proxy${1 + (i % 3)})`;
}

function generate(kind, n) {
  const out = [" num     #instances         #bytes  class name (module)", "-".repeat(55)];
  let count = 0;
  let bytes = 0;
  // Ranked by bytes, descending, as jmap prints them.
  for (let i = 1; i <= n; i++) {
    const size = 16 + (i % 5) * 8;
    const c = Math.max(1, Math.floor(((n - i + 1) * 50) / size));
    const b = c * size;
    out.push(`${String(i).padStart(4)}: ${String(c).padStart(13)} ${String(b).padStart(13)}  ${nameFor(kind, i)}`);
    count += c;
    bytes += b;
  }
  out.push(`Total ${String(count).padStart(13)} ${String(bytes).padStart(13)}`);
  return out.join("\n") + "\n";
}

const cpu = os.cpus();
console.log(
  `machine: ${cpu.length} × ${cpu[0]?.model}, Node ${process.version}, load average ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
for (const kind of shape === "both" ? ["leak", "distinct"] : [shape]) {
  let t0 = performance.now();
  let text = generate(kind, rows);
  console.log(`\n[${kind}] generated ${rows} rows, ${(text.length / 1e6).toFixed(1)} MB of text in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  const times = [];
  const cpuTimes = [];
  let body;
  for (let k = 0; k < runs; k++) {
    body = undefined; // let the previous result go before the next run
    const c0 = process.cpuUsage();
    t0 = performance.now();
    body = parseJmapHistogram(text);
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuTimes.push((c.user + c.system) / 1000);
  }
  const best = Math.min(...times);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const mrs = (ms) => ((rows / ms) * 1000) / 1e6;
  console.log(`[${kind}] ${body.types.length} types after normalisation, totalObjects ${body.totalObjects}`);
  console.log(
    `[${kind}] parse wall: best ${best.toFixed(0)} ms = ${mrs(best).toFixed(2)} M rows/s; median ${median(times).toFixed(0)} ms = ${mrs(median(times)).toFixed(2)} M rows/s` +
      ` | CPU time (user+sys, incl. GC threads): median ${median(cpuTimes).toFixed(0)} ms`,
  );
  text = undefined;
}
console.log(`\npeak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (includes the generated texts)`);
