#!/usr/bin/env node
// The headroom guard against issue 12's target: a Node process holding 445 k small objects in one array
// (test/fixtures/programs/items.js), whose V8 snapshot costs it ~850 MB. For each memory limit, leakwatch (the built
// CLI) launches it under --memory-limit with a dump every 2 s and watches for a minute; reported per limit: dumps by
// result and reason, OOM kills, whether the target survived, and what the dumps that ran cost the target.
// The test suite runs a short version of the same (test/faults/headroom.test.ts); this is the full one.
//
// Usage (from the repository root, as root: --memory-limit creates a memory cgroup):
//   npm run build && node bench/headroom/run.mjs [--limits 600m,700m,900m,1200m,3g] [--seconds 60] [--results FILE]
//
//   --limits LIST   memory limits, one run each, one after the other (default 600m,700m,900m,1200m,3g; the last
//                   has room for the careful first estimate, so dumps run and their cost is learned)
//   --seconds S     how long each run dumps (default 60)
//   --objects N     objects the target holds (default 445000)
//   --results FILE  default bench/headroom/RESULTS.md (only the part between the results markers is replaced)
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const limits = opt("limits", "600m,700m,900m,1200m,3g").split(",");
const seconds = Number(opt("seconds", "60"));
const objects = Number(opt("objects", "445000"));
const resultsFile = path.resolve(ROOT, opt("results", "bench/headroom/RESULTS.md"));
if (!existsSync(path.join(ROOT, "dist/cli/main.js"))) throw new Error("build first: npm run build");

/** Values of one metric family from an exposition, as [labels, value] pairs. */
function family(text, name) {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[1] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    out.push([labels, Number(m[2])]);
  }
  return out;
}

async function runOne(limit) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "lw-bench-headroom-"));
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, "bin/leakwatch.js"),
      "--memory-limit",
      limit,
      "--dump-every",
      "2s",
      "--name",
      "items",
      "--data-dir",
      dataDir,
      "--listen",
      "127.0.0.1:0",
      "--linger",
      `${seconds + 60}s`,
      "--",
      process.execPath,
      path.join(ROOT, "test/fixtures/programs/items.js"),
      String(objects),
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d) => (log += d));
  const exited = new Promise((r) => child.on("exit", (code, signal) => r({ code, signal })));
  try {
    let address;
    for (let i = 0; i < 100 && !address; i++) {
      await sleep(100);
      address = /"address":"([^"]+)"/.exec(log)?.[1];
    }
    if (!address) throw new Error(`leakwatch did not start: ${log.slice(-500)}`);
    const started = Date.now();
    await sleep(seconds * 1000);
    const text = await (await fetch(`http://${address}/metrics`)).text();
    const dumps = {};
    for (const [l, v] of family(text, "leakwatch_heap_dumps_total")) dumps[`${l.result}${l.reason ? ` ${l.reason}` : ""}`] = v;
    const oomKills = family(text, "leakwatch_cgroup_memory_events_total").find(([l]) => l.event === "oom_kill")?.[1];
    const up = family(text, "leakwatch_target_up")[0]?.[1];
    const lines = log
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l));
    const costs = lines
      .filter((l) => l.msg === "heap dump cost the target" && l.estimate !== undefined)
      .map((l) => ({ growth: l.growth, estimate: l.estimate }));
    const firstSkip = lines.find((l) => l.msg === "heap dump skipped" && l.reason === "insufficient_headroom")?.message;
    const exits = lines.filter((l) => l.msg === "target exited").map((l) => `${l.code ?? l.signal}${l.oomKillSuspected ? " (OOM kill)" : ""}`);
    return { limit, seconds: Math.round((Date.now() - started) / 1000), dumps, oomKills, up, costs, firstSkip, exits };
  } finally {
    child.kill("SIGTERM");
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const MiB = 1024 * 1024;
const results = [];
for (const limit of limits) {
  process.stderr.write(`headroom bench: ${limit} for ${seconds} s…\n`);
  const r = await runOne(limit);
  process.stderr.write(`  ${JSON.stringify(r)}\n`);
  results.push(r);
}

let commit = "?";
try {
  commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
} catch {}
const rows = results.map((r) => {
  const dumps = Object.entries(r.dumps)
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");
  const cost = r.costs.length
    ? `${r.costs.length} ran; growth ${Math.round(Math.min(...r.costs.map((c) => c.growth)) / MiB)}-${Math.round(Math.max(...r.costs.map((c) => c.growth)) / MiB)} MiB; estimates ${Math.round(Math.min(...r.costs.map((c) => c.estimate)) / MiB)}-${Math.round(Math.max(...r.costs.map((c) => c.estimate)) / MiB)} MiB`
    : "none ran";
  return `| ${r.limit} | ${r.seconds} s | ${dumps || "none"} | ${r.oomKills ?? "?"} | ${r.up === 1 && r.exits.length === 0 ? "yes" : `no (${r.exits.join(", ") || "down"})`} | ${cost} |`;
});
const skip = results.find((r) => r.firstSkip)?.firstSkip;
const block = [
  `Run ${new Date().toISOString()} at commit ${commit}: \`node bench/headroom/run.mjs --limits ${limits.join(",")} --seconds ${seconds} --objects ${objects}\`.`,
  "",
  `- machine: nproc ${os.cpus().length}, Node ${process.version}, load average at the end ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
  "",
  "| limit | dumping | dumps (result reason: count) | OOM kills | target alive | dumps that ran: what they cost the target, and the estimate they ran on |",
  "| --- | ---: | --- | ---: | --- | --- |",
  ...rows,
  "",
  skip ? `A skip, as logged: "${skip}"` : "",
].join("\n");

const begin = "<!-- results:begin (written by bench/headroom/run.mjs; edit outside these markers) -->";
const end = "<!-- results:end -->";
const old = existsSync(resultsFile) ? readFileSync(resultsFile, "utf8") : `# Headroom guard benchmark\n\n${begin}\n${end}\n`;
const i = old.indexOf(begin);
const j = old.indexOf(end);
writeFileSync(resultsFile, i >= 0 && j > i ? `${old.slice(0, i + begin.length)}\n${block}\n${old.slice(j)}` : `${old}\n${begin}\n${block}\n${end}\n`);
process.stderr.write(`headroom bench: results in ${path.relative(ROOT, resultsFile)}\n`);
