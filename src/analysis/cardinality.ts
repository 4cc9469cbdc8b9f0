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
import { type TypeRowsInput, toTypeMap } from "./rows.js";

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
    const rows = toTypeMap(latest);
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

    const growthOf = new Map<string, GrowthInfo>();
    for (const g of growth) growthOf.set(g.type, g);
    const rate = (type: string): number => {
      const g = growthOf.get(type);
      const v = g?.netGrowthBytes ?? g?.bytesSlopePerSecond ?? 0;
      return Number.isFinite(v) ? v : 0;
    };
    const bytesOf = (type: string): number => rows.get(type)?.bytes ?? 0;
    const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

    const added: string[] = [];
    const admit = (type: string): void => {
      this.absent.set(type, 0);
      added.push(type);
    };
    const candidates = (): string[] => [...rows.keys()].filter((t) => !this.absent.has(t) && present(t));

    // Suspects first: they enter regardless of free slots, up to the hard cap.
    const cap = this.maxTypes + this.maxSuspectOverflow;
    const suspects = candidates()
      .filter((t) => growthOf.get(t)?.suspect === true)
      .sort((a, b) => rate(b) - rate(a) || bytesOf(b) - bytesOf(a) || byName(a, b));
    for (const t of suspects) if (this.absent.size < cap) admit(t);

    let free = this.maxTypes - this.absent.size;
    if (free > 0) {
      const growthSlots = Math.floor(free / 2);
      const growing = candidates()
        .filter((t) => rate(t) > 0)
        .sort((a, b) => rate(b) - rate(a) || bytesOf(b) - bytesOf(a) || byName(a, b))
        .slice(0, growthSlots);
      for (const t of growing) admit(t);
      free = this.maxTypes - this.absent.size;
      const biggest = candidates()
        .sort((a, b) => bytesOf(b) - bytesOf(a) || byName(a, b))
        .slice(0, Math.max(0, free));
      for (const t of biggest) admit(t);
    }

    const tracked = [...this.absent.keys()].sort((a, b) => bytesOf(b) - bytesOf(a) || byName(a, b));
    const other = { count: 0, bytes: 0 };
    for (const [type, r] of rows) {
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
