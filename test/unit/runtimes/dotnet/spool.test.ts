// Counting a spooled heap snapshot: by the worker thread while the file grows (the built module, as leakwatch runs
// it; test/global-setup.ts builds dist/), or on the event loop after the file is complete (run from the TypeScript
// sources, which have no compiled worker); both give what decoding the stream in one go gives.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { HeapDumpAggregator } from "../../../../src/runtimes/dotnet/heapdump.js";
import { NettraceDecoder } from "../../../../src/runtimes/dotnet/protocol/nettrace.js";
import { replayFile, SpoolDecoder, workerAvailable } from "../../../../src/runtimes/dotnet/spool.js";
import { fixture } from "./writer.js";

const dist = pathToFileURL(path.resolve(__dirname, "../../../../dist/runtimes/dotnet/spool.js")).href;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function expected(stream: Buffer) {
  const agg = new HeapDumpAggregator();
  new NettraceDecoder(agg).push(stream);
  return { summary: agg.summary(), losses: agg.losses(), gc: agg.gcSeconds, state: agg.state };
}

const got = (agg: HeapDumpAggregator) => ({ summary: agg.summary(), losses: agg.losses(), gc: agg.gcSeconds, state: agg.state });

/** Writes the stream into a new file in pieces, telling the decoder after each, as the source does. */
async function spool(Decoder: typeof SpoolDecoder, stream: Buffer, useWorker?: boolean) {
  const dir = mkdtempSync(path.join(tmpdir(), "lw-spool-"));
  dirs.push(dir);
  const file = path.join(dir, "s.nettrace");
  writeFileSync(file, "", { mode: 0o600 });
  const decoder = useWorker === undefined ? new Decoder(file) : new Decoder(file, useWorker);
  for (let i = 0; i < stream.length; i += 7001) {
    const piece = stream.subarray(i, i + 7001);
    appendFileSync(file, piece);
    decoder.wrote(piece.length);
    // Let the worker catch up now and then, so that it also waits for the writer.
    if (i % 70010 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  return decoder.finish(new AbortController().signal);
}

describe("the spool decoder", () => {
  const stream = fixture("heapdump-ballast.nettrace.gz");

  it("run from the sources, decodes on the event loop after the stream", async () => {
    expect(workerAvailable()).toBe(false);
    const r = await spool(SpoolDecoder, stream);
    expect(r.decodedIn).toBe("main");
    expect(got(r.agg)).toEqual(expected(stream));
  });

  it("built, decodes in a worker thread as the file grows, with the same result", async () => {
    const built = (await import(dist)) as { SpoolDecoder: typeof SpoolDecoder; workerAvailable: () => boolean };
    expect(built.workerAvailable()).toBe(true);
    const r = await spool(built.SpoolDecoder, stream);
    expect(r.decodedIn).toBe("worker");
    // The built module's aggregator is another class than the sources': compared by what it says.
    expect(got(r.agg as unknown as HeapDumpAggregator)).toEqual(expected(stream));
    expect(r.agg.objects).toBeGreaterThan(30_000);
    expect(r.stats.bytes).toBe(stream.length);
  });

  it("a malformed spool: parse_error from the worker", async () => {
    const built = (await import(dist)) as { SpoolDecoder: typeof SpoolDecoder };
    const bad = Buffer.from(stream);
    bad.write("Netxxxxx", 0, "latin1");
    await expect(spool(built.SpoolDecoder, bad)).rejects.toMatchObject({ reason: "parse_error", message: expect.stringMatching(/not a nettrace stream/) });
  });
});

describe("replayFile (the graph's second read)", () => {
  it("reads a file into two buffers in turn, or fresh ones past a block longer than a read, as decoding it whole does", () => {
    const stream = fixture("heapdump-ballast.nettrace.gz");
    const dir = mkdtempSync(path.join(tmpdir(), "lw-replay-"));
    dirs.push(dir);
    const file = path.join(dir, "s.nettrace");
    writeFileSync(file, stream, { mode: 0o600 });
    const want = expected(stream);
    // 1 MiB: most blocks end inside the last read; 4 KiB and 100 bytes: blocks span several reads.
    for (const size of [1024 * 1024, 4096, 100]) {
      const agg = new HeapDumpAggregator();
      replayFile(file, size)(agg);
      expect(got(agg), `reads of ${size} bytes`).toEqual(want);
    }
  });
});
