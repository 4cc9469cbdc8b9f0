// Difference between two dumps, per type, ranked by byte growth.

import { clampFinite } from "./finite.js";
import { type TypeRowsInput, toTypeMap } from "./rows.js";

export interface DiffRow {
  type: string;
  countA: number;
  countB: number;
  bytesA: number;
  bytesB: number;
  /** countB − countA (clamped to ±Number.MAX_VALUE). */
  deltaCount: number;
  /** bytesB − bytesA. */
  deltaBytes: number;
  /** bytesB ÷ bytesA; null when bytesA is 0 (a new type, or empty in both). */
  ratio: number | null;
  /** "new": only in B; "gone": only in A; "both": in both. */
  status: "new" | "gone" | "both";
}

/**
 * Diffs dump A (older) against dump B (newer). Every type in either dump gets a row (missing = 0 objects, 0
 * bytes). Order: deltaBytes descending, then deltaCount descending, then type name — so the biggest growers come
 * first and the types that shrank or are gone come last.
 */
export function diffDumps(a: TypeRowsInput, b: TypeRowsInput): DiffRow[] {
  const ma = toTypeMap(a);
  const mb = toTypeMap(b);
  const types = new Set([...ma.keys(), ...mb.keys()]);
  const rows: DiffRow[] = [];
  for (const type of types) {
    const ra = ma.get(type);
    const rb = mb.get(type);
    const countA = ra?.count ?? 0;
    const countB = rb?.count ?? 0;
    const bytesA = ra?.bytes ?? 0;
    const bytesB = rb?.bytes ?? 0;
    const ratio = bytesA !== 0 ? bytesB / bytesA : null;
    rows.push({
      type,
      countA,
      countB,
      bytesA,
      bytesB,
      deltaCount: clampFinite(countB - countA),
      deltaBytes: clampFinite(bytesB - bytesA),
      ratio: ratio !== null && Number.isFinite(ratio) ? ratio : null,
      status: ra === undefined ? "new" : rb === undefined ? "gone" : "both",
    });
  }
  return rows.sort(diffOrder);
}

/**
 * The first `limit` rows of diffDumps(a, b), in the same order, as a generator that yields every few thousand
 * rows (so a caller can give the event loop turns between; see util/slices.ts): with 100 k types a whole diff is
 * a sort of 100 k rows, here sorted in chunks and merged only as far as `limit`.
 */
export function* diffDumpsTop(a: TypeRowsInput, b: TypeRowsInput, limit: number): Generator<void, DiffRow[], void> {
  const CHUNK = 4096;
  const ma = toTypeMap(a);
  yield;
  const mb = toTypeMap(b);
  yield;
  const rows: DiffRow[] = [];
  const add = (type: string): void => {
    const ra = ma.get(type);
    const rb = mb.get(type);
    const countA = ra?.count ?? 0;
    const countB = rb?.count ?? 0;
    const bytesA = ra?.bytes ?? 0;
    const bytesB = rb?.bytes ?? 0;
    const ratio = bytesA !== 0 ? bytesB / bytesA : null;
    rows.push({
      type,
      countA,
      countB,
      bytesA,
      bytesB,
      deltaCount: clampFinite(countB - countA),
      deltaBytes: clampFinite(bytesB - bytesA),
      ratio: ratio !== null && Number.isFinite(ratio) ? ratio : null,
      status: ra === undefined ? "new" : rb === undefined ? "gone" : "both",
    });
  };
  for (const type of ma.keys()) {
    add(type);
    if (rows.length % CHUNK === 0) yield;
  }
  for (const type of mb.keys()) {
    if (ma.has(type)) continue;
    add(type);
    if (rows.length % CHUNK === 0) yield;
  }
  // Sorted runs, then a merge of their heads as far as `limit`: the order is total (type names are unique).
  const runs: DiffRow[][] = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    runs.push(rows.slice(i, i + CHUNK).sort(diffOrder));
    yield;
  }
  const heads = runs.map(() => 0);
  const out: DiffRow[] = [];
  const want = Math.max(0, Math.min(limit, rows.length));
  while (out.length < want) {
    let best = -1;
    for (let r = 0; r < runs.length; r++) {
      const row = runs[r]![heads[r]!];
      if (row !== undefined && (best < 0 || diffOrder(row, runs[best]![heads[best]!]!) < 0)) best = r;
    }
    out.push(runs[best]![heads[best]!++]!);
    if (out.length % CHUNK === 0) yield;
  }
  return out;
}

/** diffDumps' order: deltaBytes descending, then deltaCount descending, then type name. */
function diffOrder(x: DiffRow, y: DiffRow): number {
  return y.deltaBytes - x.deltaBytes || y.deltaCount - x.deltaCount || (x.type < y.type ? -1 : x.type > y.type ? 1 : 0);
}
