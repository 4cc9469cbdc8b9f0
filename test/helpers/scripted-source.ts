// A heap source whose dumps a test writes: rows(n) gives the types of the n-th dump (1-based). For testing the
// pipeline (store, verdict, metrics, API, UI) without a runtime; real sources have real-runtime tests of their own.
import type { HeapSource } from "../../src/model/dump.js";
import type { DumpSummaryBody, TypeRow } from "../../src/model/summary.js";

export function scriptedSource(rows: (n: number) => TypeRow[], opts: { failOn?: (n: number) => Error | undefined } = {}): HeapSource {
  let n = 0;
  return {
    name: "scripted",
    memoryCost: async () => 0,
    dump: async (): Promise<DumpSummaryBody> => {
      n++;
      const err = opts.failOn?.(n);
      if (err) throw err;
      const types = rows(n).sort((a, b) => b.bytes - a.bytes);
      return {
        format: "plain",
        totalObjects: types.reduce((s, r) => s + r.count, 0),
        totalBytes: types.reduce((s, r) => s + r.bytes, 0),
        bytesExact: true,
        types,
        notes: [],
      };
    },
  };
}
