// Reads one memory cgroup (v1 or v2) and its ancestors' limits. Files that do not exist on a version or kernel
// are skipped; any other read error propagates so the collector reports failure.
import { readFileSync } from "node:fs";
import path from "node:path";
import { type CgroupMemoryStats, V1_UNLIMITED_THRESHOLD, effectiveLimit, parseKeyValues, parsePressure } from "./stats.js";

// cgroupfs files live in kernel memory: synchronous reads are much cheaper than thread-pool round trips.
async function readOpt(file: string): Promise<string | undefined> {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function num(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : undefined;
}

/** v2 writes "max" for no limit. */
function v2Limit(text: string | undefined): number | undefined {
  return text === undefined || text.trim() === "max" ? undefined : num(text);
}

function v1Limit(text: string | undefined): number | undefined {
  const n = num(text);
  return n === undefined || n >= V1_UNLIMITED_THRESHOLD ? undefined : n;
}

// Byte-valued memory.stat fields worth a series each; counters such as pgfault are left out on purpose.
const V2_STAT_FIELDS = [
  "anon",
  "file",
  "kernel",
  "kernel_stack",
  "pagetables",
  "sock",
  "shmem",
  "file_mapped",
  "file_dirty",
  "file_writeback",
  "swapcached",
  "anon_thp",
  "active_anon",
  "inactive_anon",
  "active_file",
  "inactive_file",
  "unevictable",
  "slab",
  "slab_reclaimable",
  "slab_unreclaimable",
];
const V1_STAT_FIELDS = [
  "cache",
  "rss",
  "rss_huge",
  "shmem",
  "mapped_file",
  "dirty",
  "writeback",
  "swap",
  "active_anon",
  "inactive_anon",
  "active_file",
  "inactive_file",
  "unevictable",
];

export async function readCgroupV2(levels: string[]): Promise<CgroupMemoryStats> {
  const dir = levels[0]!;
  const f = (name: string) => readOpt(path.join(dir, name));
  const [current, high, swapMax, peak, eventsText, pressureText, statText] = await Promise.all([
    f("memory.current"),
    f("memory.high"),
    f("memory.swap.max"),
    f("memory.peak"),
    f("memory.events"),
    f("memory.pressure"),
    f("memory.stat"),
  ]);
  if (current === undefined) throw new Error(`${dir}: no memory.current (memory controller not enabled here)`);
  const usage = num(current) ?? 0;
  const stat = parseKeyValues(statText ?? "");
  const levelInfo = await Promise.all(
    levels.map(async (l, i) => ({
      limit: v2Limit(await readOpt(path.join(l, "memory.max"))),
      usage: i === 0 ? usage : num(await readOpt(path.join(l, "memory.current"))),
    })),
  );
  const ev = parseKeyValues(eventsText ?? "");
  const events: Record<string, number> = {};
  for (const k of ["oom", "oom_kill", "high", "max"]) if (ev[k] !== undefined) events[k] = ev[k]!;
  return {
    version: 2,
    usage,
    workingSet: Math.max(0, usage - (stat.inactive_file ?? 0)),
    ...effectiveLimit(levelInfo),
    high: v2Limit(high),
    swapLimit: v2Limit(swapMax),
    peak: num(peak),
    events,
    pressure: parsePressure(pressureText ?? ""),
    stat: pick(stat, V2_STAT_FIELDS, ""),
  };
}

export async function readCgroupV1(levels: string[]): Promise<CgroupMemoryStats> {
  const dir = levels[0]!;
  const f = (name: string) => readOpt(path.join(dir, name));
  const [usageText, memswLimit, maxUsage, failcnt, memswFailcnt, oomControl, statText] = await Promise.all([
    f("memory.usage_in_bytes"),
    f("memory.memsw.limit_in_bytes"),
    f("memory.max_usage_in_bytes"),
    f("memory.failcnt"),
    f("memory.memsw.failcnt"),
    f("memory.oom_control"),
    f("memory.stat"),
  ]);
  if (usageText === undefined) throw new Error(`${dir}: no memory.usage_in_bytes`);
  const usage = num(usageText) ?? 0;
  const stat = parseKeyValues(statText ?? "");
  const levelInfo = await Promise.all(
    levels.map(async (l, i) => ({
      limit: v1Limit(await readOpt(path.join(l, "memory.limit_in_bytes"))),
      usage: i === 0 ? usage : num(await readOpt(path.join(l, "memory.usage_in_bytes"))),
    })),
  );
  const events: Record<string, number> = {};
  // With memsw (memory+swap) limited too, the kernel charges memsw first and counts hits there, so the times
  // any limit was hit are the sum of both counters.
  const fc = num(failcnt);
  if (fc !== undefined) events.failcnt = fc + (num(memswFailcnt) ?? 0);
  const oom = parseKeyValues(oomControl ?? "");
  if (oom.oom_kill !== undefined) events.oom_kill = oom.oom_kill;
  // Hierarchical values (total_*) include child cgroups, as v2's memory.stat does.
  const inactiveFile = stat.total_inactive_file ?? stat.inactive_file ?? 0;
  const ownLimit = levelInfo[0]!.limit;
  const memsw = v1Limit(memswLimit);
  return {
    version: 1,
    usage,
    workingSet: Math.max(0, usage - inactiveFile),
    ...effectiveLimit(levelInfo),
    // memsw is memory+swap: the swap allowance is the difference (0 means no swap at all).
    swapLimit: memsw !== undefined && ownLimit !== undefined ? Math.max(0, memsw - ownLimit) : undefined,
    peak: num(maxUsage),
    events,
    pressure: {},
    stat: pick(stat, V1_STAT_FIELDS, "total_"),
  };
}

function pick(stat: Record<string, number>, fields: string[], preferPrefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of fields) {
    const v = stat[preferPrefix + k] ?? stat[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

export function readCgroup(version: 1 | 2, levels: string[]): Promise<CgroupMemoryStats> {
  return version === 1 ? readCgroupV1(levels) : readCgroupV2(levels);
}

/**
 * Only the usage and the recorded peak of one cgroup (v1 memory.usage_in_bytes and memory.max_usage_in_bytes, v2
 * memory.current and memory.peak): two small reads, cheap enough to repeat every 100 ms while a dump runs.
 */
export async function readCgroupUsage(version: 1 | 2, dir: string): Promise<{ usage: number; peak?: number }> {
  const [usageFile, peakFile] = version === 1 ? ["memory.usage_in_bytes", "memory.max_usage_in_bytes"] : ["memory.current", "memory.peak"];
  const [usage, peak] = await Promise.all([readOpt(path.join(dir, usageFile)), readOpt(path.join(dir, peakFile))]);
  const u = num(usage);
  if (u === undefined) throw new Error(`${dir}: no ${usageFile}`);
  return { usage: u, peak: num(peak) };
}
