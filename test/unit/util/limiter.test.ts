// The Limiter runs at most `concurrency` jobs at once, in arrival order, and turns callers away once its queue is
// full; the slices helper gives the event loop turns between slices.
import { describe, expect, it } from "vitest";
import { BusyError, Limiter } from "../../../src/util/limiter.js";
import { runInSlices } from "../../../src/util/slices.js";

describe("Limiter", () => {
  it("runs one job at a time in arrival order and refuses callers beyond its queue", async () => {
    const lim = new Limiter(1, 2);
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let running = 0;
    let most = 0;
    const job = (name: string, wait?: Promise<void>) =>
      lim.run(async () => {
        running++;
        most = Math.max(most, running);
        order.push(name);
        await wait;
        running--;
        return name;
      });
    const a = job("a", gate);
    const b = job("b");
    const c = job("c");
    await expect(job("d")).rejects.toBeInstanceOf(BusyError); // a runs, b and c wait: the queue of 2 is full
    release();
    expect(await Promise.all([a, b, c])).toEqual(["a", "b", "c"]);
    expect(order).toEqual(["a", "b", "c"]);
    expect(most).toBe(1);
    expect(await job("e")).toBe("e"); // free again
  });

  it("frees its slot when a job fails", async () => {
    const lim = new Limiter(1, 0);
    await expect(lim.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await lim.run(async () => 7)).toBe(7);
  });
});

describe("runInSlices", () => {
  it("lets other callbacks run between slices, and returns the generator's value", async () => {
    let turns = 0;
    const tick = () => {
      turns++;
      if (turns < 1000) setImmediate(tick);
    };
    setImmediate(tick);
    function* work(): Generator<void, number, void> {
      for (let i = 0; i < 20; i++) yield;
      return 42;
    }
    // A slice of 0 ms: every yield is the end of a slice.
    expect(await runInSlices(work(), 0)).toBe(42);
    expect(turns).toBeGreaterThanOrEqual(19);
  });
});
