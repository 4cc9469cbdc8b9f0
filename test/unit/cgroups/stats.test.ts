import { describe, expect, it } from "vitest";
import { V1_UNLIMITED_THRESHOLD, effectiveLimit, parseKeyValues, parsePressure } from "../../../src/cgroups/stats.js";

describe("parseKeyValues", () => {
  it("reads memory.stat / memory.events / memory.oom_control lines", () => {
    expect(parseKeyValues("anon 123\nfile 456\n\noom_kill 0\n")).toEqual({ anon: 123, file: 456, oom_kill: 0 });
  });
  it("tolerates extra whitespace and tabs; skips non-numeric values and lone keys", () => {
    expect(parseKeyValues("  a   1  \nb\t2\nc max\nd\n e -3")).toEqual({ a: 1, b: 2, e: -3 });
  });
  it("empty input → {}", () => {
    expect(parseKeyValues("")).toEqual({});
  });
});

describe("parsePressure", () => {
  it("PSI totals are microseconds → seconds", () => {
    const text = "some avg10=1.50 avg60=0.80 avg300=0.20 total=2500000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=750000\n";
    expect(parsePressure(text)).toEqual({ some: 2.5, full: 0.75 });
  });
  it("only `some` (the root cgroup on some kernels, or cpu.pressure style)", () => {
    expect(parsePressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=1\n")).toEqual({ some: 0.000001 });
  });
  it("ignores avg values and malformed lines", () => {
    expect(parsePressure("some avg10=99.00\nfull total=abc\nsomething total=5\n")).toEqual({});
    expect(parsePressure("")).toEqual({});
  });
});

describe("effectiveLimit", () => {
  it("no limited level → both undefined", () => {
    expect(effectiveLimit([{ usage: 5 }, { usage: 10 }])).toEqual({ limit: undefined, headroom: undefined });
    expect(effectiveLimit([])).toEqual({ limit: undefined, headroom: undefined });
  });
  it("limit is the min over levels; headroom the min of (limit − usage) — possibly at a different level", () => {
    // child: 2000 − 100 = 1900; parent: 1000 − 900 = 100; grandparent: 5000 − 4990 = 10.
    const r = effectiveLimit([{ limit: 2000, usage: 100 }, { limit: 1000, usage: 900 }, { usage: 3000 }, { limit: 5000, usage: 4990 }]);
    expect(r).toEqual({ limit: 1000, headroom: 10 });
  });
  it("the least headroom can be at the nearest level, the least limit further up", () => {
    // child: 1000 − 990 = 10 (the least); parent: 800 − 100 = 700; grandparent: 5000 − 100.
    expect(
      effectiveLimit([
        { limit: 1000, usage: 990 },
        { limit: 800, usage: 100 },
        { limit: 5000, usage: 100 },
      ]),
    ).toEqual({
      limit: 800,
      headroom: 10,
    });
  });
  it("a limited level without a usage reading counts for the limit only", () => {
    expect(effectiveLimit([{ limit: 500 }, { limit: 800, usage: 100 }])).toEqual({ limit: 500, headroom: 700 });
    expect(effectiveLimit([{ limit: 500 }])).toEqual({ limit: 500, headroom: undefined });
  });
  it("headroom floors at 0", () => {
    expect(effectiveLimit([{ limit: 100, usage: 150 }])).toEqual({ limit: 100, headroom: 0 });
  });
});

describe("V1_UNLIMITED_THRESHOLD", () => {
  it("is below every page-rounded PAGE_COUNTER_MAX and above any real limit", () => {
    expect(Number("9223372036854771712")).toBeGreaterThanOrEqual(V1_UNLIMITED_THRESHOLD); // 4 KiB pages
    expect(Number("9223372036854710272")).toBeGreaterThanOrEqual(V1_UNLIMITED_THRESHOLD); // 64 KiB pages
    expect(2 ** 60).toBeLessThan(V1_UNLIMITED_THRESHOLD); // 1 EiB is still a limit
  });
});
