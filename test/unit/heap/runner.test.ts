// One dump through the stateless runner, with a scripted source: the summary it builds (with the request count
// passed in), failure reasons, the headroom guard, the timeout, and the private raw directory.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { HEADROOM_MARGIN, STOP_GRACE_MS, runDump, type DumpJob, type RunnerOptions } from "../../../src/heap/runner.js";
import type { PeakReading, PeakWatch } from "../../../src/sampling/peak.js";
import { DumpError, type DumpContext, type HeapSource, type MemoryCostContext } from "../../../src/model/dump.js";
import type { DumpSummary, DumpSummaryBody } from "../../../src/model/summary.js";
import { Ledger } from "../../../src/leftovers/ledger.js";

const logger = pino({ level: "silent" });
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "lw-runner-"));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const BODY: DumpSummaryBody = {
  format: "plain",
  totalObjects: 3,
  totalBytes: 300,
  bytesExact: true,
  types: [{ type: "T", count: 3, bytes: 300 }],
  notes: ["n"],
};

function source(step: (ctx: DumpContext) => Promise<DumpSummaryBody>, cost = 0) {
  const costs: MemoryCostContext[] = [];
  let calls = 0;
  const s: HeapSource = {
    name: "scripted",
    memoryCost: async (input) => {
      costs.push(input);
      return cost;
    },
    dump: (ctx) => {
      calls++;
      return step(ctx);
    },
  };
  return { s, costs, calls: () => calls };
}

function job(extra: Partial<DumpJob> = {}): DumpJob {
  return { target: "svc", pid: process.pid, command: "svc --serve", trigger: "test", requests: undefined, pidNow: () => process.pid, ...extra };
}

function options(extra: Partial<RunnerOptions> = {}) {
  const kept: DumpSummary[] = [];
  const opts: RunnerOptions = {
    timeoutSeconds: 5,
    rawDir: path.join(dir, "raw", "svc"),
    disposeRaw: async () => undefined,
    keep: async (s) => void kept.push(s),
    logger,
    ...extra,
  };
  return { opts, kept };
}

describe("runDump", () => {
  it("builds the summary from the source's body, with the request count passed in, and keeps it", async () => {
    const { s } = source(async () => BODY);
    const { opts, kept } = options();
    const before = Date.now();
    const run = await runDump(s, job({ requests: 1234 }), opts);
    expect(run.outcome.result).toBe("success");
    const summary = run.outcome.summary!;
    expect(summary).toMatchObject({ ...BODY, target: "svc", source: "scripted", requests: 1234 });
    expect(summary.time).toBeGreaterThanOrEqual(before);
    expect(summary.id).toMatch(/^\d{8}T\d{9}Z-\d{4}$/);
    expect(run.durationSeconds).toBe(summary.durationSeconds);
    expect(kept).toEqual([summary]);
  });

  it("hands the source the target's pid and command and the private directory, created 0700", async () => {
    let seen: DumpContext | undefined;
    const { s } = source(async (ctx) => {
      seen = ctx;
      return BODY;
    });
    const { opts } = options();
    await runDump(s, job({ pid: 4242, pidNow: () => 4242 }), opts);
    expect(seen).toMatchObject({ pid: 4242, command: "svc --serve", privateDir: opts.rawDir, disposeRaw: opts.disposeRaw });
    expect(((await stat(opts.rawDir)).mode & 0o777).toString(8)).toBe("700");
  });

  it("names the reason of a failure: the source's, internal for a bug, target_exited when the process went away", async () => {
    const { opts, kept } = options();
    const parse = await runDump(source(async () => Promise.reject(new DumpError("parse_error", "garbled"))).s, job(), opts);
    expect(parse.outcome).toEqual({ result: "failure", reason: "parse_error", message: "garbled" });
    expect(parse.durationSeconds).toBeGreaterThanOrEqual(0);
    const bug = await runDump(source(async () => Promise.reject(new Error("boom"))).s, job(), opts);
    expect(bug.outcome).toMatchObject({ result: "failure", reason: "internal", message: "boom" });
    const gone = await runDump(source(async () => Promise.reject(new DumpError("attach_failed", "no such process"))).s, job({ pidNow: () => undefined }), opts);
    expect(gone.outcome).toMatchObject({ result: "failure", reason: "target_exited" });
    expect(kept).toEqual([]);
  });

  it("fails with io_error when the summary cannot be kept", async () => {
    const { opts } = options({ keep: async () => Promise.reject(new Error("disk full")) });
    const run = await runDump(source(async () => BODY).s, job(), opts);
    expect(run.outcome).toEqual({ result: "failure", reason: "io_error", message: "cannot store the summary: disk full" });
  });

  it("skips a dump that would need more memory than the cgroup has left, without touching the source", async () => {
    const src = source(async () => BODY, 500_000_000);
    const { opts } = options();
    const run = await runDump(src.s, job({ headroom: 100_000_000, rss: 250_000_000, lastObjects: 77 }), opts);
    expect(run.outcome).toMatchObject({ result: "skipped", reason: "insufficient_headroom" });
    expect(run.durationSeconds).toBeUndefined();
    expect(src.calls()).toBe(0);
    expect(src.costs).toEqual([{ pid: process.pid, rss: 250_000_000, lastObjects: 77, headroom: 100_000_000 }]);
  });

  it("dumps when the estimate plus the margin fits, and without a headroom does not ask for an estimate", async () => {
    const fits = source(async () => BODY, 100_000_000 - HEADROOM_MARGIN);
    expect((await runDump(fits.s, job({ headroom: 100_000_000 }), options().opts)).outcome.result).toBe("success");
    const unlimited = source(async () => BODY, 1e15);
    expect((await runDump(unlimited.s, job(), options().opts)).outcome.result).toBe("success");
    expect(unlimited.costs).toEqual([]);
  });

  it("times out a hanging source, aborts it, and does not call it target_exited", async () => {
    let aborted = false;
    const hang = source((ctx) => {
      ctx.signal.addEventListener("abort", () => (aborted = true));
      return new Promise(() => undefined);
    });
    const run = await runDump(hang.s, job({ pidNow: () => undefined }), options({ timeoutSeconds: 0.2 }).opts);
    expect(run.outcome).toMatchObject({ result: "failure", reason: "timeout" });
    expect(aborted).toBe(true);
  });

  it("times out a source that ignores its abort signal", async () => {
    const deaf = source(() => new Promise(() => undefined));
    const run = await runDump(deaf.s, job(), options({ timeoutSeconds: 0.2 }).opts);
    expect(run.outcome).toMatchObject({ result: "failure", reason: "timeout" });
  });

  it("aborts the source's leftovers once the dump is done", async () => {
    let signal: AbortSignal | undefined;
    const src = source(async (ctx) => {
      signal = ctx.signal;
      return BODY;
    });
    await runDump(src.s, job(), options().opts);
    expect(signal?.aborted).toBe(true);
  });

  it("hands the source what earlier dumps of the target cost, and names it when it is why the dump is skipped", async () => {
    const src = source(async () => BODY, 300_000_000);
    const learned = { bytes: 300_000_000, basis: "measured on 2 earlier dump(s) of this target" };
    const run = await runDump(src.s, job({ headroom: 100_000_000, learned }), options().opts);
    expect(src.costs).toEqual([{ pid: process.pid, rss: undefined, lastObjects: undefined, learned: 300_000_000, headroom: 100_000_000 }]);
    expect(run.outcome).toMatchObject({ result: "skipped", reason: "insufficient_headroom" });
    expect(run.outcome.message).toContain("(measured on 2 earlier dump(s) of this target)");
  });

  it("measures the dump's cost while it runs and returns it; a skipped dump stops the measure without one", async () => {
    const reading: PeakReading = { growth: 42, exact: true, anonBefore: 1, anonAfter: 2 };
    const fakeWatch = () => {
      const w = {
        cancelled: 0,
        stopped: 0,
        anonBefore: 1,
        cancel: () => void w.cancelled++,
        stop: async () => {
          w.stopped++;
          return reading;
        },
      };
      return w;
    };
    const ran = fakeWatch();
    const run = await runDump(source(async () => BODY).s, job({ watch: ran as unknown as PeakWatch }), options().opts);
    expect(run.peak).toEqual(reading);
    expect(ran).toMatchObject({ stopped: 1, cancelled: 0 });
    const failed = fakeWatch();
    const f = await runDump(
      source(async () => Promise.reject(new DumpError("timeout", "slow"))).s,
      job({ watch: failed as unknown as PeakWatch }),
      options().opts,
    );
    expect(f.peak).toEqual(reading);
    const skipped = fakeWatch();
    const sk = await runDump(source(async () => BODY, 1e12).s, job({ headroom: 1, watch: skipped as unknown as PeakWatch }), options().opts);
    expect(sk.peak).toBeUndefined();
    expect(skipped).toMatchObject({ stopped: 0, cancelled: 1 });
  });

  it("counts a source that declines for lack of disk as skipped (insufficient_disk), not failed", async () => {
    const run = await runDump(source(async () => Promise.reject(new DumpError("insufficient_disk", "no room"))).s, job(), options().opts);
    expect(run.outcome).toEqual({ result: "skipped", reason: "insufficient_disk", message: "no room" });
    expect(run.durationSeconds).toBeUndefined();
  });

  it(
    "when leakwatch stops, aborts the dump at once and waits for the source to undo what it did, within a grace",
    async () => {
      const stop = new AbortController();
      let undone = false;
      const src = source(
        (ctx) =>
          new Promise((_, reject) =>
            ctx.signal.addEventListener("abort", () => {
              // e.g. closing an inspector it opened: takes a moment after the abort
              setTimeout(() => {
                undone = true;
                reject(ctx.signal.reason);
              }, 200);
            }),
          ),
      );
      const pending = runDump(src.s, job(), options({ stop: stop.signal }).opts);
      setTimeout(() => stop.abort(), 50);
      const run = await pending;
      expect(run.outcome).toMatchObject({ result: "failure", reason: "timeout", message: "leakwatch stopped during the dump" });
      expect(undone).toBe(true);
      // A source that never finishes does not hold leakwatch's exit beyond the grace (else this test times out).
      const deaf = new AbortController();
      deaf.abort();
      const r = await runDump(source(() => new Promise(() => undefined)).s, job(), options({ stop: deaf.signal }).opts);
      expect(r.outcome).toMatchObject({ result: "failure", reason: "timeout" });
    },
    STOP_GRACE_MS + 15_000,
  );

  it("projects a rising target to when its dump begins, and starts no costly dump on a target watched too briefly to tell", async () => {
    const src = source(async () => BODY, 50_000_000);
    const run = await runDump(src.s, job({ headroom: 100_000_000, rising: 8_000_000 }), options().opts);
    expect(run.outcome.result).toBe("success");
    expect(src.costs.at(-1)).toMatchObject({ rising: 8_000_000 });
    const young = await runDump(src.s, job({ headroom: 1e12, rising: null }), options().opts);
    expect(young.outcome).toMatchObject({ result: "skipped", reason: "insufficient_headroom" });
    expect(young.outcome.message).toMatch(/watched for less than a second/);
    // A dump that costs the target nothing does not need to know.
    expect((await runDump(source(async () => BODY, 0).s, job({ headroom: 1, rising: null }), options().opts)).outcome.result).toBe("success");
  });

  describe("raw files it records", () => {
    /** A source that creates a raw file it never gets to dispose of, then hangs (ignoring its abort signal). */
    const stuck = () =>
      source(async (ctx) => {
        const file = path.join(ctx.privateDir, "leakwatch-1-20260101T120000-1-abc.dmp");
        ctx.record!.file(file);
        await writeFile(file, "secret heap");
        return new Promise<never>(() => undefined);
      });

    it("removes them when the dump times out, and the state file with them", async () => {
      const ledger = new Ledger(dir, logger);
      ledger.open();
      try {
        const { opts } = options({ timeoutSeconds: 0.3, ledger });
        const run = await runDump(stuck().s, job(), opts);
        expect(run.outcome).toMatchObject({ result: "failure", reason: "timeout" });
        expect(await readdir(opts.rawDir)).toEqual([]);
        expect(await readdir(path.join(dir, "cleanup"))).toEqual([]);
      } finally {
        ledger.close();
      }
    });

    it("ends the dump at once when leakwatch stops, and removes them", async () => {
      const ledger = new Ledger(dir, logger);
      ledger.open();
      try {
        const stop = new AbortController();
        const { opts } = options({ timeoutSeconds: 600, ledger, stop: stop.signal });
        const running = runDump(stuck().s, job(), opts);
        // Stop once the file is there (the source has recorded and created it).
        for (let i = 0; i < 500 && (await readdir(opts.rawDir).catch(() => [])).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        expect(await readdir(opts.rawDir)).toHaveLength(1);
        stop.abort();
        const run = await running;
        expect(run.outcome).toMatchObject({ result: "failure", message: "leakwatch stopped during the dump" });
        expect(await readdir(opts.rawDir)).toEqual([]);
      } finally {
        ledger.close();
      }
    });
  });
});
