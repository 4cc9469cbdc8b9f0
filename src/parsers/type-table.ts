import type { DumpSummaryBody, HeapFormat, TypeRow } from "../heap/summary.js";

/**
 * Accumulates rows by normalised type name (merging duplicates) and builds the DumpSummaryBody.
 * Counts and bytes live in typed arrays indexed through a Map<string, number>: no object per add, which
 * matters for million-row histograms (allocation and GC were most of the cost).
 */
export class TypeTable {
  private readonly index = new Map<string, number>();
  private names: string[] = [];
  private counts: Float64Array = new Float64Array(256);
  private bytes: Float64Array = new Float64Array(256);

  /** Adds to a type's row; returns true when the type was already present (a merge). */
  add(type: string, count: number, bytes: number): boolean {
    let k = this.index.get(type);
    const existed = k !== undefined;
    if (k === undefined) {
      k = this.names.length;
      if (k === this.counts.length) {
        this.counts = grow(this.counts);
        this.bytes = grow(this.bytes);
      }
      this.index.set(type, k);
      this.names.push(type);
    }
    this.counts[k]! += count;
    this.bytes[k]! += bytes;
    return existed;
  }

  get size(): number {
    return this.names.length;
  }

  toBody(
    format: HeapFormat,
    opts: { bytesExact: boolean; notes?: string[]; totalBytes?: number },
  ): DumpSummaryBody {
    const { names, counts, bytes } = this;
    const order = Array.from({ length: names.length }, (_, i) => i);
    // Ties broken by count then name so the output does not depend on input order. Inputs that are already
    // ranked by bytes (jmap, jcmd) make this sort linear.
    order.sort((a, b) => {
      const d = bytes[b]! - bytes[a]! || counts[b]! - counts[a]!;
      if (d !== 0) return d;
      const x = names[a]!;
      const y = names[b]!;
      return x < y ? -1 : x > y ? 1 : 0;
    });
    const types: TypeRow[] = new Array(order.length);
    let totalObjects = 0;
    let sumBytes = 0;
    for (let i = 0; i < order.length; i++) {
      const k = order[i]!;
      types[i] = { type: names[k]!, count: counts[k]!, bytes: bytes[k]! };
      totalObjects += counts[k]!;
      sumBytes += bytes[k]!;
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

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
