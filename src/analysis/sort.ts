// Sorting a long array in steps: a bottom-up merge sort that yields every few thousand elements, so that a caller
// can give the event loop turns in between (util/slices.ts). With a total order (as every order here is: type names
// break ties) the result is exactly Array.prototype.sort's; the merge is stable anyway.

const RUN = 2048;
const STEP = 8192;

/** Sorts `items` in place by `cmp`, yielding now and then; returns `items`. */
export function* sortInSteps<T>(items: T[], cmp: (a: T, b: T) => number): Generator<void, T[], void> {
  const n = items.length;
  if (n <= RUN) return items.sort(cmp);
  for (let i = 0; i < n; i += RUN) {
    const run = items.slice(i, i + RUN).sort(cmp);
    for (let k = 0; k < run.length; k++) items[i + k] = run[k]!;
    yield;
  }
  let src = items;
  let dst = new Array<T>(n);
  let done = 0;
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      for (let k = lo; k < hi; k++) {
        dst[k] = i < mid && (j >= hi || cmp(src[i]!, src[j]!) <= 0) ? src[i++]! : src[j++]!;
        if (++done % STEP === 0) yield;
      }
    }
    [src, dst] = [dst, src];
  }
  if (src !== items) for (let k = 0; k < n; k++) items[k] = src[k]!;
  return items;
}
