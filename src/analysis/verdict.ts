// Per-type leak verdicts over the last W dumps.
//
// Series. The window is the last `window` dumps (by time). A type's series is its (count, bytes) in each window
// dump from its first appearance on — first appearance over ALL dumps passed in, so a type seen before the
// window is in its whole window. In a dump after its first appearance where the type is missing, it counts as
// 0 objects / 0 bytes (it was collected); before its first appearance it is not in the series at all (it did not
// exist yet, and zeros there would fake growth). Types absent from every window dump get no verdict.
//
// Statistics (bytes, and the same for counts): Mann–Kendall on the values in dump order; Theil–Sen slope against
// time in seconds; net growth = Theil–Sen slope × time span of the series (robust: one dip at the end, or one
// spike, does not change it much, unlike last − first); relative growth = net growth ÷ the fitted level at the
// series start (at least 1 byte).
//
// The rule. A type is a suspect iff all of:
//   1. enough data:   the series has ≥ minDumps dumps;
//   2. a trend:       Mann–Kendall one-sided p (increasing) on bytes < pValue;
//   3. big enough:    net growth > minAbsoluteGrowthBytes AND relative growth > minRelativeGrowth;
//   4. still rising:  with m = max(3, ⌈n/2⌉), the Theil–Sen slope over the LAST m dumps ("recent") is > 0,
//                     ≥ recentSlopeRatio (½) × the whole-series slope, and ≥ earlySlopeRatio (⅓) × the slope over
//                     the FIRST m dumps ("early").
// Rule 4 is what keeps warm-up-then-plateau and a bounded cache that filled up out: growth over 4 dumps then 8
// flat ones is significant for Mann–Kendall over the 12 (S = 38, p ≈ 0.001), but its recent part is flat. A
// linear leak has recent ≈ early ≈ whole slope. "≥ ½ × whole" asks that the recent slope be closer to the trend
// than to zero; it alone is not enough when the plateau is noisy, because the plateau also drags the whole-series
// slope down (in simulation, a noisy LRU plateau still passed 5–14% of the time). "≥ ⅓ × early" catches exactly
// that: a rise that has slowed to under a third of its early pace is settling, not leaking. A leak that starts
// mid-window has a flat early part and passes. A single step up (flat, jump, flat) fails "≥ ½ × whole". In the
// simulation that chose this rule (400 seeded series per scenario, Gaussian noise of 0.5, 1 and 2× the leak's
// per-dump growth) it flagged no warm-up, LRU or step series, and detected leaks about as often as "≥ ½ × whole"
// alone; test/unit/analysis/verdict.test.ts re-checks the scenarios on 200 seeds each.
// What no rule over one window can do: a cache still filling during the whole window looks like a leak, and is a
// suspect until its plateau is about half a window long.
// Counts: bytes are the signal. When bytes are estimates (bytesExact false: count × one object's size) they are
// proportional to counts, so the bytes test is the count test. Counts become a second, independent path only when
// `minAbsoluteGrowthObjects` is set: then a type whose object count passes rules 1–4 (with that floor and the
// same relative floor) is also a suspect — for leaks of many small objects whose bytes stay under the byte floor.
//
// Load. When dumps carry cumulative `requests`: `bytesPerRequest` is the Theil–Sen slope of bytes against
// requests (only when requests take ≥ 2 distinct values); `growsWithoutLoad` looks at the idle steps (requests
// did not increase between two consecutive dumps): true when bytes grew over them in total and their growth rate
// (bytes per idle second) is at least half the fitted rate, i.e. the growth is not explained by traffic.

import { clampFinite } from "./finite.js";
import { formatBytes, formatDuration, formatP, formatPercent } from "./format.js";
import { mannKendall } from "./mann-kendall.js";
import { type TypeRowsInput, type TypeStats, toTypeMap } from "./rows.js";
import { increaseStreak } from "./streak.js";
import { theilSen } from "./theil-sen.js";
import type { VerdictState } from "./verdict-state.js";

/** One dump as the verdict reads it; a `DumpSummary` fits. */
export interface VerdictDump {
  /** Unix epoch milliseconds. */
  time: number;
  /** Cumulative requests served up to this dump, when load is known. */
  requests?: number;
  /** False when bytes per type are estimates. */
  bytesExact?: boolean;
  types: TypeRowsInput;
}

/** One point of one type's series. */
export interface SeriesPoint {
  time: number;
  requests?: number;
  bytesExact?: boolean;
  count: number;
  bytes: number;
}

export interface VerdictOptions {
  /** Number of most recent dumps looked at (default 12). */
  window?: number;
  /** Fewest dumps in a type's series for it to be a suspect (default 6). */
  minDumps?: number;
  /** Mann–Kendall one-sided p-value below which the rise counts as a trend (default 0.01). */
  pValue?: number;
  /** Net growth over the window must exceed this fraction of the starting level (default 0.10). */
  minRelativeGrowth?: number;
  /** Net growth over the window must exceed this many bytes (default 1 MiB). */
  minAbsoluteGrowthBytes?: number;
  /** When set, object counts are a second path to suspect, with this absolute floor (default: unset, off). */
  minAbsoluteGrowthObjects?: number;
  /** Recent slope must be at least this fraction of the whole-series slope (default 0.5). */
  recentSlopeRatio?: number;
  /** Recent slope must be at least this fraction of the early slope (default 1/3). */
  earlySlopeRatio?: number;
  /** Largest series for the exact Mann–Kendall distribution (default 10). */
  exactMaxN?: number;
  /**
   * Seconds from the first dump during which no verdict is given (default 0): every type is stable, and a type
   * becomes a suspect afterwards only once it rises above the highest level it reached in the warm-up (TypeWindow).
   */
  warmupSeconds?: number;
}

export const DEFAULT_VERDICT_OPTIONS = {
  window: 12,
  minDumps: 6,
  pValue: 0.01,
  minRelativeGrowth: 0.1,
  minAbsoluteGrowthBytes: 1024 * 1024,
  recentSlopeRatio: 0.5,
  earlySlopeRatio: 1 / 3,
  exactMaxN: 10,
  warmupSeconds: 0,
} as const;

export interface TypeVerdict {
  type: string;
  /** Dumps in this type's series (within the window, from its first appearance). */
  dumps: number;
  /** Seconds between the first and last dump of the series. */
  spanSeconds: number;
  lastBytes: number;
  lastCount: number;
  /** Theil–Sen slope of bytes against time. */
  bytesSlopePerSecond: number;
  /** Theil–Sen slope of object count against time. */
  objectsSlopePerSecond: number;
  /** Theil–Sen slope of bytes over the most recent max(3, ⌈n/2⌉) dumps. */
  recentBytesSlopePerSecond: number;
  /** Theil–Sen slope of bytes over the first max(3, ⌈n/2⌉) dumps of the series. */
  earlyBytesSlopePerSecond: number;
  /** Theil–Sen slope of bytes against cumulative requests, when requests are known and vary. */
  bytesPerRequest?: number;
  /** When some consecutive dumps saw no new requests: whether bytes kept growing then (see the rule above). */
  growsWithoutLoad?: boolean;
  /** Net byte growth over the idle steps, when there were any. */
  idleGrowthBytes?: number;
  /** Mann–Kendall one-sided p-value for increasing bytes. */
  mkP: number;
  /** Mann–Kendall one-sided p-value for increasing object count. */
  mkPCount: number;
  /** Rising steps in the final run without a decrease of bytes (see increaseStreak). */
  streak: number;
  /** Theil–Sen slope × span: robust byte growth over the series. */
  netGrowthBytes: number;
  /** Theil–Sen slope × span for object counts. */
  netGrowthObjects: number;
  /** netGrowthBytes ÷ fitted bytes at the series start (at least 1). */
  relativeGrowth: number;
  /** False when any dump in the series had estimated bytes. */
  bytesExact: boolean;
  /** True exactly when the state is leaking. */
  suspect: boolean;
  /** stable, rising (young, not proven), leaking (proven; the suspects) or settling (stopped rising); verdict-state.ts. */
  state: VerdictState;
  /** Whether the window alone proves a rise (rules 1–4 below); leaking needs it once, then history decides. */
  proven: boolean;
  /** Dumps since the state began (0 without history: leakVerdicts). */
  stateDumps: number;
  /** While leaking or settling: bytes per second the leak was last proven at. */
  provenBytesPerSecond?: number;
  /** While leaking or settling: the slope over the last `flatDumps` dumps (a release undone) that the plateau test saw. */
  flatBytesPerSecond?: number;
  /** Dumps the plateau test looked at. */
  flatDumps?: number;
  /** True while in the warm-up (no verdict given). */
  warmup?: boolean;
  /** Which series made it proven. */
  suspectBy?: "bytes" | "count";
  /** Why it is in its state, short. */
  reason: string;
}

/** VerdictOptions with every default filled in. */
export interface ResolvedVerdictOptions {
  window: number;
  minDumps: number;
  pValue: number;
  minRelativeGrowth: number;
  minAbsoluteGrowthBytes: number;
  minAbsoluteGrowthObjects: number | undefined;
  recentSlopeRatio: number;
  earlySlopeRatio: number;
  exactMaxN: number;
  warmupSeconds: number;
}

/** Fills defaults and rejects nonsense (RangeError). */
export function resolveVerdictOptions(options: VerdictOptions = {}): ResolvedVerdictOptions {
  const o: ResolvedVerdictOptions = {
    window: options.window ?? DEFAULT_VERDICT_OPTIONS.window,
    minDumps: options.minDumps ?? DEFAULT_VERDICT_OPTIONS.minDumps,
    pValue: options.pValue ?? DEFAULT_VERDICT_OPTIONS.pValue,
    minRelativeGrowth: options.minRelativeGrowth ?? DEFAULT_VERDICT_OPTIONS.minRelativeGrowth,
    minAbsoluteGrowthBytes: options.minAbsoluteGrowthBytes ?? DEFAULT_VERDICT_OPTIONS.minAbsoluteGrowthBytes,
    minAbsoluteGrowthObjects: options.minAbsoluteGrowthObjects,
    recentSlopeRatio: options.recentSlopeRatio ?? DEFAULT_VERDICT_OPTIONS.recentSlopeRatio,
    earlySlopeRatio: options.earlySlopeRatio ?? DEFAULT_VERDICT_OPTIONS.earlySlopeRatio,
    exactMaxN: options.exactMaxN ?? DEFAULT_VERDICT_OPTIONS.exactMaxN,
    warmupSeconds: options.warmupSeconds ?? DEFAULT_VERDICT_OPTIONS.warmupSeconds,
  };
  const bad = (what: string): never => {
    throw new RangeError(`leak verdict: ${what}`);
  };
  if (!Number.isInteger(o.window) || o.window < 2) bad(`window must be an integer ≥ 2, got ${o.window}`);
  if (!Number.isInteger(o.minDumps) || o.minDumps < 2) bad(`minDumps must be an integer ≥ 2, got ${o.minDumps}`);
  if (!(o.pValue > 0 && o.pValue <= 1)) bad(`pValue must be in (0, 1], got ${o.pValue}`);
  if (!(o.minRelativeGrowth >= 0) || !Number.isFinite(o.minRelativeGrowth)) bad(`minRelativeGrowth must be ≥ 0, got ${o.minRelativeGrowth}`);
  if (!(o.minAbsoluteGrowthBytes >= 0) || !Number.isFinite(o.minAbsoluteGrowthBytes))
    bad(`minAbsoluteGrowthBytes must be ≥ 0, got ${o.minAbsoluteGrowthBytes}`);
  if (o.minAbsoluteGrowthObjects !== undefined && !(o.minAbsoluteGrowthObjects >= 0 && Number.isFinite(o.minAbsoluteGrowthObjects)))
    bad(`minAbsoluteGrowthObjects must be ≥ 0, got ${o.minAbsoluteGrowthObjects}`);
  if (!(o.recentSlopeRatio >= 0) || !Number.isFinite(o.recentSlopeRatio)) bad(`recentSlopeRatio must be ≥ 0, got ${o.recentSlopeRatio}`);
  if (!(o.earlySlopeRatio >= 0) || !Number.isFinite(o.earlySlopeRatio)) bad(`earlySlopeRatio must be ≥ 0, got ${o.earlySlopeRatio}`);
  if (!(o.warmupSeconds >= 0) || !Number.isFinite(o.warmupSeconds)) bad(`warmupSeconds must be ≥ 0, got ${o.warmupSeconds}`);
  return o;
}

/**
 * Verdicts for every type present in the last `window` dumps. Dumps are sorted by time first (stable).
 * Result order: suspects first, then by net byte growth (descending), then by type name.
 */
export function leakVerdicts(dumps: readonly VerdictDump[], options: VerdictOptions = {}): TypeVerdict[] {
  const opts = resolveVerdictOptions(options);
  const sorted = dumps
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.time - b.d.time || a.i - b.i)
    .map((x) => x.d);
  const maps = sorted.map((d) => toTypeMap(d.types));
  const windowStart = Math.max(0, sorted.length - opts.window);

  const firstSeen = new Map<string, number>();
  maps.forEach((m, i) => {
    for (const type of m.keys()) if (!firstSeen.has(type)) firstSeen.set(type, i);
  });
  const inWindow = new Set<string>();
  for (let i = windowStart; i < maps.length; i++) for (const type of maps[i]!.keys()) inWindow.add(type);

  const out: TypeVerdict[] = [];
  for (const type of inWindow) {
    const from = Math.max(windowStart, firstSeen.get(type)!);
    const points: SeriesPoint[] = [];
    for (let i = from; i < sorted.length; i++) {
      const d = sorted[i]!;
      const s: TypeStats = maps[i]!.get(type) ?? { count: 0, bytes: 0 };
      const p: SeriesPoint = { time: d.time, count: s.count, bytes: s.bytes };
      if (d.requests !== undefined) p.requests = d.requests;
      if (d.bytesExact !== undefined) p.bytesExact = d.bytesExact;
      points.push(p);
    }
    out.push(evaluate(type, points, opts));
  }
  return out.sort(verdictOrder);
}

/** leakVerdicts' order: suspects first, then by net byte growth (descending), then by type name. */
export function verdictOrder(a: TypeVerdict, b: TypeVerdict): number {
  return Number(b.suspect) - Number(a.suspect) || b.netGrowthBytes - a.netGrowthBytes || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0);
}

/**
 * Verdict for one type's series (points in time order; only the last `window` are used). For callers that keep
 * series themselves; leakVerdicts builds the series from dumps.
 */
export function seriesVerdict(type: string, points: readonly SeriesPoint[], options: VerdictOptions = {}): TypeVerdict {
  const opts = resolveVerdictOptions(options);
  return evaluate(type, points.slice(Math.max(0, points.length - opts.window)), opts);
}

export interface TrendCheck {
  p: number;
  slope: number;
  recentSlope: number;
  earlySlope: number;
  growth: number;
  relative: number;
  significant: boolean;
  aboveAbsolute: boolean;
  aboveRelative: boolean;
  recentHolds: boolean;
}

/**
 * The trend tests of one series. A flat series (every value the same, times in order) gets what the tests give for
 * it without running them: Mann–Kendall p = 1 (every value tied), every Theil–Sen slope +0, so no growth — most
 * types of a big heap are flat, and this is most of the verdict's cost for them (exactness: verdict.test.ts).
 * `shortcut` false always runs the tests (for that check).
 */
export function checkTrend(xs: number[], ys: number[], absFloor: number, opts: ResolvedVerdictOptions, shortcut = true): TrendCheck {
  const n = ys.length;
  if (shortcut && n >= 1 && isFlat(xs, ys)) {
    const p = 1;
    const zero = 0;
    return {
      p,
      slope: zero,
      recentSlope: zero,
      earlySlope: zero,
      growth: zero,
      relative: zero,
      significant: p < opts.pValue,
      aboveAbsolute: zero > absFloor,
      aboveRelative: zero > opts.minRelativeGrowth,
      recentHolds: false,
    };
  }
  const mk = mannKendall(ys, { exactMaxN: opts.exactMaxN });
  const ts = theilSen(xs, ys);
  const span = n > 0 ? xs[n - 1]! - xs[0]! : 0;
  const growth = clampFinite(ts.slope * span);
  const startLevel = clampFinite(ts.intercept + ts.slope * (xs[0] ?? 0));
  const relative = clampFinite(growth / Math.max(startLevel, 1));
  const m = Math.min(n, Math.max(3, Math.ceil(n / 2)));
  const recentSlope = theilSen(xs.slice(n - m), ys.slice(n - m)).slope;
  const earlySlope = theilSen(xs.slice(0, m), ys.slice(0, m)).slope;
  return {
    p: mk.pIncreasing,
    slope: ts.slope,
    recentSlope,
    earlySlope,
    growth,
    relative,
    significant: mk.pIncreasing < opts.pValue,
    aboveAbsolute: growth > absFloor,
    aboveRelative: relative > opts.minRelativeGrowth,
    recentHolds: recentSlope > 0 && recentSlope >= opts.recentSlopeRatio * ts.slope && recentSlope >= opts.earlySlopeRatio * earlySlope,
  };
}

/** Every y the same finite number (Object.is: −0 and +0 differ in a slope's sign), every x finite and in order. */
function isFlat(xs: readonly number[], ys: readonly number[]): boolean {
  const y0 = ys[0]!;
  if (!Number.isFinite(y0) || !Number.isFinite(xs[0]!)) return false;
  for (let i = 1; i < ys.length; i++) if (!Object.is(ys[i], y0) || !(xs[i]! >= xs[i - 1]!) || !Number.isFinite(xs[i]!)) return false;
  return true;
}

/** A young rise: the growth floors pass and the trend points up (Mann–Kendall p < 0.1, recent slope > 0). */
export function risingNow(t: TrendCheck, opts: ResolvedVerdictOptions): boolean {
  return t.aboveAbsolute && t.aboveRelative && t.recentSlope > 0 && t.p < Math.max(0.1, opts.pValue);
}

function passes(t: TrendCheck): boolean {
  return t.significant && t.aboveAbsolute && t.aboveRelative && t.recentHolds;
}

function evaluate(type: string, allPoints: readonly SeriesPoint[], opts: ResolvedVerdictOptions): TypeVerdict {
  const points = allPoints.filter((p) => Number.isFinite(p.time));
  const n = points.length;
  const s = {
    times: [] as number[],
    counts: [] as number[],
    bytes: [] as number[],
    requests: [] as (number | undefined)[],
    exact: [] as (boolean | undefined)[],
  };
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    s.times.push(p.time);
    s.counts.push(p.count);
    s.bytes.push(p.bytes);
    s.requests.push(p.requests);
    s.exact.push(p.bytesExact);
  }
  return evaluateColumns(type, s, opts);
}

/**
 * One type's series as parallel arrays, oldest first: what the verdict reads. Every time must be finite (the
 * callers drop the other points first).
 */
export interface SeriesColumns {
  times: readonly number[];
  counts: readonly number[];
  bytes: readonly number[];
  requests: readonly (number | undefined)[];
  exact: readonly (boolean | undefined)[];
}

/** The verdict for one series given as columns; leakVerdicts, seriesVerdict and the column window share it. */
export function evaluateColumns(type: string, s: SeriesColumns, opts: ResolvedVerdictOptions): TypeVerdict {
  return judgeColumns(type, s, opts).verdict;
}

/**
 * The verdict for one series, and the one number its reason needs that the verdict does not carry (the object
 * count's relative growth). With `withReason` false the reason is left empty: reasonOf() makes it from the verdict's
 * numbers, exactly as here (the column window stores the numbers and writes reasons only for what it serves).
 */
export function judgeColumns(type: string, s: SeriesColumns, opts: ResolvedVerdictOptions, withReason = true): { verdict: TypeVerdict; countRelative: number } {
  const n = s.times.length;
  const t0 = s.times[0] ?? 0;
  // Seconds since the first point: small numbers keep the slopes precise.
  const xs = new Array<number>(n);
  const bytes = new Array<number>(n);
  const counts = new Array<number>(n);
  let bytesExact = true;
  for (let i = 0; i < n; i++) {
    xs[i] = clampFinite(s.times[i]! / 1000 - t0 / 1000);
    const b = s.bytes[i]!;
    const c = s.counts[i]!;
    bytes[i] = Number.isFinite(b) ? b : 0;
    counts[i] = Number.isFinite(c) ? c : 0;
    if (s.exact[i] === false) bytesExact = false;
  }
  const spanSeconds = clampFinite(n > 0 ? xs[n - 1]! : 0);

  const b = checkTrend(xs, bytes, opts.minAbsoluteGrowthBytes, opts);
  const c = checkTrend(xs, counts, opts.minAbsoluteGrowthObjects ?? Infinity, opts);
  const enough = n >= opts.minDumps;
  const byBytes = enough && passes(b);
  const byCount = enough && !byBytes && opts.minAbsoluteGrowthObjects !== undefined && passes(c);

  const verdict: TypeVerdict = {
    type,
    dumps: n,
    spanSeconds,
    lastBytes: bytes[n - 1] ?? 0,
    lastCount: counts[n - 1] ?? 0,
    bytesSlopePerSecond: b.slope,
    objectsSlopePerSecond: c.slope,
    recentBytesSlopePerSecond: b.recentSlope,
    earlyBytesSlopePerSecond: b.earlySlope,
    mkP: b.p,
    mkPCount: c.p,
    streak: increaseStreak(bytes).increases,
    netGrowthBytes: b.growth,
    netGrowthObjects: c.growth,
    relativeGrowth: b.relative,
    bytesExact,
    suspect: byBytes || byCount,
    state: byBytes || byCount ? "leaking" : n >= 3 && risingNow(b, opts) ? "rising" : "stable",
    proven: byBytes || byCount,
    stateDumps: 0,
    reason: "",
  };
  if (byBytes) verdict.suspectBy = "bytes";
  else if (byCount) verdict.suspectBy = "count";

  addLoad(verdict, s.requests, xs, bytes, b.slope);

  if (withReason) verdict.reason = reasonOf(verdict, c.relative, opts);
  return { verdict, countRelative: c.relative };
}

/** A verdict's reason from its numbers (and the object count's relative growth); what judgeColumns writes. */
export function reasonOf(v: TypeVerdict, countRelative: number, opts: ResolvedVerdictOptions): string {
  const b: TrendCheck = {
    p: v.mkP,
    slope: v.bytesSlopePerSecond,
    recentSlope: v.recentBytesSlopePerSecond,
    earlySlope: v.earlyBytesSlopePerSecond,
    growth: v.netGrowthBytes,
    relative: v.relativeGrowth,
    significant: v.mkP < opts.pValue,
    aboveAbsolute: v.netGrowthBytes > opts.minAbsoluteGrowthBytes,
    aboveRelative: v.relativeGrowth > opts.minRelativeGrowth,
    recentHolds: false, // not part of any reason
  };
  const c: TrendCheck = { ...b, p: v.mkPCount, slope: v.objectsSlopePerSecond, growth: v.netGrowthObjects, relative: countRelative };
  const evidence = explain(v, b, c, v.dumps >= opts.minDumps, v.suspectBy === "count", opts);
  const rate = `${formatBytes(v.provenBytesPerSecond ?? 0)}/s`;
  const recent = v.flatDumps ? `the last ${v.flatDumps} dumps rise ${formatBytes(v.flatBytesPerSecond ?? 0)}/s` : "too few dumps yet to see one";
  const held = v.stateDumps > 0 ? ` for ${v.stateDumps} dumps` : "";
  if (v.warmup) return `warm-up: no verdict in the first ${formatDuration(opts.warmupSeconds)}`;
  switch (v.state) {
    case "leaking":
      if (v.proven) return evidence;
      return `still leaking (proven at ${rate}${held}): no sustained plateau or decline — ${recent}; the window alone: ${evidence}`;
    case "settling":
      return `settling${held}: ${recent}, under ¼ of the ${rate} it was proven at; not a suspect`;
    case "rising":
      return `rising, not yet proven: ${evidence}`;
    default:
      return evidence;
  }
}

function addLoad(v: TypeVerdict, requests: readonly (number | undefined)[], xs: number[], bytes: number[], slope: number): void {
  const rx: number[] = [];
  const ry: number[] = [];
  for (let i = 0; i < requests.length; i++) {
    const r = requests[i];
    if (r !== undefined && Number.isFinite(r)) {
      rx.push(r);
      ry.push(bytes[i]!);
    }
  }
  if (new Set(rx).size >= 2) v.bytesPerRequest = theilSen(rx, ry).slope;

  let idleSteps = 0;
  let idleGrowth = 0;
  let idleSeconds = 0;
  for (let i = 1; i < requests.length; i++) {
    const a = requests[i - 1];
    const z = requests[i];
    if (a === undefined || z === undefined || !Number.isFinite(a) || !Number.isFinite(z) || z > a) continue;
    idleSteps++;
    idleGrowth += bytes[i]! - bytes[i - 1]!;
    idleSeconds += xs[i]! - xs[i - 1]!;
  }
  if (idleSteps === 0) return;
  idleGrowth = clampFinite(idleGrowth);
  v.idleGrowthBytes = idleGrowth;
  const idleRate = idleSeconds > 0 ? idleGrowth / idleSeconds : idleGrowth > 0 ? Infinity : 0;
  v.growsWithoutLoad = idleGrowth > 0 && slope > 0 && idleRate >= 0.5 * slope;
}

function explain(v: TypeVerdict, b: TrendCheck, c: TrendCheck, enough: boolean, byCount: boolean, opts: ResolvedVerdictOptions): string {
  const est = v.bytesExact ? "" : " (bytes estimated)";
  const load = v.growsWithoutLoad ? ", grows without load" : "";
  if (v.proven && !byCount)
    return (
      `rising over ${v.dumps} dumps: MK p=${formatP(b.p)}, +${formatBytes(b.growth)} (+${formatPercent(b.relative)}) ` +
      `in ${formatDuration(v.spanSeconds)}, still rising${load}${est}`
    );
  if (v.proven)
    return (
      `object count rising over ${v.dumps} dumps: MK p=${formatP(c.p)}, +${Math.round(c.growth)} objects ` +
      `(+${formatPercent(c.relative)}) in ${formatDuration(v.spanSeconds)}, still rising${load}`
    );
  if (!enough) return `only ${v.dumps} dumps (need ${opts.minDumps})`;
  if (!b.significant) return `no significant rise (MK p=${formatP(b.p)} ≥ ${opts.pValue})${est}`;
  if (!b.aboveAbsolute) return `growth ${formatBytes(b.growth)} not above floor ${formatBytes(opts.minAbsoluteGrowthBytes)}${est}`;
  if (!b.aboveRelative) return `growth ${formatPercent(b.relative)} not above floor ${formatPercent(opts.minRelativeGrowth)}${est}`;
  return `levelling off: recent slope ${formatBytes(b.recentSlope)}/s vs ${formatBytes(b.slope)}/s overall, ` + `${formatBytes(b.earlySlope)}/s early${est}`;
}
