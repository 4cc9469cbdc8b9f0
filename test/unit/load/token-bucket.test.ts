import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../../src/load/token-bucket.js";
import { Backoff } from "../../../src/load/backoff.js";

describe("TokenBucket", () => {
  it("allows a burst of 50 ms worth (at least 1), then spaces reservations at 1/rate", () => {
    let now = 0;
    const b = new TokenBucket(100, () => now); // burst 5
    const waits = Array.from({ length: 8 }, () => b.reserve());
    expect(waits.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(waits.slice(5)).toEqual([10, 20, 30]);
    now = 30; // the debt is paid off; nothing saved up
    expect(b.reserve()).toBe(10);
  });

  it("holds the long-run rate however many callers reserve", () => {
    let now = 0;
    const b = new TokenBucket(50, () => now);
    let granted = 0;
    // Callers arrive every millisecond for 10 s; each runs when its wait is over.
    const due: number[] = [];
    for (now = 0; now < 10_000; now++) due.push(now + b.reserve());
    granted = due.filter((t) => t < 10_000).length;
    expect(granted).toBeGreaterThanOrEqual(499);
    expect(granted).toBeLessThanOrEqual(503);
  });

  it("a new rate applies at once and a slow rate still has a burst of 1", () => {
    let now = 0;
    const b = new TokenBucket(1000, () => now);
    for (let i = 0; i < 50; i++) b.reserve();
    now = 1000;
    b.setRate(2);
    expect(b.reserve()).toBe(0);
    expect(b.reserve()).toBe(500);
    expect(b.ratePerSecond).toBe(2);
  });
});

describe("Backoff", () => {
  it("doubles from 100 ms to 5 s, counts failures during a pause without lengthening it, and resets", () => {
    let now = 0;
    const b = new Backoff(100, 5000, () => now);
    expect(b.fail()).toBe(100);
    now = 50;
    expect(b.fail()).toBe(50); // same pause: a second worker failing at once
    expect(b.remaining()).toBe(50);
    const pauses: number[] = [];
    for (let i = 0; i < 8; i++) {
      now += b.remaining();
      pauses.push(b.fail());
    }
    expect(pauses).toEqual([200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    expect(b.failures).toBe(10);
    b.reset();
    expect(b.remaining()).toBe(0);
    expect(b.fail()).toBe(100);
  });
});
