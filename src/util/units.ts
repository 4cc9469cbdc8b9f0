// Sizes and durations as people type them on a command line ("200m", "1.5GiB", "30s", "2h").

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/**
 * Parses a byte size. Units are binary, as in `docker run --memory=300m` and cgroup tools: 200m = 200 MiB.
 * Returns undefined for anything that is not a positive finite size.
 */
export function parseSize(input: string | number): number | undefined {
  if (typeof input === "number") return Number.isFinite(input) && input > 0 ? Math.floor(input) : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(input);
  if (!m) return undefined;
  const factor = SIZE_UNITS[m[2]!.toLowerCase()];
  if (factor === undefined) return undefined;
  const value = Math.floor(Number(m[1]) * factor);
  return value > 0 && Number.isSafeInteger(value) ? value : undefined;
}

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Parses a duration ("500ms", "30s", "5m", "2h", "1h30m", or a bare number of seconds) into seconds. */
/**
 * The longest duration leakwatch accepts, in seconds (24d 20h 31m 23s): Node's timers hold a signed 32-bit number
 * of milliseconds, and a longer wait silently becomes 1 ms (a dump every millisecond, a timeout at once).
 */
export const MAX_DURATION_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** The error for a duration over MAX_DURATION_SECONDS, or undefined. */
export function durationTooLong(seconds: number): string | undefined {
  return seconds > MAX_DURATION_SECONDS ? "at most 24 days (Node's timers cannot wait longer)" : undefined;
}

export function parseDuration(input: string | number): number | undefined {
  if (typeof input === "number") return Number.isFinite(input) && input >= 0 ? input : undefined;
  const s = input.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    consumed = re.lastIndex;
  }
  return consumed === s.length && consumed > 0 ? total : undefined;
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
