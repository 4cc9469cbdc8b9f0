// Reads a dump file of any supported format into a summary, streamed through its parser (V8 snapshots can be
// gigabytes; memory grows with the number of types, not the file's size), and showing a progress bar on a TTY
// for large inputs.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { dumpLimits } from "../formats/limits.js";
import { TEXT_FORMATS, createDumpReader } from "../runtimes/index.js";
import type { DumpSummaryBody, HeapFormat } from "../model/summary.js";

const PROGRESS_MIN_BYTES = 32 * 1024 * 1024;

/** The formats `leakwatch parse` and `diff` read, from the runtime registry. */
export const FILE_FORMATS: readonly HeapFormat[] = TEXT_FORMATS;

export async function readDumpFile(file: string, opts: { format?: HeapFormat; progress?: boolean } = {}): Promise<DumpSummaryBody> {
  const st = await stat(file);
  if (st.isDirectory()) {
    // Reading a directory fails with an error that names no file: say which one.
    throw Object.assign(new Error(`${file} is a directory`), { code: "EISDIR", path: file, syscall: "read" });
  }
  const size = st.size;
  // cli-progress is loaded only when a bar is shown.
  const cliProgress = opts.progress && process.stderr.isTTY && size >= PROGRESS_MIN_BYTES ? (await import("cli-progress")).default : undefined;
  const bar = cliProgress
    ? new cliProgress.SingleBar({ format: `${file} [{bar}] {percentage}% {value}/{total} MiB`, stream: process.stderr }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(Math.ceil(size / 1048576), 0);
  let read = 0;
  const tick = (n: number) => {
    read += n;
    bar?.update(Math.floor(read / 1048576));
  };
  try {
    // A file given on the command line may be as large as it is (memory does not grow with it); the line-length
    // and type caps still make /dev/zero or a runaway generator fail instead of eating the machine's memory.
    const reader = createDumpReader({ format: opts.format, file, limits: dumpLimits({ maxBytes: Number.POSITIVE_INFINITY }) });
    const raw = createReadStream(file, { highWaterMark: 1 << 20 });
    raw.on("data", (c) => tick(c.length));
    const stream = file.endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
    if (stream !== raw) raw.on("error", (e) => stream.destroy(e));
    try {
      for await (const chunk of stream) reader.write(chunk as Buffer);
    } finally {
      raw.destroy();
    }
    return reader.end();
  } finally {
    bar?.stop();
  }
}
