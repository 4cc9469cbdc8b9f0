import type { DumpSummaryBody, HeapFormat, TypeRow } from "../heap/summary.js";

/** Accumulates rows by normalised type name (merging duplicates) and builds the DumpSummaryBody. */
export class TypeTable {
  private readonly rows = new Map<string, TypeRow>();

  add(type: string, count: number, bytes: number): void {
    const row = this.rows.get(type);
    if (row === undefined) this.rows.set(type, { type, count, bytes });
    else {
      row.count += count;
      row.bytes += bytes;
    }
  }

  get size(): number {
    return this.rows.size;
  }

  toBody(
    format: HeapFormat,
    opts: { bytesExact: boolean; notes?: string[]; totalBytes?: number },
  ): DumpSummaryBody {
    const types = [...this.rows.values()];
    // Ties broken by count then name so the output does not depend on input order.
    types.sort((a, b) => b.bytes - a.bytes || b.count - a.count || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
    let totalObjects = 0;
    let sumBytes = 0;
    for (const r of types) {
      totalObjects += r.count;
      sumBytes += r.bytes;
    }
    return {
      format,
      totalObjects,
      totalBytes: opts.totalBytes ?? sumBytes,
      bytesExact: opts.bytesExact,
      types,
      notes: opts.notes ?? [],
    };
  }
}
