// Short human-readable numbers for verdict reasons.

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** 1536 → "1.5 KiB", −2097152 → "-2.0 MiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const sign = bytes < 0 ? "-" : "";
  return u === 0 ? `${sign}${Math.round(v)} B` : `${sign}${v.toFixed(1)} ${UNITS[u]}`;
}

/** 0.1234 → "12.3%". */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return String(ratio);
  return `${(ratio * 100).toFixed(1)}%`;
}

/** 75 → "75s", 3900 → "65 min", 90000 → "25.0 h". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds < 120) return `${Math.round(seconds)}s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** p-values: 0.01234 → "0.012", 0.0000123 → "1.2e-5". */
export function formatP(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  return p >= 0.001 ? p.toPrecision(2) : p.toExponential(1);
}
