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
  return rows.sort((x, y) => y.deltaBytes - x.deltaBytes || y.deltaCount - x.deltaCount || (x.type < y.type ? -1 : x.type > y.type ? 1 : 0));
}
