// Synthetic dump series for the analysis tests: deterministic (seeded), minutes apart.

import { mulberry32 } from "../../../src/analysis/prng.js";
import type { VerdictDump } from "../../../src/analysis/verdict.js";

export const MiB = 1024 * 1024;
export const MINUTE = 60_000;

/** Seeded standard normal numbers (Box–Muller over mulberry32). */
export function gaussian(seed: number): () => number {
  const u = mulberry32(seed);
  return () => {
    const a = Math.max(u(), 1e-12);
    const b = u();
    return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * b);
  };
}

export interface SeriesOptions {
  /** Type name (default "Leaky"). */
  type?: string;
  /** Milliseconds between dumps (default 5 minutes). */
  intervalMs?: number;
  /** Average object size, to derive counts (default 64). */
  objectSize?: number;
  /** Cumulative requests per dump, when load is known. */
  requests?: readonly number[];
  /** Extra rows added to every dump (constant types). */
  background?: { type: string; count: number; bytes: number }[];
}

/** Dumps for one type whose bytes follow `bytes` (a NaN entry = the type is missing from that dump). */
export function dumpsFromBytes(bytes: readonly number[], o: SeriesOptions = {}): VerdictDump[] {
  const type = o.type ?? "Leaky";
  const interval = o.intervalMs ?? 5 * MINUTE;
  const size = o.objectSize ?? 64;
  return bytes.map((b, i) => {
    const rows = Number.isNaN(b) ? [] : [{ type, count: Math.round(b / size), bytes: Math.round(b) }];
    const d: VerdictDump = { time: 1_700_000_000_000 + i * interval, types: [...rows, ...(o.background ?? [])] };
    if (o.requests) d.requests = o.requests[i]!;
    return d;
  });
}

/** base + slope·i for i in [0, n). */
export function linear(n: number, base: number, perDump: number): number[] {
  return Array.from({ length: n }, (_, i) => base + perDump * i);
}

/** Adds Gaussian noise with standard deviation `sd` (seeded). */
export function withNoise(values: readonly number[], sd: number, seed: number): number[] {
  const g = gaussian(seed);
  return values.map((v) => v + sd * g());
}

/** Rises by `perDump` for `rising` dumps, then stays flat for `flat` dumps. */
export function warmupThenPlateau(base: number, perDump: number, rising: number, flat: number): number[] {
  const out: number[] = [];
  for (let i = 0; i <= rising; i++) out.push(base + perDump * i);
  for (let i = 0; i < flat; i++) out.push(base + perDump * rising);
  return out;
}

/** A cache that fills by `perDump` for `period` dumps and is then cleared back to `base`. */
export function sawtooth(n: number, base: number, perDump: number, period: number, phase = 0): number[] {
  return Array.from({ length: n }, (_, i) => base + perDump * ((i + phase) % period));
}

/** A bounded LRU: fills towards `capacity` with diminishing steps (fills half the gap each dump), then stays. */
export function boundedLru(n: number, base: number, capacity: number, fillRate = 0.5): number[] {
  const out: number[] = [];
  let level = base;
  for (let i = 0; i < n; i++) {
    out.push(level);
    level += (capacity - level) * fillRate;
  }
  return out;
}
