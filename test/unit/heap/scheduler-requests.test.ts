// The heap scheduler's load hooks: a dump records the request count as of its start (not its end), reads the
// target's own counter first (beforeDump), and --dump-every-requests dumps at N, 2N, … requests.
import { afterEach, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { DumpStore } from "../../../src/heap/store.js";
import { HeapState } from "../../../src/heap/state.js";
import { HeapScheduler } from "../../../src/heap/scheduler.js";
import type { HeapSource } from "../../../src/model/dump.js";
import type { DumpSummaryBody } from "../../../src/model/summary.js";
import type { ProcFs } from "../../../src/procfs/process.js";
import { MemorySampler } from "../../../src/sampling/sampler.js";
import { Target } from "../../../src/targets/target.js";

const logger = pino({ level: "silent" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let dir: string;
let scheduler: HeapScheduler | undefined;
afterEach(async () => {
  scheduler?.stop();
  await rm(dir, { recursive: true, force: true });
});

const body: DumpSummaryBody = { format: "plain", totalObjects: 1, totalBytes: 10, bytesExact: true, types: [{ type: "T", count: 1, bytes: 10 }], notes: [] };

async function setup(source: HeapSource, opts: { everyRequests?: number; requests: () => number | undefined; beforeDump?: () => Promise<void> }) {
  dir = await mkdtemp(path.join(os.tmpdir(), "lw-sched-"));
  const store = new DumpStore({ dataDir: dir, retention: 100, logger });
  await store.open();
  const t = new Target({ name: "svc", pid: process.pid, restart: false } as never);
  t.setMain({ pid: process.pid, startTime: 1 });
  const proc = { memory: async () => ({ rss: 1 }), stat: async () => ({ utime: 0, stime: 0, startTime: 1 }), oomScore: async () => 0 } as unknown as ProcFs;
  const sampler = new MemorySampler({ targets: () => [t], proc });
  const heap = new HeapState(
    t,
    source,
    "unknown",
    store,
    { timeoutSeconds: 5, keepDumps: 0, maxTypes: 10, verdict: {}, rawDir: path.join(dir, "raw") },
    logger,
  );
  scheduler = new HeapScheduler(heap, { jitter: 0, pollSeconds: 0.05, ...opts }, sampler, logger);
  return { store, heap, scheduler };
}

describe("HeapScheduler and load", () => {
  it("records the requests counted when the dump started, after running beforeDump", async () => {
    let requests = 100;
    const order: string[] = [];
    const source: HeapSource = {
      name: "slow",
      memoryCost: async () => 0,
      dump: async () => {
        order.push("dump");
        requests += 500; // load keeps arriving while the snapshot is written
        await sleep(50);
        return body;
      },
    };
    const { store, scheduler: s } = await setup(source, {
      requests: () => requests,
      beforeDump: async () => {
        order.push("before");
        requests += 1; // the target's own counter, read just now
      },
    });
    const [a, b] = await Promise.all([s.dumpNow("test"), s.dumpNow("test")]);
    expect(a.result).toBe("success");
    expect(b).toMatchObject({ result: "skipped", reason: "busy" });
    // Both triggers read the counter (neither dump had started); the dump records the count as of its start.
    expect(store.list("svc").map((d) => d.requests)).toEqual([102]);
    expect(order).toEqual(["before", "before", "dump"]);
    await s.dumpNow("test");
    expect(store.list("svc").map((d) => d.requests)).toEqual([102, 603]);
  });

  it("dumps every N requests", async () => {
    let requests: number | undefined;
    const source: HeapSource = { name: "quick", memoryCost: async () => 0, dump: async () => body };
    const { store, scheduler: s } = await setup(source, { everyRequests: 100, requests: () => requests });
    s.start();
    await sleep(200);
    expect(store.list("svc")).toHaveLength(0); // load not known
    requests = 99;
    await sleep(200);
    expect(store.list("svc")).toHaveLength(0);
    requests = 130;
    await sleep(200);
    requests = 200;
    await sleep(200);
    expect(store.list("svc").map((d) => d.requests)).toEqual([130]);
    requests = 230;
    await sleep(200);
    requests = 1000;
    await sleep(200);
    expect(store.list("svc").map((d) => d.requests)).toEqual([130, 230, 1000]);
  });
});
