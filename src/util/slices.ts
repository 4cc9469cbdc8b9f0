// Long computations on the event loop in slices: a generator does the work and yields now and then; between
// slices of at most `sliceMs` the loop serves whatever is waiting (a scrape, an API call, a signal), so that no
// single turn blocks it for long whatever the size of the input.
import { performance } from "node:perf_hooks";

/** Resolves after pending I/O has had its turn (setImmediate runs after the poll phase). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs the generator to its end, giving the event loop a turn whenever a slice has taken `sliceMs` or more. */
export async function runInSlices<T>(work: Generator<unknown, T, void>, sliceMs = 10): Promise<T> {
  let start = performance.now();
  for (;;) {
    const r = work.next();
    if (r.done) return r.value;
    if (performance.now() - start >= sliceMs) {
      await nextTurn();
      start = performance.now();
    }
  }
}
