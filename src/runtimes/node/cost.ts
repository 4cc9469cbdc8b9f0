// What a V8 heap snapshot costs the target in memory (for the headroom guard) and on disk (for the free-space check
// of the signal source, where the target writes the snapshot itself).
import type { ProcFs } from "../../procfs/process.js";

/**
 * Without a measured dump of the target: peak growth per byte of anonymous memory. Measured on Node 20 (growth of
 * the process while snapshotting, over its RssAnon before): 4.5× for an idle process, 4.5-7× for objects held in
 * maps, lists or arrays of a thousand, 10.5× for 445 k small objects in one array, 13× for a million empty
 * objects, 19× for a million short strings and 31.5× for an array of a million numbers — the cost per element of
 * one big array is three to four times that of many small ones. 40 = the worst seen, plus a quarter.
 */
export const V8_SNAPSHOT_RSS_FACTOR = 40;
/** Without a measured dump: peak growth per object (snapshot node) of the previous dump; measured 276-2555 B. */
export const V8_SNAPSHOT_BYTES_PER_OBJECT = 3 * 1024;
/** Growth allowed for since the previous dump, when the estimate comes from its object count. */
const V8_OBJECT_GROWTH_ALLOWANCE = 1.25;

/**
 * Memory a V8 heap snapshot costs the target. V8 builds the whole snapshot graph in the target's memory, and its
 * size follows the number and the arrangement of the objects, not their bytes: a heap of 445 k small objects in one
 * array (60-80 MB anonymous) grows the process by 850 MB while snapshotting, far more than the "about twice the
 * heap" often quoted. What dumps of this very target cost, once measured (`learned`, from the runner), is the
 * estimate. Before that it must be safe for any heap: the larger of 40 × the anonymous resident memory (RssAnon
 * holds the V8 heap, not code or mapped files; plus what it gains before the dump begins, `rising`) and, with a
 * previous dump, its objects (plus growth since) × 3 KiB.
 * Deliberately on the safe side: a skipped dump costs a data point, an OOM kill costs the soak.
 */
export async function v8SnapshotCost(proc: ProcFs, pid: number, rss: number | undefined, lastObjects?: number, learned?: number, rising = 0): Promise<number> {
  if (learned !== undefined) return learned;
  const mem = await proc.memoryOrEmpty(pid);
  const anon = (mem.rssAnon ?? rss ?? mem.rss ?? 0) + rising;
  const byObjects = lastObjects !== undefined && lastObjects > 0 ? lastObjects * V8_OBJECT_GROWTH_ALLOWANCE * V8_SNAPSHOT_BYTES_PER_OBJECT : 0;
  return Math.ceil(Math.max(V8_SNAPSHOT_RSS_FACTOR * anon, byObjects));
}

/**
 * Without an earlier snapshot of the process: file bytes per byte of anonymous memory. Measured on Node 20: 0.45×
 * (idle) to 1.5× (a million closures); 2 leaves room.
 */
export const V8_SNAPSHOT_FILE_FACTOR = 2;
/** Growth allowed for since the previous snapshot file, when the estimate comes from its size. */
const V8_FILE_GROWTH_ALLOWANCE = 1.25;

/**
 * The size of the snapshot file the target is about to write: the previous one's (plus a quarter, plus twice what
 * its anonymous memory gained since) when there is one, else twice its anonymous memory.
 */
export function v8SnapshotFileSize(anon: number, previous?: { bytes: number; anonAfter: number }): number {
  if (previous === undefined) return V8_SNAPSHOT_FILE_FACTOR * anon;
  return Math.ceil(previous.bytes * V8_FILE_GROWTH_ALLOWANCE + V8_SNAPSHOT_FILE_FACTOR * Math.max(0, anon - previous.anonAfter));
}
