// /proc/PID/status: the memory lines are "Key:   <n> kB"; values are returned in bytes.

export interface ProcMemory {
  rss?: number; // VmRSS
  rssPeak?: number; // VmHWM
  rssAnon?: number;
  rssFile?: number;
  rssShmem?: number;
  virtual?: number; // VmSize
  swap?: number; // VmSwap
}

const FIELDS: Record<string, keyof ProcMemory> = {
  VmRSS: "rss",
  VmHWM: "rssPeak",
  RssAnon: "rssAnon",
  RssFile: "rssFile",
  RssShmem: "rssShmem",
  VmSize: "virtual",
  VmSwap: "swap",
};

export function parseStatus(text: string): ProcMemory {
  const out: ProcMemory = {};
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const key = FIELDS[line.slice(0, colon)];
    if (!key) continue;
    const m = /^\s*(\d+)\s*kB/.exec(line.slice(colon + 1));
    if (m) out[key] = Number(m[1]) * 1024;
  }
  return out;
}

/** The "Pss:" line of /proc/PID/smaps_rollup, in bytes. */
export function parseSmapsRollupPss(text: string): number | undefined {
  const m = /^Pss:\s+(\d+)\s*kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}
