import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatBytes, parseDuration, parseSize } from "../../../src/util/units.js";

const K = 1024;
const M = K ** 2;
const G = K ** 3;
const T = K ** 4;

describe("parseSize", () => {
  it.each([
    ["1", 1],
    ["4096", 4096],
    ["1b", 1],
    ["1B", 1],
    ["1k", K],
    ["1K", K],
    ["1kb", K],
    ["1KiB", K],
    ["1 kib", K],
    ["200m", 200 * M],
    ["200M", 200 * M],
    ["300MB", 300 * M],
    ["300mib", 300 * M],
    ["1g", G],
    ["1.5g", 1.5 * G],
    ["1.5GiB", 1.5 * G],
    ["2t", 2 * T],
    ["2TiB", 2 * T],
    ["0.5k", 512],
    ["1.9", 1], // bytes are whole: floored
    ["1.0009k", 1024],
    [" 300m ", 300 * M],
    ["10 MiB", 10 * M],
    ["8191t", 8191 * T],
  ])("%j → %d", (input, want) => {
    expect(parseSize(input)).toBe(want);
  });

  it.each([
    "",
    " ",
    "abc",
    "k",
    "m200",
    "0",
    "0k",
    "0.4", // floors to 0 bytes
    "-1",
    "-1m",
    "+1m",
    "1e3",
    ".5k",
    "5.k",
    "1,5g",
    "0x10",
    "1p",
    "1pb",
    "1 mb extra",
    "1mbit",
    "1m1k",
    "Infinity",
    "NaN",
    "9007199254740992", // 2^53: not a safe integer
    "8192t", // 2^53 too
  ])("%j → undefined", (input) => {
    expect(parseSize(input)).toBeUndefined();
  });

  it("numbers are bytes: positive and finite, floored", () => {
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize(1.9)).toBe(1);
    expect(parseSize(0)).toBeUndefined();
    expect(parseSize(-5)).toBeUndefined();
    expect(parseSize(Number.NaN)).toBeUndefined();
    expect(parseSize(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  const MAX_K = Math.floor(Number.MAX_SAFE_INTEGER / 1024);

  it("property: parseSize(String(n) + 'k') === n * 1024 for every n with n * 1024 a safe integer", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_K }), (n) => parseSize(String(n) + "k") === n * 1024),
      { numRuns: 2000 },
    );
    expect(parseSize(String(MAX_K) + "k")).toBe(MAX_K * 1024);
  });

  it("property: beyond the safe range (or 0) the k form is rejected, never wrong", () => {
    fc.assert(fc.property(fc.integer({ min: MAX_K + 1, max: Number.MAX_SAFE_INTEGER }), (n) => parseSize(String(n) + "k") === undefined));
    expect(parseSize("0k")).toBeUndefined();
  });

  it("property: every unit and spelling agrees with the bare byte count", () => {
    const units: [string[], number][] = [
      [["k", "K", "kb", "KB", "kib", "KiB"], K],
      [["m", "M", "mb", "MB", "mib", "MiB"], M],
      [["g", "G", "gb", "GB", "gib", "GiB"], G],
    ];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 * K * K }), fc.integer({ min: 0, max: 2 }), fc.nat(5), fc.boolean(), (n, u, s, space) => {
        const [spellings, factor] = units[u]!;
        return parseSize(`${n}${space ? " " : ""}${spellings[s]}`) === parseSize(String(n * factor));
      }),
    );
  });

  it("property: a bare positive safe integer is itself", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (n) => parseSize(String(n)) === n));
  });
});

describe("parseDuration", () => {
  it.each([
    ["30", 30],
    ["0", 0],
    ["1.5", 1.5],
    ["0s", 0],
    ["30s", 30],
    ["500ms", 0.5],
    ["5m", 300],
    ["1m", 60], // minutes, not milliseconds
    ["2h", 7200],
    ["1d", 86400],
    ["1.5h", 5400],
    ["1h30m", 5400],
    ["1m30s", 90],
    ["2s500ms", 2.5],
    ["1d2h3m4s", 86400 + 7200 + 180 + 4],
    [" 30s ", 30],
  ])("%j → %d s", (input, want) => {
    expect(parseDuration(input)).toBeCloseTo(want, 9);
  });

  it.each(["", " ", "s", "ms", "abc", "30x", "30 s", "1h 30m", "-5s", "-5", "5m30", "1.s", ".5s", "m5", "1e3s", "1mss", "30sec", "1w"])(
    "%j → undefined",
    (input) => {
      expect(parseDuration(input)).toBeUndefined();
    },
  );

  it("numbers are seconds: finite and ≥ 0", () => {
    expect(parseDuration(30)).toBe(30);
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration(0.25)).toBe(0.25);
    expect(parseDuration(-1)).toBeUndefined();
    expect(parseDuration(Number.NaN)).toBeUndefined();
    expect(parseDuration(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it("property: XhYmZs adds up", () => {
    fc.assert(fc.property(fc.nat(1000), fc.nat(59), fc.nat(59), (h, m, s) => parseDuration(`${h}h${m}m${s}s`) === h * 3600 + m * 60 + s));
  });

  it("property: a bare number of seconds and the same with an s suffix agree", () => {
    fc.assert(fc.property(fc.nat(10 ** 9), (n) => parseDuration(String(n)) === n && parseDuration(`${n}s`) === n));
  });
});

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [200 * M, "200.0 MiB"],
    [1.5 * G, "1.5 GiB"],
    [2048 * T, "2048.0 TiB"],
  ])("%d → %s", (n, want) => {
    expect(formatBytes(n)).toBe(want);
  });
});
