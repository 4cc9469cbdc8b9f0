// What leakwatch reads from one memory cgroup, the same shape for v1 and v2. A field is undefined when the
// file is absent on that version or kernel (not an error), or when the value means "unlimited".

export interface CgroupMemoryStats {
  version: 1 | 2;
  usage: number;
  /** usage − inactive_file, floored at 0 (cAdvisor's container_memory_working_set_bytes). */
  workingSet: number;
  /** The effective limit: the minimum over this cgroup and its ancestors; undefined when all are unlimited. */
  limit?: number;
  /** Minimum over the limited levels of (limit − usage at that level); undefined when none is limited. */
  headroom?: number;
  high?: number;
  swapLimit?: number;
  peak?: number;
  /** Cumulative event counters by event name (oom, oom_kill, high, max, failcnt). */
  events: Record<string, number>;
  /** PSI totals in seconds (v2 memory.pressure). */
  pressure: { some?: number; full?: number };
  /** Selected memory.stat byte fields, by their v2 or v1 names (v1 total_* values, prefix removed). */
  stat: Record<string, number>;
}

/** v1 reports "unlimited" as PAGE_COUNTER_MAX rounded to pages (9223372036854771712 on x86_64): anything ≥ 2^62. */
export const V1_UNLIMITED_THRESHOLD = 2 ** 62;

/** Parses "key value" lines (memory.stat, memory.events, memory.oom_control). */
export function parseKeyValues(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** PSI lines: "some avg10=0.00 avg60=0.00 avg300=0.00 total=12345" (total in microseconds). */
export function parsePressure(text: string): { some?: number; full?: number } {
  const out: { some?: number; full?: number } = {};
  for (const line of text.split("\n")) {
    const m = /^(some|full)\b.*\btotal=(\d+)/.exec(line.trim());
    if (m) out[m[1] as "some" | "full"] = Number(m[2]) / 1e6;
  }
  return out;
}

export function effectiveLimit(levels: { limit?: number; usage?: number }[]): { limit?: number; headroom?: number } {
  let limit: number | undefined;
  let headroom: number | undefined;
  for (const l of levels) {
    if (l.limit === undefined) continue;
    limit = limit === undefined ? l.limit : Math.min(limit, l.limit);
    if (l.usage !== undefined) {
      const h = Math.max(0, l.limit - l.usage);
      headroom = headroom === undefined ? h : Math.min(headroom, h);
    }
  }
  return { limit, headroom };
}
