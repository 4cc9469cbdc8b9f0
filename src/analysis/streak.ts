// Increase streak: how long a series has been rising, counted back from its last point.
//
// Definition: walk back from the last point over consecutive steps (v[i−1] → v[i]):
//   v[i] >  v[i−1] + tolerance  → an increase: counted, the run goes on;
//   |v[i] − v[i−1]| ≤ tolerance → equal: the run goes on, but the step is not counted;
//   v[i] <  v[i−1] − tolerance  → a decrease: the run ends.
// `increases` is the number of counted steps, `steps` the length of the run (increases + equal steps) and
// `start` the index where the run begins. So [5, 3, 4, 4, 6] has increases 2, steps 3, start 1, and a flat series
// has increases 0 (a plateau is not a rising streak), while a staircase that pauses between rises keeps its
// count. Non-finite values end the run (they are neither higher nor equal).

export interface StreakResult {
  /** Steps in the final run where the value rose. */
  increases: number;
  /** Steps in the final run (rises and equal steps). */
  steps: number;
  /** Index of the first point of the final run (= values.length − 1 − steps; 0 for an empty series). */
  start: number;
}

/** The final run without a decrease. `tolerance` (≥ 0, default 0) is the change still counted as equal. */
export function increaseStreak(values: readonly number[], tolerance = 0): StreakResult {
  const tol = Number.isFinite(tolerance) && tolerance > 0 ? tolerance : 0;
  let increases = 0;
  let steps = 0;
  for (let i = values.length - 1; i >= 1; i--) {
    const a = values[i - 1]!;
    const b = values[i]!;
    if (!Number.isFinite(a) || !Number.isFinite(b)) break;
    // Halves, so that the difference of two finite numbers cannot overflow.
    const half = b / 2 - a / 2;
    if (half > tol / 2) increases++;
    else if (half < -tol / 2) break;
    steps++;
  }
  return { increases, steps, start: Math.max(0, values.length - 1 - steps) };
}
