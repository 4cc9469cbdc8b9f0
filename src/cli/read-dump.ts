// Reads a dump file of any supported format into a summary, streaming the formats that have a streaming parser
// (V8 snapshots can be gigabytes), and showing a progress bar on a TTY for large inputs.
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { TEXT_FORMATS, parseText, streamParserFor } from "../runtimes/index.js";
import type { DumpSummaryBody, HeapFormat } from "../model/summary.js";

const PROGRESS_MIN_BYTES = 32 * 1024 * 1024;

/** The formats `leakwatch parse` and `diff` read, from the runtime registry. */
export const FILE_FORMATS: readonly HeapFormat[] = TEXT_FORMATS;

/** The file's first bytes, to recognise a format that must be streamed. */
async function head(file: string): Promise<string> {
  const fh = await open(file, "r");
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(4096), 0, 4096, 0);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await fh.close();
  }
}

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
    const streaming = streamParserFor(file, opts.format !== undefined ? "" : await head(file), opts.format);
    const raw = createReadStream(file, { highWaterMark: 1 << 20 });
    raw.on("data", (c) => tick(c.length));
    const stream = file.endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
    if (streaming !== undefined) {
      for await (const chunk of stream) streaming.write(chunk as Buffer);
      return streaming.end();
    }
    const parts: Buffer[] = [];
    for await (const chunk of stream) parts.push(chunk as Buffer);
    return parseText(Buffer.concat(parts).toString("utf8"), opts.format);
  } finally {
    bar?.stop();
  }
}
