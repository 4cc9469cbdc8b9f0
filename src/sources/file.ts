// Heap source reading a directory into which other tools write heap statistics (any supported format, streamed
// through its parser within the dump limits, so a huge or endless file fails the dump instead of filling
// leakwatch's memory; `.gz` files are decompressed on the way). Each dump() ingests the newest complete file not yet
// ingested; a file is tracked by name + mtime + size, so a file rewritten in place counts as new.
// A file still being written (its size or mtime changed within settleMs) is skipped until a later call; files
// older than the one ingested are passed over for good (the newest state is what matters). The files are not
// ours: they are left in place unless deleteAfterIngest is set.
import { createReadStream, watch, type FSWatcher } from "node:fs";
import { createGunzip } from "node:zlib";
import { readdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { type DumpLimits, dumpLimits } from "../formats/limits.js";
import { ParseError } from "../model/parse-error.js";
import { createDumpReader } from "../runtimes/index.js";
import type { StreamParser } from "../runtime-kit/runtime.js";
import type { HeapFormat } from "../model/summary.js";
import { DumpError, type DumpContext, type HeapSource } from "../model/dump.js";
import type { DumpSummaryBody } from "../model/summary.js";
import { asDumpError } from "../model/dump.js";
import { abortError, sleepAbortable } from "../runtime-kit/abort.js";

export interface FileSourceOptions {
  /** The directory to read. */
  dir: string;
  /** Which file names count (default: every name not starting with "."). */
  match?: RegExp;
  /** The files' format; default: detected per file. */
  format?: HeapFormat;
  /** Delete a file once it has been parsed successfully (default false: the files belong to whoever wrote them). */
  deleteAfterIngest?: boolean;
  /** A file is complete once neither its size nor its mtime changed for this long (default 1000 ms). */
  settleMs?: number;
  /**
   * Caps on what is read (default DEFAULT_DUMP_LIMITS): maxBytes is the largest text file (after decompression);
   * V8 snapshots, streamed, have no size limit.
   */
  limits?: DumpLimits;
}

interface Entry {
  name: string;
  size: number;
  mtimeMs: number;
}

const key = (e: Entry): string => `${e.mtimeMs}:${e.size}`;

export class FileSource implements HeapSource {
  readonly name = "file";
  /** name → key of the version already ingested (or passed over). */
  private readonly done = new Map<string, string>();
  private readonly settleMs: number;

  constructor(private readonly options: FileSourceOptions) {
    if (options.dir === "") throw new Error("file heap source: the directory is empty");
    this.settleMs = options.settleMs ?? 1000;
  }

  /** Reading files written by others costs the target nothing. */
  async memoryCost(): Promise<number> {
    return 0;
  }

  /**
   * Calls onFile with the path of every matching file that is created or written in the directory (fs.watch),
   * so a scheduler can dump soon after a new file appears. Returns a function that stops watching.
   */
  watch(onFile: (file: string) => void): () => void {
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(this.options.dir, { persistent: false }, (_event, filename) => {
        const name = filename?.toString();
        if (name !== undefined && this.matches(name)) onFile(path.join(this.options.dir, name));
      });
      watcher.on("error", () => watcher?.close());
    } catch {
      // Directory missing or not watchable: the scheduler's own interval still applies.
    }
    return () => watcher?.close();
  }

  private matches(name: string): boolean {
    return this.options.match ? this.options.match.test(name) : !name.startsWith(".");
  }

  private async list(): Promise<Entry[]> {
    let names: string[];
    try {
      names = await readdir(this.options.dir);
    } catch (err) {
      throw new DumpError("io_error", `cannot read heap file directory ${this.options.dir}: ${(err as Error).message}`);
    }
    const out: Entry[] = [];
    for (const name of names) {
      if (!this.matches(name)) continue;
      try {
        const st = await stat(path.join(this.options.dir, name));
        if (st.isFile()) out.push({ name, size: st.size, mtimeMs: st.mtimeMs });
      } catch {
        // removed meanwhile
      }
    }
    // Forget files that are gone, so the memory kept does not grow with the directory's history.
    const present = new Set(out.map((e) => e.name));
    for (const name of this.done.keys()) if (!present.has(name)) this.done.delete(name);
    return out;
  }

  async dump(ctx: DumpContext): Promise<DumpSummaryBody> {
    const first = (await this.list()).filter((e) => this.done.get(e.name) !== key(e));
    if (first.length === 0) throw new DumpError("incomplete", `no new heap statistics file in ${this.options.dir}`);
    // Young files are looked at again after the settle time: one that changed meanwhile is still being written.
    const now = Date.now();
    const youngest = Math.max(...first.map((e) => e.mtimeMs));
    const wait = Math.min(this.settleMs, Math.max(0, this.settleMs - (now - youngest)));
    let candidates = first;
    if (wait > 0) {
      await sleepAbortable(wait, ctx.signal);
      const again = new Map((await this.list()).map((e) => [e.name, e]));
      candidates = first.filter((e) => {
        const later = again.get(e.name);
        return later !== undefined && key(later) === key(e) && e.size > 0;
      });
    } else candidates = first.filter((e) => e.size > 0);
    if (candidates.length === 0) {
      throw new DumpError("incomplete", `the new file(s) in ${this.options.dir} are still being written: ${first.map((e) => e.name).join(", ")}`);
    }
    candidates.sort((a, b) => b.mtimeMs - a.mtimeMs || (a.name < b.name ? 1 : -1));
    const pick = candidates[0]!;
    // Older complete files are passed over for good; a newer file still being written stays for next time.
    for (const e of candidates) if (e.mtimeMs <= pick.mtimeMs) this.done.set(e.name, key(e));
    const file = path.join(this.options.dir, pick.name);
    const body = await this.parse(file, ctx.signal);
    ctx.logger.debug?.({ file }, "heap statistics file ingested");
    if (this.options.deleteAfterIngest) {
      await unlink(file).catch((err: Error) => ctx.logger.warn({ file, err: err.message }, "cannot delete ingested heap file"));
    }
    return body;
  }

  /** A text file over limits.maxBytes fails when the reader gets there (it is not retried: see dump()). */
  private async parse(file: string, signal: AbortSignal): Promise<DumpSummaryBody> {
    const limits = this.options.limits ?? dumpLimits();
    const reader = createDumpReader({ format: this.options.format, file, limits });
    try {
      return await streamFile(file, reader, signal);
    } catch (err) {
      if (err instanceof DumpError || err instanceof ParseError) throw asDumpError(err, file);
      if (signal.aborted) throw abortError();
      if (String((err as NodeJS.ErrnoException).code ?? "").startsWith("Z_")) {
        throw new DumpError("parse_error", `${file}: not valid gzip data: ${(err as Error).message}`);
      }
      throw new DumpError("io_error", `reading ${file}: ${(err as Error).message}`);
    }
  }
}

/**
 * Streams a (possibly gzipped) file through a streaming parser, one chunk at a time so that other work runs in
 * between; aborting stops the read at once.
 */
async function streamFile(file: string, parser: StreamParser, signal: AbortSignal): Promise<DumpSummaryBody> {
  const raw = createReadStream(file, { highWaterMark: 1 << 20, signal });
  let input: NodeJS.ReadableStream = raw;
  if (file.endsWith(".gz")) {
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    raw.on("error", (e) => gunzip.destroy(e));
    input = raw.pipe(gunzip);
  }
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      if (signal.aborted) throw abortError();
      parser.write(chunk);
    }
  } finally {
    raw.destroy();
  }
  return parser.end();
}
