// Reads a dump file of any supported format into a summary, streaming V8 snapshots (which can be gigabytes)
// and showing a progress bar on a TTY for large inputs.
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { createV8SnapshotParser, parseText } from "../runtimes/parsers-index.js";
import type { DumpSummaryBody, HeapFormat } from "../model/summary.js";

const PROGRESS_MIN_BYTES = 32 * 1024 * 1024;

export const FILE_FORMATS: HeapFormat[] = ["jcmd-histogram", "jmap-histogram", "gcdump-report", "dumpheap-stat", "v8-heapsnapshot", "plain"];

async function looksLikeV8(file: string): Promise<boolean> {
  if (file.endsWith(".heapsnapshot") || file.endsWith(".heapsnapshot.gz")) return true;
  const fh = await open(file, "r");
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(64), 0, 64, 0);
    return /^\s*\{\s*"snapshot"/.test(buffer.subarray(0, bytesRead).toString("utf8"));
  } finally {
    await fh.close();
  }
}

export async function readDumpFile(file: string, opts: { format?: HeapFormat; progress?: boolean } = {}): Promise<DumpSummaryBody> {
  const size = (await stat(file)).size;
  // cli-progress is loaded only when a bar is shown.
  const cliProgress = opts.progress && process.stderr.isTTY && size >= PROGRESS_MIN_BYTES ? (await import("cli-progress")).default : undefined;
  const bar =
    cliProgress
      ? new cliProgress.SingleBar({ format: `${file} [{bar}] {percentage}% {value}/{total} MiB`, stream: process.stderr }, cliProgress.Presets.shades_classic)
      : undefined;
  bar?.start(Math.ceil(size / 1048576), 0);
  let read = 0;
  const tick = (n: number) => {
    read += n;
    bar?.update(Math.floor(read / 1048576));
  };
  try {
    const v8 = opts.format ? opts.format === "v8-heapsnapshot" : await looksLikeV8(file);
    const raw = createReadStream(file, { highWaterMark: 1 << 20 });
    raw.on("data", (c) => tick(c.length));
    const stream = file.endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
    if (v8) {
      const parser = createV8SnapshotParser();
      for await (const chunk of stream) parser.write(chunk as Buffer);
      return parser.end();
    }
    const parts: Buffer[] = [];
    for await (const chunk of stream) parts.push(chunk as Buffer);
    return parseText(Buffer.concat(parts).toString("utf8"), opts.format);
  } finally {
    bar?.stop();
  }
}
