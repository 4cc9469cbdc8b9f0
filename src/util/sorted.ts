// Lookups in sorted typed arrays, for the few places that keep a sorted list of indices instead of a Map of millions.

/** The position of v in an ascending array, or -1. */
export function sortedIndexOf(a: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const x = a[mid]!;
    if (x === v) return mid;
    if (x < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
