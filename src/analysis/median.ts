// Median of numbers, the building block of the robust estimators.

import { midpoint } from "./finite.js";

/**
 * Median of the finite entries of `values` (non-finite entries are ignored); 0 when there are none.
 * Even counts average the two middle values without overflow.
 */
export function median(values: ArrayLike<number>): number {
  const sorted = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) sorted[n++] = v;
  }
  if (n === 0) return 0;
  return medianOfSorted(sortInPlace(sorted.subarray(0, n)));
}

/** Sorts a Float64Array ascending in place (typed-array sort is numeric) and returns it. */
export function sortInPlace(values: Float64Array): Float64Array {
  return values.sort();
}

/** Median of an ascending, non-empty array of finite numbers. */
export function medianOfSorted(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : midpoint(sorted[mid - 1]!, sorted[mid]!);
}
