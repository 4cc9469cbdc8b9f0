// leakwatch analysis: pure functions over dump summaries. No I/O, no clocks, no globals (except a memo of exact
// Mann–Kendall distributions); every number returned is finite for finite input.
//
// Public API
//
//   Leak verdicts (verdict.ts)
//     leakVerdicts(dumps: readonly VerdictDump[], options?: VerdictOptions): TypeVerdict[]
//         Per-type verdict over the last `window` dumps (default 12). A type is a suspect iff its series has
//         ≥ minDumps (6) dumps, Mann–Kendall says bytes rise (one-sided p < 0.01), the Theil–Sen growth over the
//         window exceeds both 10% of the starting level and 1 MiB, and the rise still holds over the most recent
//         half of the window (its slope > 0, ≥ ½ × the whole-window slope and ≥ ⅓ × the first half's slope),
//         which rules out warm-up plateaus and caches that filled up.
//     seriesVerdict(type: string, points: readonly SeriesPoint[], options?: VerdictOptions): TypeVerdict
//     resolveVerdictOptions(options?: VerdictOptions): ResolvedVerdictOptions — defaults filled, RangeError on nonsense
//     DEFAULT_VERDICT_OPTIONS
//
//   Statistics
//     mannKendall(values: readonly number[], options?: { exactMaxN?: number }): MannKendallResult   (mann-kendall.ts)
//         S, Var(S) with ties, Z with continuity correction, one/two-sided p, tau-b; exact for n ≤ 10.
//     exactInversionDistribution(n: number, ties?: readonly number[]): InversionDistribution        (mann-kendall.ts)
//     theilSen(x: readonly number[], y: readonly number[], options?: { maxPairs?: number }): TheilSenResult
//                                                                                                    (theil-sen.ts)
//     increaseStreak(values: readonly number[], tolerance?: number): StreakResult                    (streak.ts)
//     erf, erfc, normalCdf, normalSf (x: number): number                                            (normal.ts)
//     median(values: ArrayLike<number>): number                                                      (median.ts)
//
//   Verdict states (verdict-state.ts): stable, rising, leaking (the suspects), settling — the window's evidence plus
//   a few numbers of history per type (kept by TypeWindow), with hysteresis and --warmup; VERDICT_STATES.
//
//   The verdict window in columns (window.ts)
//     new TypeWindow(capacity, options?) .push(dump, rows) .forget(time) .verdicts(options?, chunk?)
//         The last `capacity` dumps per type as columns of doubles: leakVerdicts' series without keeping the
//         dumps; verdicts() is a generator that yields every `chunk` types so the work can be spread out, and
//         returns a VerdictTable (verdict-table.ts): the verdicts as numbers in columns, objects made on demand.
//
//   Dumps and metrics
//     diffDumps(a: TypeRowsInput, b: TypeRowsInput): DiffRow[]                                       (diff.ts)
//     diffDumpsTop(a, b, limit): Generator yielding now and then, returning diffDumps(a, b).slice(0, limit)
//     new TypeSelector(maxTypes = 100, options?: TypeSelectorOptions)                                (cardinality.ts)
//         .select(latest: TypeRowsInput, growth?: Iterable<GrowthInfo>): TypeSelection
//         Sticky: tracked types stay until absent 3 dumps in a row; suspects always enter.
//     toTypeMap(rows: TypeRowsInput): Map<string, TypeStats>                                         (rows.ts)
//
//   TypeRowsInput = readonly TypeRow[] | ReadonlyMap<string, { count, bytes }>, so DumpSummary.types fits, and
//   a DumpSummary fits VerdictDump.

export { type GrowthInfo, type TypeSelection, TypeSelector, type TypeSelectorOptions } from "./cardinality.js";
export { type DiffRow, diffDumps, diffDumpsTop } from "./diff.js";
export {
  DEFAULT_EXACT_MAX_N,
  exactInversionDistribution,
  type InversionDistribution,
  type MannKendallOptions,
  type MannKendallResult,
  mannKendall,
} from "./mann-kendall.js";
export { median } from "./median.js";
export { erf, erfc, normalCdf, normalSf } from "./normal.js";
export { type TypeRowsInput, type TypeStats, toTypeMap } from "./rows.js";
export { increaseStreak, type StreakResult } from "./streak.js";
export { DEFAULT_MAX_PAIRS, type TheilSenOptions, type TheilSenResult, theilSen } from "./theil-sen.js";
export {
  DEFAULT_VERDICT_OPTIONS,
  leakVerdicts,
  type ResolvedVerdictOptions,
  resolveVerdictOptions,
  type SeriesPoint,
  type TypeVerdict,
  type VerdictDump,
  type VerdictOptions,
  seriesVerdict,
  verdictOrder,
} from "./verdict.js";
export { TypeWindow, type TypeWindowOptions, type WindowDump } from "./window.js";
export { VERDICT_STATES, type VerdictState } from "./verdict-state.js";
export { VerdictTable, VerdictTableBuilder } from "./verdict-table.js";
