// The verdict's state per type: what the window proves (verdict.ts, the "evidence") combined with a few numbers of
// the type's history, so that a verdict does not flicker.
//
//   stable    no rise worth a word (or still in --warmup: no verdict is given then).
//   rising    a young rise, not yet proven: the growth floors pass and the trend points up, but the window's proof
//             (Mann–Kendall, recent slope) does not hold yet. Not a suspect.
//   leaking   proven: the window's evidence held (once is enough), and since then no sustained plateau or decline.
//             The only state that is a suspect (leakwatch_heap_type_leak_suspect = 1).
//   settling  was leaking, then its level stopped rising for a sustained stretch; not a suspect. Back to leaking when
//             the window proves a rise again and the level passes the peak it had when it settled; stable once it
//             has stayed settled as long as it rose (at most a window).
//
// Entry into leaking: the evidence holds, the level is not flat (below) nor below where it was before a release in the
// window, and — after a warm-up — it has risen above the highest level it reached during the warm-up (a cache that
// filled during the warm-up never enters).
//
// Leaving leaking needs a sustained plateau or decline ("flat"): over the last m dumps, the Theil–Sen slope of the
// level is at most ¼ of the rate the leak was proven at, where
//   - a release (a single step down of more than a dump's growth at that rate and 3× the step noise) is undone
//     first: the level after it is shifted back up (as if that step had grown at the proven rate), so a leak that
//     frees part of what it holds and grows on is still rising, while a decline or a release then a plateau is flat;
//   - m ≥ 4 (three steps: one low dump is never enough), ≥ 2 × the longest pause the rise had + 2 (a staircase
//     that pauses between steps is not flat during a pause like the ones it already had), and long enough for the
//     step noise: m ≥ ∛(384 (σ/r)²), σ the level noise (MAD of the steps ÷ √2), r the proven growth per dump, so
//     that the slope's standard error is under r/5.6 (a leak then looks flat by chance in well under 1% of dumps;
//     tuned on bench/verdict). At most the window.
// A second release before the level regained the peak it had at the first is a cycle (a cache cleared now and then):
// settling at once; so is a release that stays two dumps within a quarter of the growth above where the rise began.
// Memory: a handful of numbers per type (TypeWindow keeps them in columns), never a per-dump history.

import { clampFinite } from "./finite.js";
import { median } from "./median.js";
import { theilSen } from "./theil-sen.js";

export const VERDICT_STATES = ["stable", "rising", "leaking", "settling"] as const;
export type VerdictState = (typeof VERDICT_STATES)[number];
export const STABLE = 0;
export const RISING = 1;
export const LEAKING = 2;
export const SETTLING = 3;

/** The slope over the last m dumps must stay under this fraction of the proven rate for a plateau. */
export const FLAT_FRACTION = 0.25;
/** A release that leaves at most this fraction of the growth since the rise began is a cache cleared. */
export const CLEARED_FRACTION = 0.25;
/** Fewest dumps in a plateau (three steps). */
export const MIN_FLAT_DUMPS = 4;

/** One type's history: what the state machine remembers between dumps. */
export interface TypeHistory {
  state: number;
  /** Dump sequence number when the state was entered; −1 before the first step. */
  since: number;
  /** Dump sequence number when the rise began (entry into rising or leaking). */
  onset: number;
  /** Bytes per second the leak was last proven at (the window's Theil–Sen slope when the evidence held). */
  rate: number;
  /** Highest bytes seen. */
  peak: number;
  /** Highest bytes seen during the warm-up; −Infinity when none. */
  warmPeak: number;
  /** Highest bytes when the type settled. */
  settledPeak: number;
  /** Longest run of dumps without a rise seen while leaking (or in the window when it was proven). */
  longestPause: number;
  /** The peak when the last release (a big single drop) happened while leaking; −Infinity for none. */
  releasePeak: number;
  /** 1 when it was proven by its object count (then the count is the level the history follows), else 0. */
  byCount: number;
  /** The level where the rise began (the window's lowest when it was proven). */
  onsetLevel: number;
}

export function freshHistory(): TypeHistory {
  return {
    state: STABLE,
    since: -1,
    onset: 0,
    rate: 0,
    peak: -Infinity,
    warmPeak: -Infinity,
    settledPeak: -Infinity,
    longestPause: 0,
    releasePeak: -Infinity,
    byCount: 0,
    onsetLevel: 0,
  };
}

/** What the window says about the type at this dump. */
export interface StepInput {
  /** The dump's sequence number (one per dump the window took in). */
  seq: number;
  /** Whether this dump is within the warm-up. */
  warmup: boolean;
  /** The window's evidence (verdict.ts rules 1–4). */
  proven: boolean;
  /** The window's Theil–Sen slope of bytes (per second). */
  slope: number;
  /** Whether the young-rise test holds (see risingNow in verdict.ts). */
  risingNow: boolean;
  /** The type's series in the window: seconds and bytes, oldest first. */
  xs: readonly number[];
  ys: readonly number[];
  window: number;
}

/** What a step decided, for the reason. */
export interface StepOutcome {
  /** The slope over the last flatDumps dumps (releases undone), per second; NaN when not measured. */
  flatSlope: number;
  /** Dumps the plateau test looked at (0 when not measured). */
  flatDumps: number;
}

/** Advances `h` (in place) by one dump. */
export function stepHistory(h: TypeHistory, s: StepInput): StepOutcome {
  const n = s.ys.length;
  const now = n > 0 ? s.ys[n - 1]! : 0;
  for (let i = 0; i < n; i++) if (s.ys[i]! > h.peak) h.peak = s.ys[i]!;
  const out: StepOutcome = { flatSlope: Number.NaN, flatDumps: 0 };
  if (h.since < 0) h.since = s.seq;
  const enter = (state: number): void => {
    if (h.state !== state) {
      h.state = state;
      h.since = s.seq;
    }
  };
  if (s.warmup) {
    if (now > h.warmPeak) h.warmPeak = now;
    h.state = STABLE;
    h.since = s.seq;
    return out;
  }
  const state = h.state;
  if (state === LEAKING || state === SETTLING) {
    // The fastest rate it was proven at: a rise that slows to under a quarter of it (a filling LRU) is settling.
    if (s.proven && s.slope > h.rate) h.rate = s.slope;
    const pause = completedPause(s.ys);
    if (pause > h.longestPause && state === LEAKING) h.longestPause = pause;
    const f = flatness(s.xs, s.ys, h.rate, h.longestPause, s.window);
    out.flatSlope = f.slope;
    out.flatDumps = f.m;
    if (state === LEAKING) {
      // A second release before the level regained the peak of the first: a cycle (a cache cleared now and
      // then), not a leak that keeps making new highs.
      // So is a release back to about where the rise began: a cache cleared, not a leak freeing part of its hoard.
      // (two dumps at that level: one low dump is not enough).
      const cleared = f.dropPrev && Math.max(now, s.ys[n - 2]!) <= h.onsetLevel + CLEARED_FRACTION * (h.peak - h.onsetLevel);
      const cycle = (f.dropNow && h.releasePeak > -Infinity && !(h.peak > h.releasePeak)) || cleared;
      if (f.dropNow) h.releasePeak = h.peak;
      if (f.flat || cycle) {
        h.settledPeak = h.peak;
        enter(SETTLING);
      }
    } else if (s.proven && !f.flat && h.peak > h.settledPeak) {
      enter(LEAKING);
    } else if (s.seq - h.since >= Math.max(MIN_FLAT_DUMPS - 1, Math.min(s.window, h.since - h.onset))) {
      enter(STABLE);
    }
    return out;
  }
  if (s.proven && s.slope > 0) {
    const longest = longestPauseIn(s.ys);
    const f = flatness(s.xs, s.ys, s.slope, longest, s.window);
    out.flatSlope = f.slope;
    out.flatDumps = f.m;
    // After a warm-up: above the warm-up's peak by more than the noise.
    const aboveWarmup = !(h.warmPeak > -Infinity) || now > h.warmPeak + 3 * f.stepNoise;
    if (!f.flat && !f.belowRelease && aboveWarmup) {
      let low = Infinity;
      for (let i = 0; i < n; i++) if (s.ys[i]! < low) low = s.ys[i]!;
      h.onsetLevel = low;
      h.releasePeak = -Infinity;
      if (state !== RISING) h.onset = s.seq - (n - 1);
      h.rate = s.slope;
      h.longestPause = longest;
      enter(LEAKING);
      return out;
    }
  }
  if (s.risingNow) {
    if (state !== RISING) h.onset = s.seq;
    enter(RISING);
  } else enter(STABLE);
  return out;
}

/** Length of the run of non-rising steps that ended with the latest step's rise (0 when the latest step did not rise). */
function completedPause(ys: readonly number[]): number {
  const n = ys.length;
  if (n < 2 || !(ys[n - 1]! > ys[n - 2]!)) return 0;
  let k = 0;
  for (let i = n - 2; i >= 1 && !(ys[i]! > ys[i - 1]!); i--) k++;
  return k;
}

/** The longest run of non-rising steps in the series, not counting a run at its end (that one is not over). */
function longestPauseIn(ys: readonly number[]): number {
  let longest = 0;
  let run = 0;
  for (let i = 1; i < ys.length; i++) {
    if (ys[i]! > ys[i - 1]!) {
      if (run > longest) longest = run;
      run = 0;
    } else run++;
  }
  return longest;
}

/** The plateau test (see the header): whether the last m dumps are flat against `rate`, and the slope it saw. */
export function flatness(
  xs: readonly number[],
  ys: readonly number[],
  rate: number,
  longestPause: number,
  window: number,
): {
  flat: boolean;
  slope: number;
  m: number;
  dropNow: boolean;
  dropPrev: boolean;
  belowRelease: boolean;
  stepNoise: number;
} {
  const n = ys.length;
  if (n < MIN_FLAT_DUMPS) return { flat: false, slope: Number.NaN, m: 0, dropNow: false, dropPrev: false, belowRelease: false, stepNoise: 0 };
  const steps = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) steps[i - 1] = ys[i]! - ys[i - 1]!;
  const mid = median(steps);
  const dev = new Float64Array(n - 1);
  for (let i = 0; i < n - 1; i++) dev[i] = Math.abs(steps[i]! - mid);
  const stepNoise = 1.4826 * median(dev);
  const dt = n > 1 ? Math.max((xs[n - 1]! - xs[0]!) / (n - 1), 1e-9) : 1;
  const perDump = Math.max(rate * dt, 1e-9);
  const noiseRatio = stepNoise / Math.SQRT2 / perDump;
  const needed = Math.max(MIN_FLAT_DUMPS, 2 * longestPause + 2, Math.ceil(Math.cbrt(384 * noiseRatio * noiseRatio)));
  const big = Math.max(perDump, 3 * stepNoise);
  const dropNow = ys[n - 1]! - ys[n - 2]! < -big;
  const dropPrev = ys[n - 2]! - ys[n - 3]! < -big;
  // Whether the level is still below where it was before the window's latest release.
  let belowRelease = false;
  let top = -Infinity;
  for (let i = 1; i < n; i++) {
    if (ys[i - 1]! > top) top = ys[i - 1]!;
    if (ys[i]! - ys[i - 1]! < -big) belowRelease = !(ys[n - 1]! > top);
  }
  const m = Math.min(needed, window, n);
  if (m < needed && m < window) return { flat: false, slope: Number.NaN, m: 0, dropNow, dropPrev, belowRelease, stepNoise };
  const px: number[] = [];
  const py: number[] = [];
  let offset = 0;
  for (let i = n - m; i < n; i++) {
    if (i > n - m) {
      const d = ys[i]! - ys[i - 1]!;
      // The release step counts as a step at the proven rate.
      if (d < -big) offset += perDump - d;
    }
    px.push(xs[i]!);
    py.push(clampFinite(ys[i]! + offset));
  }
  const slope = theilSen(px, py).slope;
  return { flat: slope <= FLAT_FRACTION * rate, slope, m, dropNow, dropPrev, belowRelease, stepNoise };
}
