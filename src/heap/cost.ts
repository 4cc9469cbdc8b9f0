// What dumps of one target have really cost it in memory, for the headroom guard. A source's own cost model has to
// be safe for any target (a V8 snapshot costs 4× to 30× the heap depending on the objects in it), so it is far too
// careful for most; once a dump of this target has been measured (sampling/peak.ts), the worst ratio seen — growth
// per object, and per byte of anonymous memory — with a margin, says what the next dump of the same target costs.
import type { PeakReading } from "../sampling/peak.js";

/** Kept on top of the worst ratio seen: the next dump may cost a little more per object than any before. */
export const LEARNED_COST_MARGIN = 1.25;
/** Objects the target may have gained since its last dump, beyond what its memory growth since shows. */
export const LEARNED_OBJECT_GROWTH = 1.25;
/** Smallest average object size assumed when memory growth is turned into new objects. */
const MIN_OBJECT_BYTES = 16;
/**
 * Beyond this growth of its anonymous memory since the dumps measured, the target is no longer the one measured: a
 * snapshot's cost per object rises with the heap's shape (one array of a million elements costs 3-4× per element
 * what a thousand arrays of a thousand do), so no estimate is learned and the source's own, careful one applies.
 */
export const LEARNED_MAX_ANON_GROWTH = 2;

export interface CostEstimate {
  bytes: number;
  /** How it was reached, for the log and the skip message. */
  basis: string;
}

export class DumpCosts {
  /** Worst growth per object of the dump, over the measured dumps that produced a summary. */
  private perObject: number | undefined;
  /** Worst growth per byte of anonymous memory before the dump, over all measured dumps. */
  private perAnonByte: number | undefined;
  /** The target as its last measured successful dump left it. */
  private last: { objects: number; bytesPerObject: number; anonAfter: number | undefined } | undefined;
  /** The largest anonymous memory a measured dump started from. */
  private maxAnonBefore: number | undefined;
  private measured = 0;

  /** How many dumps have been measured. */
  get count(): number {
    return this.measured;
  }

  /**
   * Adds one measured dump; `body` is its summary when it succeeded. A dump that failed may have gone on in the target
   * after the measure stopped (a snapshot outlives a timeout), so its figure is only a lower bound: it may raise
   * the ratios that successful dumps set, never set the first.
   */
  record(reading: PeakReading, body?: { totalObjects: number; totalBytes: number }): void {
    this.measured++;
    const { growth, anonBefore } = reading;
    if (!body) {
      if (this.perObject !== undefined && this.last) this.perObject = Math.max(this.perObject, growth / this.last.objects);
      if (this.perAnonByte !== undefined && anonBefore !== undefined && anonBefore > 0) this.perAnonByte = Math.max(this.perAnonByte, growth / anonBefore);
      return;
    }
    if (anonBefore !== undefined && anonBefore > 0) {
      this.perAnonByte = Math.max(this.perAnonByte ?? 0, growth / anonBefore);
      this.maxAnonBefore = Math.max(this.maxAnonBefore ?? 0, anonBefore);
    }
    if (body.totalObjects <= 0) return;
    this.perObject = Math.max(this.perObject ?? 0, growth / body.totalObjects);
    this.last = {
      objects: body.totalObjects,
      bytesPerObject: Math.max(MIN_OBJECT_BYTES, body.totalBytes / body.totalObjects),
      anonAfter: reading.anonAfter,
    };
  }

  /**
   * The next dump's cost from what earlier ones cost, for a target with `anon` bytes of anonymous memory now; undefined
   * before any was measured. Per object when a measured dump produced a summary: its objects (plus growth: a
   * quarter, and what the memory gained since that dump would hold in objects of its average size) × the worst
   * growth per object. A snapshot's memory often stays in the target's allocator after it, so the anonymous memory
   * after a first dump says little about the next one's cost: per byte only when no dump has produced objects yet.
   * Undefined too when the target has more than doubled its anonymous memory since (LEARNED_MAX_ANON_GROWTH).
   */
  estimate(anon: number | undefined): CostEstimate | undefined {
    if (this.perObject !== undefined && this.last !== undefined) {
      if (anon !== undefined && this.last.anonAfter !== undefined && anon > this.last.anonAfter * LEARNED_MAX_ANON_GROWTH) return undefined;
      const gained = anon !== undefined && this.last.anonAfter !== undefined ? Math.max(0, anon - this.last.anonAfter) : 0;
      const objects = this.last.objects * LEARNED_OBJECT_GROWTH + gained / this.last.bytesPerObject;
      return {
        bytes: Math.ceil(objects * this.perObject * LEARNED_COST_MARGIN),
        basis: `measured on ${this.measured} earlier dump(s) of this target: up to ${Math.round(this.perObject)} bytes per object, for about ${Math.round(objects)} objects, plus ${Math.round((LEARNED_COST_MARGIN - 1) * 100)}%`,
      };
    }
    if (this.perAnonByte !== undefined && anon !== undefined) {
      if (this.maxAnonBefore !== undefined && anon > this.maxAnonBefore * LEARNED_MAX_ANON_GROWTH) return undefined;
      return {
        bytes: Math.ceil(anon * this.perAnonByte * LEARNED_COST_MARGIN),
        basis: `measured on ${this.measured} earlier dump(s) of this target: up to ${this.perAnonByte.toFixed(2)} × its anonymous memory, plus ${Math.round((LEARNED_COST_MARGIN - 1) * 100)}%`,
      };
    }
    return undefined;
  }
}
