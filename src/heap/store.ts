// Dump summaries kept on disk under --data-dir, one JSON file per dump, so a restart of leakwatch keeps the
// history. Each file is written to a temporary name, fsynced and renamed into place: a kill -9 mid-write loses
// at most the dump in flight and never leaves a half-written summary where an earlier one was.
// In memory there is only each dump's header (id, time, totals, notes, typeCount): a summary's rows (100 k types
// is ~15 MB of row objects) are read back from its file when someone asks for them, so what the store holds grows
// with the number of dumps kept, not with their size. Files are written header first and rows last, which lets
// open() read just the start of each file.
import { open, readFile, readdir, unlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import type { Logger } from "pino";
import { z } from "../util/zod.js";
import { type DumpHeader, type DumpSummary, dumpHeader, type TypeRow } from "../model/summary.js";
import { makeDir, writeFileAtomic } from "../util/fs.js";
import { typeNamesOutdated, upgradeTypeNames } from "../runtimes/index.js";

const headerSchema = z.object({
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
  notes: z.array(z.string()),
  typeNames: z.string().optional(),
  kind: z.string().optional(),
});

/** How much of a file open() reads looking for the end of its header. */
const HEAD_BYTES = 64 * 1024;
/** Where the rows start in a file this store wrote: the header is everything before. */
const ROWS_MARK = ',"types":[';

export interface DumpStoreOptions {
  /** Where summaries live; undefined keeps them in memory only (tests, embedding). */
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

/** Oldest first: by time, then id (ids sort by time too, and break ties within a millisecond). */
function before(a: DumpHeader, b: DumpHeader): boolean {
  return a.time < b.time || (a.time === b.time && a.id < b.id);
}

/** A summary's rows, checked: every row a type name with finite, non-negative count and bytes. */
function checkRows(rows: unknown): TypeRow[] {
  if (!Array.isArray(rows)) throw new Error("types: not an array");
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as Partial<TypeRow> | null;
    const ok =
      r !== null &&
      typeof r === "object" &&
      typeof r.type === "string" &&
      typeof r.count === "number" &&
      Number.isFinite(r.count) &&
      r.count >= 0 &&
      typeof r.bytes === "number" &&
      Number.isFinite(r.bytes) &&
      r.bytes >= 0;
    if (!ok) throw new Error(`types[${i}]: not a {type, count, bytes} row`);
  }
  return rows as TypeRow[];
}

/** A whole summary from a file's text (throws on anything malformed), its type names in today's spelling. */
function parseSummary(text: string): DumpSummary {
  const raw = JSON.parse(text) as Record<string, unknown>;
  const header = headerSchema.parse(raw);
  return upgradeTypeNames({ ...header, types: checkRows(raw.types) });
}

/**
 * The JSON of a summary, header first and rows last (see ROWS_MARK), with its row count in the header, in pieces
 * of a few thousand rows: 100 k rows in one JSON.stringify would hold the event loop for a long time.
 */
function* serialise(s: DumpSummary): Generator<string, void, void> {
  const PIECE = 4096;
  yield `${JSON.stringify(dumpHeader(s)).slice(0, -1)}${ROWS_MARK}`;
  for (let i = 0; i < s.types.length; i += PIECE) {
    const piece = JSON.stringify(s.types.slice(i, i + PIECE)).slice(1, -1);
    yield i === 0 ? piece : `,${piece}`;
  }
  yield "]}";
}

export class DumpStore {
  private readonly byTarget = new Map<string, DumpHeader[]>();
  /** Without a data dir: the summaries themselves, by target and id. */
  private readonly memory = new Map<string, Map<string, DumpSummary>>();

  constructor(private readonly opts: DumpStoreOptions) {}

  get retention(): number {
    return this.opts.retention;
  }

  private dir(target: string): string {
    return path.join(this.opts.dataDir!, "dumps", target);
  }

  /** Loads the headers of every target's dumps found on disk. Unreadable files are reported and skipped, never fatal. */
  async open(): Promise<void> {
    if (!this.opts.dataDir) return;
    const root = path.join(this.opts.dataDir, "dumps");
    await makeDir(root, 0o700);
    for (const target of await readdir(root)) {
      const dir = path.join(root, target);
      const list: DumpHeader[] = [];
      for (const f of (await readdir(dir)).sort()) {
        const file = path.join(dir, f);
        if (f.includes(".tmp-")) {
          await unlink(file).catch(() => undefined); // a write that a crash interrupted
          continue;
        }
        if (!f.endsWith(".json")) continue;
        try {
          list.push(await readHeader(file));
        } catch (err) {
          this.opts.logger.warn({ file, err: String(err).split("\n")[0] }, "skipping unreadable dump summary");
        }
      }
      list.sort((a, b) => a.time - b.time || a.id.localeCompare(b.id));
      this.byTarget.set(target, list);
    }
  }

  /** The headers of the target's dumps, oldest first. */
  list(target: string): readonly DumpHeader[] {
    return this.byTarget.get(target) ?? [];
  }

  get(target: string, id: string): DumpHeader | undefined {
    return this.list(target).find((d) => d.id === id);
  }

  /** A whole stored summary, rows included, read from its file; undefined when there is no such dump (any more). */
  async read(target: string, id: string): Promise<DumpSummary | undefined> {
    if (!this.get(target, id)) return undefined;
    if (!this.opts.dataDir) return this.memory.get(target)?.get(id);
    try {
      return parseSummary(await readFile(path.join(this.dir(target), `${id}.json`), "utf8"));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined; // deleted by the retention meanwhile
      throw err;
    }
  }

  /**
   * The stored summary as a stream of its JSON text (for the API: never parsed, so its size does not matter);
   * undefined when there is no such dump.
   */
  async stream(target: string, id: string): Promise<NodeJS.ReadableStream | undefined> {
    if (!this.get(target, id)) return undefined;
    if (!this.opts.dataDir) {
      const s = this.memory.get(target)?.get(id);
      if (!s) return undefined;
      return Readable.from(serialise(s));
    }
    // A summary stored with an older spelling of its type names is answered renamed, as read() gives it.
    if (typeNamesOutdated(this.get(target, id)!)) {
      const s = await this.read(target, id);
      return s === undefined ? undefined : Readable.from(serialise(s));
    }
    // Opened now, so that a retention that deletes the file afterwards does not cut the answer short.
    const fh = await open(path.join(this.dir(target), `${id}.json`), "r").catch(() => undefined);
    return fh?.createReadStream();
  }

  /**
   * Persists first, then makes the summary visible: nothing is shown that a crash would lose. Returns the headers
   * of the dumps the retention deleted.
   */
  async add(summary: DumpSummary): Promise<DumpHeader[]> {
    if (this.opts.dataDir) {
      const dir = this.dir(summary.target);
      await makeDir(dir, 0o700);
      await writeFileAtomic(path.join(dir, `${summary.id}.json`), serialise(summary));
    } else {
      let byId = this.memory.get(summary.target);
      if (!byId) this.memory.set(summary.target, (byId = new Map()));
      byId.set(summary.id, summary);
    }
    let list = this.byTarget.get(summary.target);
    if (!list) this.byTarget.set(summary.target, (list = []));
    // In time order even when the clock went back, as open() would order them after a restart.
    const header = dumpHeader(summary);
    let at = list.length;
    while (at > 0 && before(header, list[at - 1]!)) at--;
    list.splice(at, 0, header);
    const dropped: DumpHeader[] = [];
    while (list.length > this.opts.retention) {
      const old = list.shift()!;
      dropped.push(old);
      if (this.opts.dataDir) await unlink(path.join(this.dir(old.target), `${old.id}.json`)).catch(() => undefined);
      else this.memory.get(old.target)?.delete(old.id);
    }
    return dropped;
  }
}

/**
 * A file's header. Files this store wrote have their rows last: the header is the JSON before ROWS_MARK in the
 * first HEAD_BYTES. Older files (rows in the middle) or very long notes: the whole file is read once.
 */
async function readHeader(file: string): Promise<DumpHeader> {
  const fh = await open(file, "r");
  let head: string;
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
    head = buf.toString("utf8", 0, bytesRead);
  } finally {
    await fh.close();
  }
  const mark = head.indexOf(ROWS_MARK);
  if (mark > 0) {
    try {
      const raw = JSON.parse(`${head.slice(0, mark)}}`) as Record<string, unknown>;
      const typeCount = raw.typeCount;
      if (typeof typeCount === "number" && Number.isInteger(typeCount) && typeCount >= 0) return { ...headerSchema.parse(raw), typeCount };
    } catch {
      // not this store's layout after all: read the whole file
    }
  }
  return dumpHeader(parseSummary(await readFile(file, "utf8")));
}
