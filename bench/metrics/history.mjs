// Memory of the memory sampler's series (src/sampling/, what the live UI charts) once full-grown: 20 targets sampled
// every 2 s for its whole 2 h window, on a simulated clock (runs in a second). Compared in the same run with what it kept before d5e0a08:
// every sample as a MemorySample object in an array ring.
//
//   npm run build && node --expose-gc bench/metrics/history.mjs
import path from "node:path";
import { fileURLToPath } from "node:url";

if (typeof gc !== "function") {
  console.error("run with node --expose-gc");
  process.exit(2);
}
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { MemorySampler } = await import(path.join(ROOT, "dist/sampling/sampler.js"));

const TARGETS = 20;
const INTERVAL_MS = 2000;
const KEEP_MS = 2 * 3600 * 1000;
const ROUNDS = KEEP_MS / INTERVAL_MS;
const T0 = 1_795_000_000_000;

const retained = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
// Byte-sized values beyond 2^31 (boxed doubles on V8's heap when kept in objects), as real targets give.
const value = (i, k) => 1_500_000_000 + ((i * 7919 + k * 104729) % 100_000) * 4096;

// leakwatch's series
const targets = Array.from({ length: TARGETS }, (_, i) => ({
  name: `t${i}`,
  kind: "pid",
  up: true,
  main: { pid: 1000 + i, startTime: 1 },
  pids: [1000 + i],
  cgroup: undefined,
}));
let n = 0;
const proc = { memory: async () => ({ rss: value(n++, 1) }), stat: async () => ({ utime: n, stime: n, startTime: 1 }), oomScore: async () => 0 };
let base = retained();
const h = new MemorySampler({ targets: () => targets, proc, requests: () => n, intervalMs: INTERVAL_MS, keepMs: KEEP_MS });
for (let i = 0; i < ROUNDS; i++) await h.sample(T0 + i * INTERVAL_MS);
const ours = retained() - base;
const points = h.series("t0").length;

// the object ring it replaced
base = retained();
const rings = Array.from({ length: TARGETS }, () => []);
for (let i = 0; i < ROUNDS; i++) {
  for (const [t, ring] of rings.entries()) {
    ring.push({
      time: T0 + i * INTERVAL_MS,
      up: true,
      rss: value(i, t),
      usage: value(i, t + 1),
      workingSet: value(i, t + 2),
      limit: value(i, t + 3),
      headroom: value(i, t + 4),
      requests: i * 37,
    });
  }
}
const objects = retained() - base;
if (rings[0].length !== ROUNDS || h.series("t0").length !== points) throw new Error("unexpected sample counts"); // keeps both alive until measured

const mb = (b) => (b / 1048576).toFixed(2);
console.log(`memory series, ${TARGETS} targets, every ${INTERVAL_MS / 1000} s for ${KEEP_MS / 3600000} h (${ROUNDS} rounds):`);
console.log(`  leakwatch (columns, every sample for 10 min, then thinned): ${mb(ours)} MB retained, ${points} points per target`);
console.log(`  every sample as an object (before d5e0a08):                 ${mb(objects)} MB retained, ${ROUNDS} points per target`);
console.log(`  ratio: ${(ours / objects).toFixed(2)}x`);
