// What a V8 heap snapshot costs the target in memory, for the headroom guard.
import type { ProcFs } from "../../procfs/process.js";

/** Measured peak growth of a Node 20 target per object in its heap while a snapshot is taken (814-844 B, rounded up). */
export const V8_SNAPSHOT_BYTES_PER_OBJECT = 1024;
/** Growth allowed for since the previous dump, when the estimate comes from its object count. */
const V8_OBJECT_GROWTH_ALLOWANCE = 1.25;
/** Without a previous dump: peak growth per byte of anonymous memory (measured 4.4x-8.5x; rounded up). */
const V8_SNAPSHOT_RSS_FACTOR = 10;

/**
 * Memory a V8 heap snapshot costs the target. V8 builds the whole snapshot graph in the target's memory, and its
 * size follows the number of objects, not the bytes: measured here, a heap of 445 k small objects (42 MB
 * anonymous) grew the process by 358 MB while snapshotting — far more than the "about twice the heap" often
 * quoted. So: with a previous dump, its object count (plus growth since) × ~1 KiB per object; without one, 10 ×
 * the anonymous resident memory (RssAnon holds the V8 heap, not code or mapped files). Deliberately on the safe
 * side: a skipped dump costs a data point, an OOM kill costs the soak.
 */
export async function v8SnapshotCost(proc: ProcFs, pid: number, rss: number | undefined, lastObjects?: number): Promise<number> {
  const mem = await proc.memoryOrEmpty(pid);
  const anon = mem.rssAnon ?? rss ?? mem.rss ?? 0;
  if (lastObjects !== undefined && lastObjects > 0) {
    return Math.max(2 * anon, lastObjects * V8_OBJECT_GROWTH_ALLOWANCE * V8_SNAPSHOT_BYTES_PER_OBJECT);
  }
  return V8_SNAPSHOT_RSS_FACTOR * anon;
}
