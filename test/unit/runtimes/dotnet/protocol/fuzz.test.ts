// Fuzzing the nettrace decoder and the heap/counter decoding behind it (fast-check): truncations, bit flips, byte
// overwrites and random bytes of real and synthetic streams. Every outcome must be a decoded stream or a
// ParseError — never another exception, never a hang (each run is timed), never an allocation beyond the caps.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ParseError } from "../../../../../src/model/parse-error.js";
import { NettraceDecoder } from "../../../../../src/runtimes/dotnet/protocol/nettrace.js";
import { HeapDumpAggregator } from "../../../../../src/runtimes/dotnet/heapdump.js";
import { decodeFields } from "../../../../../src/runtimes/dotnet/protocol/events.js";
import { parseCounterPayload } from "../../../../../src/runtimes/dotnet/counters.js";
import { fixture, heapDumpStream } from "../writer.js";

const heap = fixture("heapdump-leak25.nettrace.gz");
const counters = fixture("counters.nettrace.gz");
const synthetic = heapDumpStream();

/** Decodes in the given chunk size through the aggregator and a counters handler; returns "ok" or "parse_error". */
function run(buf: Buffer, chunk: number): "ok" | "parse_error" {
  const agg = new HeapDumpAggregator();
  const d = new NettraceDecoder({
    onTrace: (t) => agg.onTrace(t),
    onDropped: (n) => agg.onDropped(n),
    onEvent: (m, h, p) => {
      agg.onEvent(m, h, p);
      if (m.eventName === "EventCounters") parseCounterPayload(decodeFields(p, m.fields));
    },
  });
  const t0 = performance.now();
  try {
    for (let i = 0; i < buf.length; i += chunk) d.push(buf.subarray(i, i + chunk));
    d.end();
    agg.summary();
    return "ok";
  } catch (err) {
    if (err instanceof ParseError) return "parse_error";
    throw err;
  } finally {
    // Quadratic work would show as a slow run: the largest input (45 KB) decodes in well under a second even in
    // 1-byte chunks, so 20 s only trips on a real blow-up, not on a busy machine (2 s did, with both cores loaded).
    expect(performance.now() - t0).toBeLessThan(20_000);
  }
}

const inputs = [heap, counters, synthetic];
const anInput = fc.constantFrom(...inputs.keys()).map((i) => inputs[i]!);
const chunk = fc.oneof(fc.constant(1 << 30), fc.integer({ min: 1, max: 4096 }));

describe("nettrace decoder fuzzing", () => {
  it("the recorded and synthetic streams decode as they are", () => {
    for (const b of inputs) expect(run(b, 1 << 30)).toBe("ok");
  });

  it("truncated anywhere: a ParseError (never a wrong success)", () => {
    fc.assert(
      fc.property(anInput, fc.nat(), chunk, (buf, cut, size) => {
        const at = cut % buf.length;
        expect(run(buf.subarray(0, at), size)).toBe("parse_error");
      }),
      { numRuns: 3000 },
    );
  });

  it("bit flips: decoded or a ParseError", () => {
    fc.assert(
      fc.property(anInput, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }), chunk, (buf, flips, size) => {
        const b = Buffer.from(buf);
        for (const [pos, bit] of flips) b[pos % b.length]! ^= 1 << bit;
        run(b, size);
      }),
      { numRuns: 4000 },
    );
  });

  it("overwritten byte runs (lengths, counts, tags set to extremes): decoded or a ParseError", () => {
    fc.assert(
      fc.property(
        anInput,
        fc.nat(),
        fc.constantFrom(0x00, 0xff, 0x7f, 0x80, 0x01, 0x05, 0x06),
        fc.integer({ min: 1, max: 8 }),
        chunk,
        (buf, pos, byte, len, size) => {
          const b = Buffer.from(buf);
          b.fill(byte, pos % b.length, Math.min(b.length, (pos % b.length) + len));
          run(b, size);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("random bytes, raw or after a valid stream header: a ParseError", () => {
    const header = synthetic.subarray(0, 32);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 2048 }), fc.boolean(), chunk, (bytes, withHeader, size) => {
        const b = withHeader ? Buffer.concat([header, Buffer.from(bytes)]) : Buffer.from(bytes);
        expect(run(b, size)).toBe("parse_error");
      }),
      { numRuns: 2000 },
    );
  });

  it("a huge declared block is refused before any allocation, and a large legal one waits for its bytes", () => {
    const at = synthetic.indexOf("MetadataBlock", 0, "latin1") + "MetadataBlock".length + 1;
    const b = Buffer.from(synthetic);
    b.writeInt32LE(15 * 1024 * 1024, at); // legal size: the decoder waits for 15 MiB that never come
    const d = new NettraceDecoder();
    d.push(b);
    expect(() => d.end()).toThrow(/truncated/);
  });
});
