// Dump summaries kept on disk under --data-dir, one JSON file per dump, so a restart of leakwatch keeps the
// history. Each file is written to a temporary name, fsynced and renamed into place: a kill -9 mid-write loses
// at most the dump in flight and never leaves a half-written summary where an earlier one was.
import { open, readFile, readdir, rename, unlink } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { z } from "../util/zod.js";
import type { DumpSummary } from "../model/summary.js";
import { makeDir } from "../util/fs.js";

const rowSchema = z.object({ type: z.string(), count: z.number().nonnegative(), bytes: z.number().nonnegative() });
const summarySchema = z.object({
  id: z.string(),
  target: z.string(),
  time: z.number(),
  source: z.string(),
  durationSeconds: z.number(),
  requests: z.number().optional(),
  format: z.string(),
  totalObjects: z.number(),
  totalBytes: z.number(),
  bytesExact: z.boolean(),
  types: z.array(rowSchema),
  notes: z.array(z.string()),
});

export interface DumpStoreOptions {
  /** Where summaries live; undefined keeps them in memory only. */
  dataDir?: string;
  /** Summaries kept per target; the oldest are deleted beyond this. */
  retention: number;
  logger: Logger;
}

/** A sortable, unique id: UTC time to the millisecond plus a counter. */
let seq = 0;
export function newDumpId(time: number): string {
  const iso = new Date(time).toISOString().replace(/[-:]/g, "").replace(".", "");
  return `${iso}-${(seq++ % 1e4).toString().padStart(4, "0")}`;
}

export class DumpStore {
  private readonly byTarget = new Map<string, DumpSummary[]>();

  constructor(private readonly opts: DumpStoreOptions) {}

  private dir(target: string): string {
    return path.join(this.opts.dataDir!, "dumps", target);
  }

  /** Loads the history of every target found on disk. Unreadable files are reported and skipped, never fatal. */
  async open(): Promise<void> {
    if (!this.opts.dataDir) return;
    const root = path.join(this.opts.dataDir, "dumps");
    await makeDir(root, 0o700);
    for (const target of await readdir(root)) {
      const dir = path.join(root, target);
      const list: DumpSummary[] = [];
      for (const f of (await readdir(dir)).sort()) {
        const file = path.join(dir, f);
        if (f.includes(".tmp-")) {
          await unlink(file).catch(() => undefined); // a write that a crash interrupted
          continue;
        }
        if (!f.endsWith(".json")) continue;
        try {
          list.push(summarySchema.parse(JSON.parse(await readFile(file, "utf8"))) as DumpSummary);
        } catch (err) {
          this.opts.logger.warn({ file, err: String(err).split("\n")[0] }, "skipping unreadable dump summary");
        }
      }
      list.sort((a, b) => a.time - b.time || a.id.localeCompare(b.id));
      this.byTarget.set(target, list);
    }
  }

  list(target: string): readonly DumpSummary[] {
    return this.byTarget.get(target) ?? [];
  }

  get(target: string, id: string): DumpSummary | undefined {
    return this.list(target).find((d) => d.id === id);
  }

  /** Persists first, then makes the summary visible: nothing is shown that a crash would lose. */
  async add(summary: DumpSummary): Promise<void> {
    if (this.opts.dataDir) {
      const dir = this.dir(summary.target);
      await makeDir(dir, 0o700);
      const file = path.join(dir, `${summary.id}.json`);
      const tmp = `${file}.tmp-${process.pid}`;
      const fh = await open(tmp, "w", 0o600);
      try {
        await fh.writeFile(JSON.stringify(summary));
        await fh.sync();
      } catch (err) {
        await fh.close();
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
      await fh.close();
      await rename(tmp, file);
      const dh = await open(dir, "r");
      await dh.sync().catch(() => undefined);
      await dh.close();
    }
    let list = this.byTarget.get(summary.target);
    if (!list) this.byTarget.set(summary.target, (list = []));
    list.push(summary);
    while (list.length > this.opts.retention) {
      const old = list.shift()!;
      if (this.opts.dataDir) {
        await unlink(path.join(this.dir(old.target), `${old.id}.json`)).catch(() => undefined);
      }
    }
  }
}
