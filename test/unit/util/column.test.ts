import { describe, expect, it } from "vitest";
import { Column } from "../../../src/util/column.js";

describe("Column", () => {
  it("grows in place past its first block and keeps every value", () => {
    const c = new Column(Float64Array);
    const n = 300_000; // several doublings of the first 64 KiB
    for (let i = 0; i < n; i++) c.push(i * 1.5 + 2 ** 40);
    expect(c.length).toBe(n);
    const v = c.view();
    expect(v.length).toBe(n);
    expect(v[0]).toBe(2 ** 40);
    expect(v[n - 1]).toBe((n - 1) * 1.5 + 2 ** 40);
    let bad = 0;
    for (let i = 0; i < n; i++) if (v[i] !== i * 1.5 + 2 ** 40) bad++;
    expect(bad).toBe(0);
  });

  it("take() copies the values into an array of their own and gives the column's memory back", () => {
    const c = new Column(Uint32Array);
    for (let i = 0; i < 100_000; i++) c.push(i);
    const view = c.view();
    const out = c.take();
    expect(out).toBeInstanceOf(Uint32Array);
    expect(out.buffer.resizable).toBe(false);
    expect(out.length).toBe(100_000);
    expect(out[99_999]).toBe(99_999);
    // The column's buffer is at 0 bytes: the old view is out of bounds (length 0), the column empty.
    expect(view.length).toBe(0);
    expect(c.length).toBe(0);
    c.push(7);
    expect(Array.from(c.view())).toEqual([7]);
  });

  it("setLength() extends with zeros for a rewrite in place", () => {
    const c = new Column(Uint16Array);
    c.push(3);
    c.push(65535);
    c.setLength(40_000);
    const v = c.view();
    expect(v.length).toBe(40_000);
    expect([v[0], v[1], v[2], v[39_999]]).toEqual([3, 65535, 0, 0]);
  });

  it("release() returns the memory at once, without waiting for the garbage collector", () => {
    const rss = (): number => process.memoryUsage().rss;
    const c = new Column(Float64Array);
    const n = 32 * 1024 * 1024; // 256 MiB
    for (let i = 0; i < n; i++) c.push(i);
    const full = rss();
    c.release();
    // Unmapped by the release itself: at least half of it is gone from the RSS right away.
    expect(full - rss()).toBeGreaterThan(128 * 1024 * 1024);
  });
});

describe("Column.widen", () => {
  it("moves the values into a wider column through a map, and gives the narrow one's memory back", () => {
    const narrow = new Column(Uint16Array);
    for (let i = 0; i < 70_000; i++) narrow.push(i & 0xffff);
    const wide = narrow.widen(Uint32Array, (v) => v + 0x10000);
    expect(narrow.length).toBe(0);
    expect(wide.length).toBe(70_000);
    wide.push(2 ** 31);
    const v = wide.view();
    expect([v[0], v[65_535], v[65_536], v[70_000]]).toEqual([0x10000, 0x1ffff, 0x10000, 2 ** 31]);
  });
});
