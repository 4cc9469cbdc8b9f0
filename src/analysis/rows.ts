// Accepting a dump's per-type rows in either shape: the DumpSummary array or a Map keyed by type.

import type { TypeRow } from "../model/summary.js";
import { clampFinite } from "./finite.js";

/** Count and bytes of one type in one dump. */
export interface TypeStats {
  count: number;
  bytes: number;
}

/** Per-type rows as the analysis accepts them: `DumpSummary.types` or a Map from type name to stats. */
export type TypeRowsInput = readonly TypeRow[] | ReadonlyMap<string, TypeStats>;

/**
 * Normalises rows to a Map. Duplicate types in an array are summed (clamped to ±Number.MAX_VALUE); non-finite
 * counts or bytes are read as 0.
 */
export function toTypeMap(rows: TypeRowsInput): Map<string, TypeStats> {
  const out = new Map<string, TypeStats>();
  const add = (type: string, count: number, bytes: number): void => {
    const c = Number.isFinite(count) ? count : 0;
    const b = Number.isFinite(bytes) ? bytes : 0;
    const prev = out.get(type);
    if (prev) {
      prev.count = clampFinite(prev.count + c);
      prev.bytes = clampFinite(prev.bytes + b);
    } else out.set(type, { count: c, bytes: b });
  };
  if (isMap(rows)) for (const [type, s] of rows) add(type, s.count, s.bytes);
  else for (const r of rows) add(r.type, r.count, r.bytes);
  return out;
}

function isMap(rows: TypeRowsInput): rows is ReadonlyMap<string, TypeStats> {
  return typeof (rows as ReadonlyMap<string, TypeStats>).get === "function" && !Array.isArray(rows);
}
