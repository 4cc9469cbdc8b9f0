// Sticky choice of the types exported as their own metric series; the rest is summed into "(other)".
//
// Why sticky: a plain top-N by bytes makes a type fall in and out of the exported set from one dump to the next,
// which breaks its time series exactly when someone wants its slope. So:
//   - A tracked type stays tracked while it keeps appearing. It is dropped only after it has been absent from
//     `dropAfterAbsent` (default 3) consecutive selections (absent = no row, or a row with 0 objects and 0 bytes):
//     the type is gone (class unloaded, code path no longer used), and its slot is better used by another.
//   - Free slots (maxTypes − tracked) are filled from the untracked types in the latest dump: half (rounded
//     down) by growth — largest positive `netGrowthBytes` (else `bytesSlopePerSecond`) — and the rest by bytes.
//     Growth slots that find no growing type go to bytes. Ties break by type name, so the choice is
//     deterministic.
//   - Suspects always enter, even when there is no free slot; they displace nothing. So the tracked set can
//     exceed maxTypes: at most maxTypes + maxSuspectOverflow types (default overflow = maxTypes, i.e. 2×maxTypes
//     in total). Beyond that hard cap further suspects are left out (largest growth first in). Types admitted
//     over capacity stay sticky like any other; new non-suspect entrants wait until the set is below maxTypes.

import { clampFinite } from "./finite.js";
import { type TypeRowsInput, type TypeStats, toTypeMap } from "./rows.js";

/** What the selector needs to know about a type's growth; a TypeVerdict fits. */
export interface GrowthInfo {
  type: string;
  suspect?: boolean;
  netGrowthBytes?: number;
  bytesSlopePerSecond?: number;
}

export interface TypeSelection {
  /** Types exported individually, by latest bytes (descending) then name. */
  tracked: string[];
  /** Sum over the latest rows of every untracked type. */
  other: { count: number; bytes: number };
  /** Types that entered in this selection. */
  added: string[];
  /** Types dropped in this selection (absent too long). */
  dropped: string[];
}

export interface TypeSelectorOptions {
  /** Consecutive absent selections after which a tracked type is dropped (default 3, at least 1). */
  dropAfterAbsent?: number;
  /** How many suspects may be tracked beyond maxTypes (default maxTypes). */
  maxSuspectOverflow?: number;
}

export class TypeSelector {
  readonly maxTypes: number;
  readonly dropAfterAbsent: number;
  readonly maxSuspectOverflow: number;
  /** Tracked type → consecutive selections it has been absent. */
  private readonly absent = new Map<string, number>();

  constructor(maxTypes = 100, options: TypeSelectorOptions = {}) {
    if (!Number.isInteger(maxTypes) || maxTypes < 0) throw new RangeError(`TypeSelector: maxTypes must be an integer ≥ 0, got ${maxTypes}`);
    this.maxTypes = maxTypes;
    this.dropAfterAbsent = Math.max(1, Math.floor(options.dropAfterAbsent ?? 3));
    this.maxSuspectOverflow = Math.max(0, Math.floor(options.maxSuspectOverflow ?? maxTypes));
  }

  /** Types tracked now (any order). */
  get trackedTypes(): string[] {
    return [...this.absent.keys()];
  }

  /** Selects the tracked types for the latest dump's rows, given growth information (e.g. leak verdicts). */
  select(latest: TypeRowsInput, growth: Iterable<GrowthInfo> = []): TypeSelection {
    const steps = this.selectInSteps(latest, growth);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  /**
   * select() as a generator that yields every few thousand types, so that a caller can spread a dump of 100 k
   * types over several turns of the event loop; nothing else may use the selector until it has returned.
   */
  *selectInSteps(latest: TypeRowsInput, growth: Iterable<GrowthInfo> = []): Generator<void, TypeSelection, void> {
    // Linear in the number of types: a dump of 100 k types is read a few times, never sorted whole.
    const rows = asTypeMap(latest);
    let n = 0;
    const tick = (): boolean => (++n & 8191) === 0;
    const present = (type: string): boolean => {
      const r = rows.get(type);
      return r !== undefined && (r.count !== 0 || r.bytes !== 0);
    };

    const dropped: string[] = [];
    for (const [type, misses] of this.absent) {
      if (present(type)) this.absent.set(type, 0);
      else if (misses + 1 >= this.dropAfterAbsent) {
        this.absent.delete(type);
        dropped.push(type);
      } else this.absent.set(type, misses + 1);
    }

    // Only suspects and types with a rate matter; the last entry of a type wins.
    const growthOf = new Map<string, GrowthInfo>();
    for (const g of growth) {
      const v = g.netGrowthBytes ?? g.bytesSlopePerSecond ?? 0;
      if (g.suspect === true || (Number.isFinite(v) && v !== 0)) growthOf.set(g.type, g);
      else growthOf.delete(g.type);
      if (tick()) yield;
    }
    const rate = (type: string): number => {
      const g = growthOf.get(type);
      const v = g?.netGrowthBytes ?? g?.bytesSlopePerSecond ?? 0;
      return Number.isFinite(v) ? v : 0;
    };
    const bytesOf = (type: string): number => rows.get(type)?.bytes ?? 0;
    const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    const byGrowth = (a: string, b: string): number => rate(b) - rate(a) || bytesOf(b) - bytesOf(a) || byName(a, b);
    const byBytes = (a: string, b: string): number => bytesOf(b) - bytesOf(a) || byName(a, b);

    const added: string[] = [];
    const admit = (type: string): void => {
      this.absent.set(type, 0);
      added.push(type);
    };
    // The untracked types present in the latest dump, in its order; each step below skips those admitted before it.
    let candidates: string[] = [];
    for (const type of rows.keys()) {
      if (!this.absent.has(type) && present(type)) candidates.push(type);
      if (tick()) yield;
    }

    // Suspects first: they enter regardless of free slots, up to the hard cap.
    const cap = this.maxTypes + this.maxSuspectOverflow;
    const suspects = candidates.filter((t) => growthOf.get(t)?.suspect === true).sort(byGrowth);
    yield;
    for (const t of suspects) if (this.absent.size < cap) admit(t);

    let free = this.maxTypes - this.absent.size;
    if (free > 0) {
      candidates = candidates.filter((t) => !this.absent.has(t));
      const growthSlots = Math.floor(free / 2);
      const growing = smallest(
        candidates.filter((t) => rate(t) > 0),
        growthSlots,
        byGrowth,
      );
      for (const t of growing) admit(t);
      yield;
      free = this.maxTypes - this.absent.size;
      const biggest = smallest(
        candidates.filter((t) => !this.absent.has(t)),
        Math.max(0, free),
        byBytes,
      );
      for (const t of biggest) admit(t);
      yield;
    }

    const tracked = [...this.absent.keys()].sort(byBytes);
    const other = { count: 0, bytes: 0 };
    for (const [type, r] of rows) {
      if (tick()) yield;
      if (this.absent.has(type)) continue;
      other.count = clampFinite(other.count + r.count);
      other.bytes = clampFinite(other.bytes + r.bytes);
    }
    return { tracked, other, added, dropped };
  }

  /** Forgets every tracked type (e.g. when the target restarts under a new identity). */
  reset(): void {
    this.absent.clear();
  }
}

/** The rows as a Map: a Map of finite numbers is used as it is (read only), anything else normalised by toTypeMap. */
function asTypeMap(rows: TypeRowsInput): ReadonlyMap<string, TypeStats> {
  if (!(rows instanceof Map)) return toTypeMap(rows);
  for (const r of rows.values()) if (!Number.isFinite(r.count) || !Number.isFinite(r.bytes)) return toTypeMap(rows);
  return rows;
}

/** The first k items in cmp's order (a total order): sort(cmp).slice(0, k), without sorting them all. */
function smallest<T>(items: T[], k: number, cmp: (a: T, b: T) => number): T[] {
  if (k <= 0) return [];
  if (k * 8 >= items.length) return items.sort(cmp).slice(0, k);
  const best: T[] = [];
  for (const item of items) {
    if (best.length === k && cmp(item, best[k - 1]!) >= 0) continue;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(best[mid]!, item) <= 0) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, item);
    if (best.length > k) best.pop();
  }
  return best;
}
